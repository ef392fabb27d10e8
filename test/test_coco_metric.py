# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""COCO box mAP: a case worked by hand, and random scenes against pycocotools' COCOeval."""

import contextlib
import io

import numpy as np
import pytest

from trt_perception.core.coco_metric import box_iou, coco_map, GroundTruth, ScoredBox


def hand_case():
    """Two images, two categories; the same three detections on each image."""
    truths = [GroundTruth(1, 1, (0, 0, 20, 20)), GroundTruth(1, 2, (40, 0, 20, 20)),
              GroundTruth(2, 1, (30, 30, 20, 20)), GroundTruth(2, 2, (0, 40, 20, 20))]
    detections = []
    for image in (1, 2):
        detections += [ScoredBox(image, 1, (0, 0, 20, 20), 0.9),
                       # IoU 400 / 488 = 0.82 with image 2's category-1 box.
                       ScoredBox(image, 1, (30, 30, 20, 24.4), 0.8),
                       ScoredBox(image, 2, (0, 40, 20, 20), 0.7)]
    return truths, detections


def test_a_case_worked_by_hand():
    # Category 1, ranked (ties in image order): TP, FP, FP, TP at IoU <= 0.80 (7 thresholds):
    # precision made non-increasing 1, .5, .5, .5 at recall .5, .5, .5, 1; the 51 recall
    # points 0..0.50 read 1 and the 50 above read 0.5: AP = 76 / 101.  Above 0.82 the last is
    # a FP too: the 51 points read 1, the rest 0: AP = 51 / 101.
    # Category 2: FP, TP at every threshold: precision .5, .5 at recall 0, .5: AP = 25.5 / 101.
    truths, detections = hand_case()
    summary = coco_map(truths, detections)
    ap1 = (7 * 76 / 101 + 3 * 51 / 101) / 10
    assert summary['AP/1'] == pytest.approx(ap1)
    assert summary['AP/2'] == pytest.approx(25.5 / 101)
    assert summary['mAP'] == pytest.approx((ap1 + 25.5 / 101) / 2)
    assert summary['mAP50'] == pytest.approx((76 / 101 + 25.5 / 101) / 2)
    assert summary['mAP75'] == pytest.approx((76 / 101 + 25.5 / 101) / 2)
    assert summary['categories'] == 2


def test_perfect_and_empty_results():
    truths, _ = hand_case()
    perfect = [ScoredBox(t.image_id, t.category_id, t.box, 1.0) for t in truths]
    assert coco_map(truths, perfect)['mAP'] == pytest.approx(1.0)
    assert coco_map(truths, [])['mAP'] == 0.0
    assert coco_map([], perfect)['mAP'] == -1.0


def test_iou_against_crowd_divides_by_the_detection():
    iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[0, 0, 10, 10], [5, 0, 100, 100]]),
                  np.array([False, True]))
    np.testing.assert_allclose(iou, [[1.0, 0.5]])


def random_scene(rng, images=12, categories=4):
    truths, detections = [], []
    for image in range(1, images + 1):
        for _ in range(rng.integers(0, 8)):
            x, y = rng.uniform(0, 400, 2)
            w, h = rng.uniform(5, 120, 2)
            category = int(rng.integers(1, categories + 1))
            truths.append(GroundTruth(image, category, (x, y, w, h), bool(rng.random() < 0.1)))
            for _ in range(rng.integers(0, 3)):
                jitter = rng.normal(0, 0.15, 4) * [w, h, w, h]
                detections.append(ScoredBox(image, category if rng.random() < 0.8 else
                                            int(rng.integers(1, categories + 1)),
                                            tuple(np.abs([x, y, w, h] + jitter)),
                                            float(rng.choice([0.3, 0.5, rng.random()]))))
        for _ in range(rng.integers(0, 5)):
            detections.append(ScoredBox(image, int(rng.integers(1, categories + 1)),
                                        tuple(rng.uniform(1, 300, 4)), float(rng.random())))
    return truths, detections


def pycocotools_map(truths, detections, categories=4):
    coco_module = pytest.importorskip('pycocotools.coco')
    cocoeval = pytest.importorskip('pycocotools.cocoeval')
    images = sorted({t.image_id for t in truths} | {d.image_id for d in detections})
    dataset = {
        'info': {}, 'images': [{'id': i, 'width': 640, 'height': 640} for i in images],
        'categories': [{'id': c} for c in range(1, categories + 1)],
        'annotations': [{'id': k + 1, 'image_id': t.image_id, 'category_id': t.category_id,
                         'bbox': list(t.box), 'area': t.box[2] * t.box[3],
                         'iscrowd': int(t.crowd)} for k, t in enumerate(truths)]}
    with contextlib.redirect_stdout(io.StringIO()):
        ground = coco_module.COCO()
        ground.dataset = dataset
        ground.createIndex()
        results = ground.loadRes([{'image_id': d.image_id, 'category_id': d.category_id,
                                   'bbox': list(d.box), 'score': d.score}
                                  for d in detections])
        evaluation = cocoeval.COCOeval(ground, results, 'bbox')
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation.stats[0], evaluation.stats[1], evaluation.stats[2]


@pytest.mark.parametrize('seed', range(6))
def test_equals_pycocotools(seed):
    truths, detections = random_scene(np.random.default_rng(seed))
    ours = coco_map(truths, detections)
    expected = pycocotools_map(truths, detections)
    assert (ours['mAP'], ours['mAP50'], ours['mAP75']) == pytest.approx(expected, abs=1e-12)


def test_hand_case_equals_pycocotools():
    truths, detections = hand_case()
    ours = coco_map(truths, detections)
    assert (ours['mAP'], ours['mAP50'], ours['mAP75']) == pytest.approx(
        pycocotools_map(truths, detections, categories=2), abs=1e-12)
