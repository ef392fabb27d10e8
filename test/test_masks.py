# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Mask assembly against Ultralytics' own (process_mask_native), and the instance image."""

import numpy as np
import pytest
from scipy import ndimage

from trt_perception.core.detection import Detection, InstanceMask
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.masks import (box_span, full_mask, instance_image, MaskAssembler,
                                       resampling)

PROTOS = 32


def _reference(protos, coefficients, boxes, letterbox):
    """Ultralytics' own retina-mask assembly (``process_mask_native``)."""
    torch = pytest.importorskip('torch')
    ops = pytest.importorskip('ultralytics.utils.ops')
    masks = ops.process_mask_native(torch.from_numpy(protos), torch.from_numpy(coefficients),
                                    torch.from_numpy(boxes.astype(np.float32)),
                                    (letterbox.src_height, letterbox.src_width))
    return masks.numpy().astype(bool)


def _smooth_protos(rng, height, width):
    """Prototypes with structure at a few cells' scale, like a trained head's."""
    raw = rng.normal(size=(PROTOS, height, width)).astype(np.float32)
    return ndimage.gaussian_filter(raw, sigma=(0, 2, 2)).astype(np.float32) * 4


@pytest.mark.parametrize('src', [(637, 411), (301, 533), (1920, 1080), (640, 480),
                                 (500, 500)])
def test_masks_equal_ultralytics_retina_masks(src):
    rng = np.random.default_rng(7)
    letterbox = Letterbox.fit(src[0], src[1], 320, 256)
    protos = _smooth_protos(rng, 64, 80)
    coefficients = rng.normal(size=(6, PROTOS)).astype(np.float32)
    corners = rng.uniform(0, 1, size=(6, 4)) * np.array([src[0], src[1]] * 2)
    boxes = np.concatenate([np.minimum(corners[:, :2], corners[:, 2:]),
                            np.maximum(corners[:, :2], corners[:, 2:])], axis=1)
    boxes[0] = [0, 0, src[0], src[1]]
    masks = MaskAssembler().assemble(protos, coefficients, boxes, letterbox)
    expected = _reference(protos, coefficients, boxes, letterbox)
    for mask, reference, box in zip(masks, expected, boxes):
        got = full_mask(mask, src[0], src[1])
        # float32 sums in another order may flip a pixel whose logit is about 0.
        assert np.count_nonzero(got != reference) <= max(2, reference.sum() // 1000)
        x0, x_stop = box_span(box[0], box[2], src[0])
        y0, y_stop = box_span(box[1], box[3], src[1])
        assert (mask.x0, mask.y0, mask.data.shape) == (x0, y0, (y_stop - y0, x_stop - x0))


@pytest.mark.parametrize('network, protos, factor', [
    ((320, 256), (80, 64), 4), ((320, 320), (80, 80), 1), ((640, 640), (160, 160), 2)])
def test_upsampling_is_the_smallest_putting_the_padding_on_whole_cells(
        network, protos, factor):
    sources = {4: (637, 411), 1: (640, 480), 2: (1280, 648)}
    letterbox = Letterbox.fit(sources[factor][0], sources[factor][1], *network)
    grid_x, grid_y = resampling(letterbox, *protos)
    assert grid_x.factor == grid_y.factor == factor


def test_prototypes_that_do_not_divide_the_input_are_refused():
    with pytest.raises(ValueError, match='do not divide the 320 x 320 network input'):
        resampling(Letterbox.fit(10, 10, 320, 320), 81, 80)


def test_box_span_follows_ultralytics_crop_rule():
    assert box_span(2.0, 5.0, 10) == (2, 5)
    assert box_span(2.1, 5.1, 10) == (3, 6)
    assert box_span(-3, 30, 10) == (0, 10)
    assert box_span(4.0, 4.0, 10) == (4, 4)


def test_empty_boxes_and_no_detections():
    letterbox = Letterbox.fit(100, 80, 64, 64)
    protos = np.ones((PROTOS, 16, 16), np.float32)
    masks = MaskAssembler().assemble(protos, np.ones((1, PROTOS)), [[5, 5, 5, 9]], letterbox)
    assert masks[0].data.shape == (4, 0)
    assert MaskAssembler().assemble(protos, np.zeros((0, PROTOS)), np.zeros((0, 4)),
                                    letterbox) == []


@pytest.mark.parametrize('coefficients, boxes, message', [
    (np.ones((2, 31)), np.zeros((2, 4)), 'shaped \\[n, 32\\]'),
    (np.ones((2, 32)), np.zeros((3, 4)), 'shaped \\[2, 4\\]'),
])
def test_shape_errors_name_the_shapes(coefficients, boxes, message):
    with pytest.raises(ValueError, match=message):
        MaskAssembler().assemble(np.ones((PROTOS, 8, 8)), coefficients, boxes,
                                 Letterbox.fit(10, 10, 32, 32))


def _detection(mask=None):
    return Detection(0, 0, 1, 1, 0.5, 0, 'a', mask=mask)


def test_instance_image_indexes_detections_and_the_better_one_wins():
    a = InstanceMask(1, 1, np.ones((3, 3), bool))
    b = InstanceMask(2, 2, np.ones((3, 4), bool))
    image = instance_image([_detection(a), _detection(), _detection(b)], 8, 6)
    assert image.dtype == np.uint8
    expected = np.zeros((6, 8), np.uint8)
    expected[2:5, 2:6] = 3
    expected[1:4, 1:4] = 1
    np.testing.assert_array_equal(image, expected)


def test_instance_image_is_16_bit_from_255_detections():
    detections = [_detection(InstanceMask(i % 10, 0, np.ones((1, 1), bool)))
                  for i in range(300)]
    image = instance_image(detections, 10, 1)
    assert image.dtype == np.uint16
    assert image.tolist() == [list(range(1, 11))]
