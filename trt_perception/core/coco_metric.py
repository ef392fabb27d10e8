# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
COCO-style box mAP, as pycocotools' ``COCOeval`` computes it for ``iouType='bbox'``.

For each category and image, detections best first (at most `max_detections`) are matched
greedily to the unmatched ground-truth box of highest IoU at or above each threshold 0.50,
0.55 ... 0.95; crowd boxes (``iscrowd``) match any number of detections, which then count
neither way.  Per category, detections of all images are ranked by score (ties in image
order), precision is made non-increasing from the right and read at 101 recall points; AP is
their mean, and mAP the mean over categories that have ground truth.  Only the "all areas"
figures are computed.  Written against pycocotools as the oracle (test/test_coco_metric.py),
so it runs where pycocotools does not install (JetPack's Python 3.6).
"""

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


@dataclass(frozen=True)
class GroundTruth:
    """One annotated box: image, category, x, y, width, height in pixels; crowd or not."""

    image_id: int
    category_id: int
    box: Tuple[float, float, float, float]
    crowd: bool = False


@dataclass(frozen=True)
class ScoredBox:
    """One detection: image, category, x, y, width, height in pixels, and score."""

    image_id: int
    category_id: int
    box: Tuple[float, float, float, float]
    score: float


def box_iou(detections: np.ndarray, truths: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """Compute IoU [D, G] of x, y, w, h boxes (a crowd box's divides by the detection's area)."""
    d = np.asarray(detections, dtype=np.float64).reshape(-1, 4)
    g = np.asarray(truths, dtype=np.float64).reshape(-1, 4)
    width = np.minimum(d[:, None, 0] + d[:, None, 2], g[None, :, 0] + g[None, :, 2]) \
        - np.maximum(d[:, None, 0], g[None, :, 0])
    height = np.minimum(d[:, None, 1] + d[:, None, 3], g[None, :, 1] + g[None, :, 3]) \
        - np.maximum(d[:, None, 1], g[None, :, 1])
    inter = np.clip(width, 0, None) * np.clip(height, 0, None)
    area_d = (d[:, 2] * d[:, 3])[:, None]
    area_g = (g[:, 2] * g[:, 3])[None, :]
    union = np.where(np.asarray(crowd, dtype=bool)[None, :], area_d, area_d + area_g - inter)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(union > 0, inter / union, 0.0)


def _match(detections: List[ScoredBox], truths: List[GroundTruth], max_detections: int
           ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Scores [D], matched [T, D], ignored [T, D] and the non-crowd count, for one image."""
    order = np.argsort([-d.score for d in detections], kind='mergesort')[:max_detections]
    dets = [detections[i] for i in order]
    # Crowd boxes last, as COCOeval sorts them, so real ones are matched first.
    truths = sorted(truths, key=lambda t: t.crowd)
    crowd = np.array([t.crowd for t in truths], dtype=bool)
    ious = box_iou(np.array([d.box for d in dets]), np.array([t.box for t in truths]), crowd)
    matched = np.zeros((len(IOU_THRESHOLDS), len(dets)), dtype=bool)
    ignored = np.zeros((len(IOU_THRESHOLDS), len(dets)), dtype=bool)
    for t, threshold in enumerate(IOU_THRESHOLDS):
        taken = np.zeros(len(truths), dtype=bool)
        for d in range(len(dets)):
            best, best_iou = -1, min(threshold, 1 - 1e-10)
            for g in range(len(truths)):
                if taken[g] and not crowd[g]:
                    continue
                # A real match found, the crowd boxes after it cannot replace it.
                if best > -1 and not crowd[best] and crowd[g]:
                    break
                if ious[d, g] < best_iou:
                    continue
                best, best_iou = g, ious[d, g]
            if best > -1:
                taken[best] = True
                matched[t, d] = True
                ignored[t, d] = crowd[best]
    scores = np.array([d.score for d in dets], dtype=np.float64)
    return scores, matched, ignored, int((~crowd).sum())


def _average_precision(scores: np.ndarray, matched: np.ndarray, ignored: np.ndarray,
                       positives: int) -> np.ndarray:
    """AP at each IoU threshold [T] of one category's ranked detections."""
    order = np.argsort(-scores, kind='mergesort')
    matched, ignored = matched[:, order], ignored[:, order]
    tps = np.cumsum(matched & ~ignored, axis=1, dtype=np.float64)
    fps = np.cumsum(~matched & ~ignored, axis=1, dtype=np.float64)
    result = np.zeros(len(IOU_THRESHOLDS))
    for t in range(len(IOU_THRESHOLDS)):
        tp, fp = tps[t], fps[t]
        recall = tp / positives
        precision = tp / (tp + fp + np.spacing(1))
        for i in range(len(precision) - 1, 0, -1):
            precision[i - 1] = max(precision[i - 1], precision[i])
        at = np.searchsorted(recall, RECALL_POINTS, side='left')
        sampled = np.zeros(len(RECALL_POINTS))
        inside = at < len(precision)
        sampled[inside] = precision[at[inside]]
        result[t] = sampled.mean()
    return result


def coco_map(truths: Sequence[GroundTruth], detections: Sequence[ScoredBox],
             max_detections: int = 100) -> Dict[str, float]:
    """
    Compute mAP over IoU 0.50:0.95, at 0.50 and at 0.75, and per-category AP (0.50:0.95).

    Returns ``{'mAP': ..., 'mAP50': ..., 'mAP75': ..., 'categories': n}`` plus
    ``'AP/<category id>'`` for each category with ground truth; -1 where nothing is annotated,
    as COCOeval reports.
    """
    by_key: Dict[Tuple[int, int], Tuple[List[ScoredBox], List[GroundTruth]]] = {}
    for truth in truths:
        by_key.setdefault((truth.category_id, truth.image_id), ([], []))[1].append(truth)
    for det in detections:
        by_key.setdefault((det.category_id, det.image_id), ([], []))[0].append(det)
    per_category: Dict[int, List[Tuple[np.ndarray, np.ndarray, np.ndarray, int]]] = {}
    for (category, _), (dets, gts) in sorted(by_key.items()):
        per_category.setdefault(category, []).append(_match(dets, gts, max_detections))
    aps = {}
    for category, images in per_category.items():
        positives = sum(image[3] for image in images)
        if positives == 0:
            continue
        aps[category] = _average_precision(
            np.concatenate([image[0] for image in images]),
            np.concatenate([image[1] for image in images], axis=1),
            np.concatenate([image[2] for image in images], axis=1), positives)
    if not aps:
        return {'mAP': -1.0, 'mAP50': -1.0, 'mAP75': -1.0, 'categories': 0}
    table = np.array([aps[c] for c in sorted(aps)])
    summary = {'mAP': float(table.mean()), 'mAP50': float(table[:, 0].mean()),
               'mAP75': float(table[:, 5].mean()), 'categories': len(aps)}
    summary.update({'AP/%d' % c: float(aps[c].mean()) for c in sorted(aps)})
    return summary
