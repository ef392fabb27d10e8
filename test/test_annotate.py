# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for drawing detections and converting frames to BGR."""

import dataclasses

import numpy as np
import pytest

from trt_perception.core.annotate import Annotator, colour_for, debug_canvas, to_bgr
from trt_perception.core.annotate import TrackTrails
from trt_perception.core.backend import TensorSpec
from trt_perception.core.decoders import YoloV8Decoder
from trt_perception.core.detection import Detection, InstanceMask, Keypoints
from trt_perception.core.head_decoders import PoseDecoder
from trt_perception.core.image import ENCODINGS, RawImage
from trt_perception.core.keypoints import KeypointLayout


def _padded(pixels: np.ndarray, encoding: str, padding: int) -> RawImage:
    """Wrap pixels in a RawImage whose rows carry `padding` junk bytes, as some drivers send."""
    height = pixels.shape[0]
    rows = pixels.reshape(height, -1)
    junk = np.full((height, padding), 0xAB, np.uint8)
    data = np.concatenate([rows, junk], axis=1)
    width = pixels.shape[1]
    return RawImage.from_buffer(data.tobytes(), width, height, data.shape[1], encoding)


def _bt601_to_bgr(y, u, v):
    """Independent YUV (BT.601, video range, Y below 16 as 16 like OpenCV) to float64 BGR."""
    y = np.maximum(y.astype(np.float64) - 16.0, 0.0) * 1.164
    u = u.astype(np.float64) - 128.0
    v = v.astype(np.float64) - 128.0
    r = y + 1.596 * v
    g = y - 0.813 * v - 0.391 * u
    b = y + 2.018 * u
    return np.clip(np.stack([b, g, r], axis=-1), 0, 255)


@pytest.mark.parametrize('encoding', sorted(ENCODINGS))
def test_to_bgr_matches_independent_conversion(rng, encoding):
    enc = ENCODINGS[encoding]
    height, width = int(rng.integers(2, 40)), 2 * int(rng.integers(1, 30))
    pixels = rng.integers(0, 256, (height, width, enc.bytes_per_pixel), dtype=np.uint8)
    image = _padded(pixels, encoding, int(rng.integers(0, 9)))
    bgr = to_bgr(image)
    assert bgr.shape == (height, width, 3) and bgr.dtype == np.uint8
    assert bgr.flags['C_CONTIGUOUS']
    p = pixels.astype(np.int64)
    if enc.layout == 'mono':
        expected = np.repeat(p, 3, axis=2)
    elif enc.layout in ('bgr', 'bgra'):
        expected = p[:, :, :3]
    elif enc.layout in ('rgb', 'rgba'):
        expected = p[:, :, 2::-1]
    else:
        pairs = pixels.reshape(height, width // 2, 4)
        order = {'uyvy': (1, 3, 0, 2), 'yuyv': (0, 2, 1, 3)}[enc.layout]
        y0, y1, u, v = (pairs[:, :, i] for i in order)
        ys = np.stack([y0, y1], axis=2).reshape(height, width)
        expected = _bt601_to_bgr(ys, np.repeat(u, 2, axis=1), np.repeat(v, 2, axis=1))
        assert np.abs(bgr.astype(np.float64) - expected).max() <= 1.0
        return
    np.testing.assert_array_equal(bgr, expected)


def test_to_bgr_copies():
    pixels = np.zeros((4, 6, 3), np.uint8)
    bgr = to_bgr(RawImage.from_array(pixels, 'bgr8'))
    bgr[:] = 255
    assert pixels.max() == 0


def test_draw_puts_box_edges_in_class_colour(rng):
    height, width = 480, 640
    canvas = np.zeros((height, width, 3), np.uint8)
    x1, y1 = int(rng.integers(50, 200)), int(rng.integers(80, 200))
    x2, y2 = x1 + int(rng.integers(60, 300)), y1 + int(rng.integers(60, 250))
    class_id = int(rng.integers(0, 80))
    det = Detection(x1, y1, x2, y2, 0.875, class_id, 'thing')
    out = Annotator().draw(canvas, [det], status='12.0 fps')
    assert out is canvas
    colour = np.array(colour_for(class_id), np.uint8)
    # The lower and right edges are free of the label tag.
    np.testing.assert_array_equal(canvas[y2, (x1 + x2) // 2], colour)
    np.testing.assert_array_equal(canvas[(y1 + y2) // 2, x2], colour)
    # The inside stays untouched; the tag above the box and the status line are drawn.
    assert canvas[(y1 + y2) // 2, (x1 + x2) // 2].max() == 0
    assert canvas[y1 - 5, x1 + 5].any()
    assert canvas[height - 12:height - 2, 2:40].any()
    assert not canvas[2:12, 2:40].any()


def test_draw_keeps_tags_inside_for_boxes_at_the_top():
    canvas = np.zeros((100, 200, 3), np.uint8)
    Annotator().draw(canvas, [Detection(0, 0, 199, 99, 0.5, 1, 'edge')])
    assert canvas[5, 5].any()


def test_debug_canvas_shrinks_huge_frames_and_draw_follows_the_scale():
    pixels = np.zeros((3000, 4000, 3), np.uint8)
    pixels[1000:2000, 2000:3000] = 255
    canvas, scale = debug_canvas(RawImage.from_array(pixels, 'rgb8'), 1000 * 750)
    assert scale == pytest.approx(0.25) and canvas.shape == (750, 1000, 3)
    assert canvas[375, 625].min() == 255 and canvas[100, 100].max() == 0
    det = Detection(2000, 1000, 3000, 2000, 0.9, 0, 'square')
    Annotator().draw(canvas, [det], scale=scale)
    np.testing.assert_array_equal(canvas[500, 625], colour_for(0))
    small, unscaled = debug_canvas(RawImage.from_array(pixels[:10, :20], 'rgb8'), 1000 * 750)
    assert unscaled == 1.0 and small.shape == (10, 20, 3)


def _scene_with(detections, **kwargs):
    canvas = np.zeros((300, 400, 3), np.uint8)
    return Annotator().draw(canvas, detections, **kwargs)


def test_untracked_detections_draw_as_before_whatever_trails_are_given():
    dets = [Detection(50, 60, 150, 200, 0.8, 3, 'car'), Detection(200, 50, 300, 250, 0.4, 0, 'p')]
    plain = _scene_with(dets)
    np.testing.assert_array_equal(_scene_with(dets, trails={1: [(10.0, 10.0), (390.0, 290.0)]}),
                                  plain)


def test_a_tracked_detection_gets_its_id_in_the_tag_and_its_trail():
    det = Detection(200, 100, 260, 200, 0.8, 3, 'car')
    tracked = dataclasses.replace(det, track_id=7)
    trail = [(40.0, 250.0), (120.0, 250.0), (230.0, 150.0)]
    plain = _scene_with([det])
    drawn = _scene_with([tracked], trails={7: trail, 8: [(0.0, 0.0), (399.0, 299.0)]})
    colour = np.array(colour_for(3), np.uint8)
    np.testing.assert_array_equal(drawn[250, 80], colour)       # on the trail's first leg
    assert plain[250, 80].max() == 0
    assert drawn[150, 5].max() == 0                              # another track's trail is not
    np.testing.assert_array_equal(drawn[200, 230], plain[200, 230])  # same box edge
    tag = (slice(80, 100), slice(200, 300))
    assert not np.array_equal(drawn[tag], plain[tag])          # '#7 car 0.80' vs 'car 0.80'


def test_trails_keep_recent_centres_per_camera_and_forget_stale_tracks():
    trails = TrackTrails(length=3, max_missing=2)

    def seen(x, track_id=1):
        return Detection(x, 0.0, x + 10.0, 10.0, 0.9, 0, 'p', track_id=track_id)

    for x in range(5):
        out = trails.update('front', [seen(10.0 * x), seen(100.0, None)])
    assert out == {1: [(25.0, 5.0), (35.0, 5.0), (45.0, 5.0)]}
    assert trails.update('rear', [seen(0.0, 4)]) == {4: [(5.0, 5.0)]}
    assert list(trails.update('front', [])) == [1]
    assert list(trails.update('front', [])) == [1]
    assert trails.update('front', []) == {}
    trails.forget('rear')
    assert trails.update('rear', []) == {}


def test_masks_are_tinted_in_class_colour_at_the_canvas_scale():
    canvas = np.full((100, 200, 3), 100, np.uint8)
    data = np.zeros((78, 158), bool)
    data[40:70, 100:150] = True
    det = Detection(40, 20, 198, 98, 0.9, 3, 'm', mask=InstanceMask(40, 20, data))
    Annotator(mask_alpha=0.5).draw(canvas, [det], scale=0.5)
    blend = ((np.full(3, 100.0) + np.asarray(colour_for(3))) / 2).astype(np.uint8)
    # Source pixels x 140..189, y 60..89 land at canvas x 70..94, y 30..44.
    np.testing.assert_array_equal(canvas[37, 85], blend)
    np.testing.assert_array_equal(canvas[37, 65], [100, 100, 100])
    np.testing.assert_array_equal(canvas[27, 85], [100, 100, 100])


def test_skeleton_joins_only_confident_keypoints():
    canvas = np.zeros((100, 200, 3), np.uint8)
    points = Keypoints(np.array([[20.0, 80.0], [180.0, 80.0], [100.0, 20.0]]),
                       np.array([0.9, 0.8, 0.1]))
    det = Detection(10, 10, 190, 90, 0.9, 0, 'p', keypoints=points)
    Annotator(skeleton=[(0, 1), (1, 2)]).draw(canvas, [det])
    np.testing.assert_array_equal(canvas[80, 100], colour_for(0))
    np.testing.assert_array_equal(canvas[80, 20], [255, 255, 255])
    # The low-score keypoint is neither dotted nor joined.
    assert not canvas[20, 100].any() and not canvas[50, 140].any()


def test_the_skeleton_is_the_decoders_keypoint_layout():
    output = TensorSpec('output0', (1, 5 + 4 * 2, 64), np.float32)
    pose = PoseDecoder(['hand'], output, KeypointLayout(4, 2, ((0, 1), (1, 3))))
    assert Annotator.for_decoder(pose).skeleton == ((0, 1), (1, 3))
    boxes = YoloV8Decoder(['hand'], TensorSpec('output0', (1, 5, 64), np.float32))
    assert Annotator.for_decoder(boxes).skeleton == ()
