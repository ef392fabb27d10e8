# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
OpenCV's NMS as the independent reference, called the way every OpenCV from 4.1 accepts.

OpenCV 4.1 (JetPack 4.6's; opencv-python-headless 4.1.2 in the Python 3.6 tests) differs from
today's in three ways that matter here: `cv2.dnn.NMSBoxes` aborts the process when given a
numpy array of boxes, its Python binding has only the integer-rectangle overload (it rounds
every coordinate), and there is no `NMSBoxesBatched` (4.6+).  So boxes go in as lists of
floats, which select the double-precision overload wherever it exists; boxes with fractional
coordinates skip the comparison where it does not, and integer boxes compare everywhere.
"""

import cv2
import numpy as np
import pytest


def _keeps_fractional_coordinates():
    # Rounded to integers these two boxes are identical (IoU 1); in floats their IoU is 0.53.
    boxes = [[0.0, 0.0, 2.4, 2.4], [0.4, 0.4, 2.4, 2.4]]
    return np.asarray(cv2.dnn.NMSBoxes(boxes, [0.9, 0.8], 0.0, 0.6)).size == 2


FRACTIONAL_COORDINATES = _keeps_fractional_coordinates()
"""Whether this OpenCV's Python `NMSBoxes` takes boxes in floating point (not OpenCV 4.1)."""


def nms_boxes(xywh, scores, iou_threshold):
    """
    Return the indices `cv2.dnn.NMSBoxes` keeps, best first, for (x, y, w, h) boxes.

    Score threshold 0 keeps every candidate (OpenCV keeps scores strictly above it); eta 1
    turns off its adaptive threshold.  Skips the calling test when the boxes have fractional
    coordinates and this OpenCV would round them.
    """
    xywh = np.asarray(xywh, dtype=np.float64)
    if not FRACTIONAL_COORDINATES and not np.array_equal(xywh, np.round(xywh)):
        pytest.skip("OpenCV %s's Python NMSBoxes rounds boxes to integers, so it is no "
                    'reference for fractional ones; Python 3.8+ with a newer OpenCV runs this'
                    % cv2.__version__)
    kept = cv2.dnn.NMSBoxes(xywh.tolist(), np.asarray(scores, dtype=np.float64).tolist(), 0.0,
                            float(iou_threshold), eta=1.0)
    return np.asarray(kept, dtype=np.intp).reshape(-1)


def nms_boxes_batched(xywh, scores, class_ids, iou_threshold):
    """
    Return the indices `cv2.dnn.NMSBoxesBatched` keeps, computed as it does, by `NMSBoxes`.

    OpenCV keeps classes apart by shifting each box by ``class_id * (largest coordinate + 1)``
    and running one NMS; identical to ``NMSBoxesBatched`` on OpenCV 5.0 over 2000 random sets
    of up to 300 boxes in 6 classes.  Like it, this needs non-negative coordinates.
    """
    xywh = np.asarray(xywh, dtype=np.float64)
    corners = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
    largest = max(0.0, float(corners.max())) if len(xywh) else 0.0
    shifted = xywh.copy()
    shifted[:, :2] += np.asarray(class_ids, dtype=np.float64)[:, None] * (largest + 1.0)
    return nms_boxes(shifted, scores, iou_threshold)
