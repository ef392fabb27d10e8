# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Greedy non-maximum suppression on corner-format boxes, vectorised with numpy.

Conventions (the same as OpenCV's `cv2.dnn.NMSBoxes`): candidates are visited by descending
score, equal scores in index order; a candidate is dropped when its IoU with an already kept box
is greater than `iou_threshold`.  One deliberate difference: two boxes of zero area have IoU 0
here, where OpenCV counts them as identical (IoU 1) however far apart they are.  A box with
x2 < x1 or y2 < y1 has zero area.
"""

from typing import List, Optional

import numpy as np


def _check(boxes_xyxy, scores):
    boxes = np.asarray(boxes_xyxy, dtype=np.float64)
    scores = np.asarray(scores)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError('boxes must be shaped [K, 4] (x1, y1, x2, y2), got %s'
                         % (boxes.shape,))
    if scores.shape != (boxes.shape[0],):
        raise ValueError('scores must be shaped [%d] to match the boxes, got %s'
                         % (boxes.shape[0], scores.shape))
    return boxes, scores


def nms(boxes_xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float,
        max_output: Optional[int] = None) -> np.ndarray:
    """
    Return the indices of the boxes kept by greedy NMS, highest score first.

    `max_output` stops after that many boxes are kept (the first `max_output` of the full
    result); None keeps all survivors.
    """
    boxes, scores = _check(boxes_xyxy, scores)
    order = np.argsort(-scores, kind='stable')
    limit = order.size if max_output is None else max(int(max_output), 0)
    x1, y1, x2, y2 = np.ascontiguousarray(boxes[order].T)
    areas = np.maximum(x2 - x1, 0.0) * np.maximum(y2 - y1, 0.0)
    # One vectorised IoU row per kept box against the candidates still alive: real detector
    # output has many overlapping candidates per object, so the alive set shrinks fast and
    # the loop runs about once per object (measured faster than blockwise IoU matrices on
    # that workload; see bench/cpu_pipeline.py).
    alive = np.arange(order.size)
    kept: List[int] = []
    while alive.size and len(kept) < limit:
        best, rest = alive[0], alive[1:]
        kept.append(best)
        width = np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest])
        height = np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest])
        inter = np.maximum(width, 0.0) * np.maximum(height, 0.0)
        # IoU > t as inter > t * union avoids dividing, and 0 / 0 (two empty boxes) stays 0.
        alive = rest[~(inter > iou_threshold * (areas[best] + areas[rest] - inter))]
    return order[np.asarray(kept, dtype=np.intp)]


def batched_nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray,
                iou_threshold: float, max_output: Optional[int] = None,
                agnostic: bool = False) -> np.ndarray:
    """
    Per-class NMS (boxes of different classes never suppress each other) in one pass.

    With `agnostic` every box competes with every other, whatever its class.
    """
    boxes, scores = _check(boxes, scores)
    class_ids = np.asarray(class_ids)
    if class_ids.shape != scores.shape:
        raise ValueError('class_ids must be shaped %s to match the boxes, got %s'
                         % (scores.shape, class_ids.shape))
    if agnostic or boxes.shape[0] == 0:
        return nms(boxes, scores, iou_threshold, max_output)
    # Shifting each class by more than the extent of all boxes puts the classes in disjoint
    # regions, so a single NMS pass is exactly per-class NMS.  The extent is measured from the
    # smallest coordinate, which keeps the regions apart for negative coordinates too.
    span = float(boxes.max() - boxes.min()) + 1.0
    shift = (class_ids - class_ids.min()).astype(np.float64) * span
    return nms(boxes + shift[:, None], scores, iou_threshold, max_output)
