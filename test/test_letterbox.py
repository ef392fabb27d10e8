# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Letterbox geometry against the Ultralytics formulas and its own inverse."""

import dataclasses

import numpy as np
import pytest

from trt_perception.core.letterbox import Letterbox

# (src_w, src_h, dst_w, dst_h): landscape, portrait, tiny, huge, extreme, exact fit, upscale.
CASES = [
    (1920, 1080, 640, 640), (1080, 1920, 640, 640), (640, 480, 640, 384), (1, 1, 640, 640),
    (3, 1, 640, 640), (1, 5000, 320, 320), (100000, 3, 640, 640), (12000, 9000, 1280, 736),
    (640, 640, 640, 640), (1280, 1280, 640, 640), (33, 17, 416, 416), (641, 639, 640, 640),
]


def random_cases(rng, count):
    cases = list(CASES)
    for _ in range(count):
        src = rng.integers(1, 5000, 2)
        dst = rng.integers(1, 1400, 2)
        cases.append((int(src[0]), int(src[1]), int(dst[0]), int(dst[1])))
    return cases


def test_geometry_matches_ultralytics_letterbox(rng):
    for src_w, src_h, dst_w, dst_h in random_cases(rng, 500):
        box = Letterbox.fit(src_w, src_h, dst_w, dst_h)
        where = 'for %dx%d -> %dx%d: %s' % (src_w, src_h, dst_w, dst_h, box)
        r = min(dst_w / src_w, dst_h / src_h)
        assert box.scale == pytest.approx(r), where
        for src, resized, dst in ((src_w, box.resized_width, dst_w),
                                  (src_h, box.resized_height, dst_h)):
            assert 1 <= resized <= dst, where
            assert resized == max(1, min(dst, int(round(src * r)))), where
        # The limiting axis fills the input exactly.
        assert box.resized_width == dst_w or box.resized_height == dst_h, where
        dw, dh = dst_w - box.resized_width, dst_h - box.resized_height
        assert box.pad_left == int(round(dw / 2 - 0.1)), where
        assert box.pad_top == int(round(dh / 2 - 0.1)), where
        assert box.pad_right == int(round(dw / 2 + 0.1)), where
        assert box.pad_bottom == int(round(dh / 2 + 0.1)), where
        assert box.pad_left + box.resized_width + box.pad_right == dst_w, where
        assert box.pad_top + box.resized_height + box.pad_bottom == dst_h, where
        assert min(box.pad_left, box.pad_top, box.pad_right, box.pad_bottom) >= 0, where
        assert box.sample_scale_x == pytest.approx(src_w / box.resized_width), where
        assert box.sample_scale_y == pytest.approx(src_h / box.resized_height), where


def test_exact_fit_is_identity():
    box = Letterbox.fit(640, 640, 640, 640)
    assert (box.resized_width, box.resized_height, box.pad_left, box.pad_top) == (640, 640, 0, 0)
    assert box.scale == 1.0 and box.sample_scale_x == 1.0 and box.sample_scale_y == 1.0
    boxes = np.array([[0, 0, 640, 640], [10.5, 20.25, 30, 40]])
    np.testing.assert_array_equal(box.to_source(boxes), boxes)
    np.testing.assert_array_equal(box.to_network(boxes), boxes)


def test_round_trip_and_ultralytics_scale_boxes(rng):
    for src_w, src_h, dst_w, dst_h in random_cases(rng, 200):
        box = Letterbox.fit(src_w, src_h, dst_w, dst_h)
        n = 20
        xy = rng.uniform(0, 1, (n, 4)) * [src_w, src_h, src_w, src_h]
        source = np.concatenate([np.minimum(xy[:, :2], xy[:, 2:]),
                                 np.maximum(xy[:, :2], xy[:, 2:])], axis=1).astype(np.float32)
        network = box.to_network(source)
        assert network.dtype == np.float64 and network.shape == (n, 4)
        # Inside the source, the network box lies inside the resized area.
        lo = [box.pad_left, box.pad_top] * 2
        hi = [box.pad_left + box.resized_width, box.pad_top + box.resized_height] * 2
        assert np.all(network >= np.array(lo) - 1e-6) and np.all(network <= np.array(hi) + 1e-6)
        back = box.to_source(network)
        np.testing.assert_allclose(back, source, atol=1e-6, rtol=1e-9)
        # Ultralytics' scale_boxes divides by the single ratio; the per-axis factor differs
        # from it only by the rounding of the resized size: under half a network pixel,
        # unless a side was rounded up from nothing to 1 pixel.
        if box.resized_width > 1 and box.resized_height > 1:
            ultra = (network - [box.pad_left, box.pad_top] * 2) / box.scale
            ultra = np.clip(ultra, 0, [src_w, src_h, src_w, src_h])
            assert np.abs(ultra - back).max() * box.scale <= 0.5 + 1e-6, box


def test_to_source_clips_padding_and_keeps_shape():
    box = Letterbox.fit(1920, 1080, 640, 640)
    assert (box.pad_left, box.pad_top, box.resized_width, box.resized_height) == (0, 140, 640, 360)
    boxes = np.array([[-5, 0, 700, 139], [0, 140, 640, 500], [320, 320, 320, 320]])
    src = box.to_source(boxes)
    np.testing.assert_allclose(src[0], [0, 0, 1920, 0])
    np.testing.assert_allclose(src[1], [0, 0, 1920, 1080])
    np.testing.assert_allclose(src[2], [960, 540, 960, 540])
    assert box.to_source(np.zeros((0, 4))).shape == (0, 4)
    assert box.to_network(np.zeros((2, 3, 4))).shape == (2, 3, 4)
    np.testing.assert_allclose(box.to_network([[0, 0, 1920, 1080]]), [[0, 140, 640, 500]])


def test_to_source_does_not_modify_input():
    box = Letterbox.fit(800, 600, 640, 640)
    boxes = np.array([[-10.0, -10.0, 900.0, 900.0]])
    copy = boxes.copy()
    box.to_source(boxes)
    box.to_network(boxes)
    np.testing.assert_array_equal(boxes, copy)


@pytest.mark.parametrize('args', [(0, 10, 640, 640), (10, -1, 640, 640), (10, 10, 0, 640),
                                  (10.5, 10, 640, 640), (True, 10, 640, 640),
                                  (10, 10, 640, '640')])
def test_fit_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match='must be a positive integer'):
        Letterbox.fit(*args)


def test_bad_box_shape_is_rejected_and_letterbox_is_frozen():
    box = Letterbox.fit(100, 50, 64, 64)
    with pytest.raises(ValueError, match=r'shape \(N, 4\).*\(3, 5\)'):
        box.to_source(np.zeros((3, 5)))
    with pytest.raises(ValueError, match='x1, y1, x2, y2'):
        box.to_network(1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        box.pad_left = 3


def test_stretch_fills_input_and_maps_boxes_back_per_axis(rng):
    box = Letterbox.stretch(451, 300, 300, 300)
    assert (box.resized_width, box.resized_height, box.pad_left, box.pad_top) == (300, 300, 0, 0)
    assert box.sample_scale_x == pytest.approx(451 / 300)
    src = np.array([[10.0, 20.0, 400.0, 290.0]])
    np.testing.assert_allclose(box.to_source(box.to_network(src)), src, atol=1e-9)
    np.testing.assert_allclose(box.to_network(src)[0, 0::2], src[0, 0::2] * 300 / 451)
