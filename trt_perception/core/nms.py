# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Greedy non-maximum suppression on corner-format boxes, vectorised with numpy.

Conventions (the same as OpenCV's `cv2.dnn.NMSBoxes`): candidates are visited by descending
score, equal scores in index order; a candidate is dropped when its IoU with an already kept box
is greater than `iou_threshold`.  One deliberate difference: two boxes of zero area have IoU 0
here, where OpenCV counts them as identical (IoU 1) however far apart they are.  A box with
x2 < x1 or y2 < y1 has zero area.
"""

from __future__ import annotations

from typing import Optional

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


_BLOCK = 128
"""Candidates resolved together: bounds the IoU matrices at _BLOCK x (kept boxes) entries."""


class _SortedBoxes:
    """Boxes in visiting order, with their areas, for IoU tests between groups of them."""

    def __init__(self, boxes: np.ndarray) -> None:
        self.x1, self.y1, self.x2, self.y2 = np.ascontiguousarray(boxes.T)
        self.areas = (np.maximum(self.x2 - self.x1, 0.0)
                      * np.maximum(self.y2 - self.y1, 0.0))

    def overlaps(self, rows: np.ndarray, cols: np.ndarray, threshold: float) -> np.ndarray:
        """Matrix of IoU(rows[i], cols[j]) > threshold; 0 / 0 counts as IoU 0."""
        width = (np.minimum(self.x2[rows, None], self.x2[cols])
                 - np.maximum(self.x1[rows, None], self.x1[cols]))
        height = (np.minimum(self.y2[rows, None], self.y2[cols])
                  - np.maximum(self.y1[rows, None], self.y1[cols]))
        inter = np.maximum(width, 0.0) * np.maximum(height, 0.0)
        union = self.areas[rows, None] + self.areas[cols] - inter
        return inter > threshold * union


def nms(boxes_xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float,
        max_output: Optional[int] = None) -> np.ndarray:
    """Return the indices of the boxes kept by greedy NMS, highest score first.

    `max_output` stops after that many boxes are kept (the first `max_output` of the full
    result); None keeps all survivors.
    """
    boxes, scores = _check(boxes_xyxy, scores)
    order = np.argsort(-scores, kind='stable')
    limit = order.size if max_output is None else max(int(max_output), 0)
    sorted_boxes = _SortedBoxes(boxes[order])
    kept = np.zeros(0, dtype=np.intp)
    # Candidates go in blocks: a block first loses what the boxes kept so far suppress, then
    # is resolved within itself.  Inside a block, keep[j] = no kept i < j overlaps j is solved
    # by iterating from "all kept": each pass fixes at least one more leading candidate, so
    # the fixed point is exactly the greedy result, usually after a few passes, and Python
    # loops per block rather than per kept box.
    for start in range(0, order.size, _BLOCK):
        if kept.size >= limit:
            break
        block = np.arange(start, min(start + _BLOCK, order.size))
        if kept.size:
            block = block[~sorted_boxes.overlaps(block, kept, iou_threshold).any(axis=1)]
        suppresses = np.triu(sorted_boxes.overlaps(block, block, iou_threshold), k=1)
        alive = np.ones(block.size, dtype=bool)
        while True:
            survivors = ~suppresses[alive].any(axis=0)
            if np.array_equal(survivors, alive):
                break
            alive = survivors
        kept = np.concatenate([kept, block[alive]])
    return order[kept[:limit]]


def batched_nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray,
                iou_threshold: float, max_output: Optional[int] = None,
                agnostic: bool = False) -> np.ndarray:
    """Per-class NMS (boxes of different classes never suppress each other) in one pass.

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
