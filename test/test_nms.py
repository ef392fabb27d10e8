# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""NMS against OpenCV's independent implementation (cv2.dnn.NMSBoxes / NMSBoxesBatched)."""

import numpy as np
from opencv_nms import nms_boxes, nms_boxes_batched
import pytest

from trt_perception.core.nms import batched_nms, nms


def _seeded():
    seed = np.random.SeedSequence().entropy
    return seed, np.random.default_rng(seed)


def _random_set(rng, count, origin=0.0, integer=False):
    """
    Boxes clustered around a few centres so IoUs cover the whole range; scores with ties.

    `integer` rounds the coordinates to whole pixels, which every OpenCV compares exactly.
    """
    centres = rng.uniform(origin, origin + 400.0, size=(rng.integers(1, 6), 2))
    pick = centres[rng.integers(0, len(centres), size=count)]
    centre = pick + rng.normal(0.0, 12.0, size=(count, 2))
    size = rng.uniform(2.0, 80.0, size=(count, 2))
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    if integer:
        boxes = np.round(boxes)
    # Scores on a coarse grid give many exact ties, the case where orderings can differ.
    scores = (rng.integers(1, 21, size=count) / 20.0).astype(np.float32)
    return boxes, scores


def _xywh(boxes):
    return np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)


def _cv2_nms(boxes, scores, iou_threshold):
    return nms_boxes(_xywh(boxes), scores, iou_threshold)


def _cv2_per_class(boxes, scores, class_ids, iou_threshold):
    kept = []
    for cls in np.unique(class_ids):
        members = np.flatnonzero(class_ids == cls)
        kept.extend(members[_cv2_nms(boxes[members], scores[members], iou_threshold)])
    kept = np.asarray(kept, dtype=np.intp)
    return kept[np.lexsort((kept, -scores[kept]))]


@pytest.mark.parametrize('integer', [False, True], ids=['fractional', 'integer'])
def test_matches_opencv_on_random_sets(integer):
    seed, rng = _seeded()
    total_kept = 0
    for trial in range(300):
        boxes, scores = _random_set(rng, int(rng.integers(1, 300)), integer=integer)
        threshold = float(rng.uniform(0.05, 0.95))
        ours = nms(boxes, scores, threshold)
        np.testing.assert_array_equal(
            ours, _cv2_nms(boxes, scores, threshold),
            err_msg='seed %d trial %d threshold %.3f' % (seed, trial, threshold))
        total_kept += ours.size
    assert total_kept > 1000


def test_matches_opencv_with_duplicates_touching_and_one_empty_box():
    seed, rng = _seeded()
    for trial in range(200):
        boxes, scores = _random_set(rng, int(rng.integers(2, 120)))
        count = len(boxes)
        copies = rng.integers(0, count, size=count // 4)
        boxes[rng.integers(0, count, size=copies.size)] = boxes[copies]
        touch = rng.integers(0, count, size=2)
        boxes[touch[1]] = boxes[touch[0]] + np.array([1, 0, 1, 0]) * np.ptp(boxes[touch[0], ::2])
        flat, axis = rng.integers(0, count), rng.integers(0, 2)
        boxes[flat, 2 + axis] = boxes[flat, axis]
        threshold = float(rng.uniform(0.05, 0.95))
        np.testing.assert_array_equal(
            nms(boxes, scores, threshold), _cv2_nms(boxes, scores, threshold),
            err_msg='seed %d trial %d' % (seed, trial))


def test_zero_area_boxes_never_suppress_each_other():
    # OpenCV counts two empty rectangles as identical (IoU 1) wherever they are; a point at
    # (10, 10) and one at (300, 300) are not the same object, so both stay here.
    boxes = np.array([[10, 10, 10, 10], [300, 300, 300, 340], [0, 0, 50, 50]], dtype=float)
    scores = np.array([0.9, 0.8, 0.7])
    np.testing.assert_array_equal(nms(boxes, scores, 0.5), [0, 1, 2])


def test_max_output_is_a_prefix_of_the_full_result():
    seed, rng = _seeded()
    for trial in range(50):
        boxes, scores = _random_set(rng, 200)
        full = nms(boxes, scores, 0.5)
        limit = int(rng.integers(0, full.size + 2))
        np.testing.assert_array_equal(nms(boxes, scores, 0.5, max_output=limit), full[:limit],
                                      err_msg='seed %d trial %d' % (seed, trial))


def test_batched_matches_opencv_batched():
    seed, rng = _seeded()
    for trial in range(200):
        count = int(rng.integers(1, 300))
        # Away from zero: OpenCV's batched variant assumes non-negative coordinates.
        boxes, scores = _random_set(rng, count, origin=100.0)
        class_ids = rng.integers(0, 6, size=count).astype(np.int32)
        threshold = float(rng.uniform(0.05, 0.95))
        np.testing.assert_array_equal(
            batched_nms(boxes, scores, class_ids, threshold),
            nms_boxes_batched(_xywh(boxes), scores, class_ids, threshold),
            err_msg='seed %d trial %d' % (seed, trial))


def test_batched_keeps_classes_apart_with_negative_coordinates():
    # OpenCV's batched variant offsets classes by the largest coordinate only, which lets
    # classes overlap when boxes extend below zero; compare with per-class NMS instead.
    seed, rng = _seeded()
    for trial in range(100):
        count = int(rng.integers(1, 200))
        boxes, scores = _random_set(rng, count, origin=-500.0)
        class_ids = rng.integers(0, 4, size=count) * 7
        threshold = float(rng.uniform(0.05, 0.95))
        np.testing.assert_array_equal(
            batched_nms(boxes, scores, class_ids, threshold),
            _cv2_per_class(boxes, scores, class_ids, threshold),
            err_msg='seed %d trial %d' % (seed, trial))


def test_agnostic_ignores_classes():
    seed, rng = _seeded()
    boxes, scores = _random_set(rng, 150)
    class_ids = rng.integers(0, 3, size=150)
    np.testing.assert_array_equal(batched_nms(boxes, scores, class_ids, 0.4, agnostic=True),
                                  _cv2_nms(boxes, scores, 0.4), err_msg='seed %d' % seed)


def test_empty_input_gives_empty_indices():
    kept = nms(np.zeros((0, 4)), np.zeros(0), 0.5)
    assert kept.shape == (0,) and kept.dtype == np.intp
    assert batched_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0, int), 0.5).shape == (0,)


@pytest.mark.parametrize('boxes, scores, message', [
    (np.zeros((3, 5)), np.zeros(3), r'\[K, 4\]'),
    (np.zeros((3, 4)), np.zeros(2), r'scores must be shaped \[3\]'),
])
def test_bad_shapes_are_named(boxes, scores, message):
    with pytest.raises(ValueError, match=message):
        nms(boxes, scores, 0.5)
