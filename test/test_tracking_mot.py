# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Our tracker against Ultralytics' BYTETracker on seeded synthetic scenes with ground truth.

Both get the same detections (tracking_scenes.py says how the scenes are drawn); both are
scored by motmetrics with the boxes of the detections they gave ids to, so the scores differ
only by association.  Ours must be at least as good on MOTA and IDF1 on every scene.
bench/tracking.py prints the same table for docs/benchmarks.md.
"""

import dataclasses

import pytest
from scipy.optimize import linear_sum_assignment
from tracking_scenes import Frame, make_scene, run_ours, run_ultralytics, SCENES, score
from tracking_scenes import SETTINGS

from trt_perception.core.tracking import TrackerStage
from trt_perception.core.tracking.assignment import GatedMatcher, numpy_linear_sum_assignment


def test_scoring_gives_known_values_on_crafted_hypotheses():
    frames = [Frame(k / 30.0, {1: (10.0 + k, 10.0, 50.0 + k, 90.0),
                               2: (200.0, 10.0, 240.0, 90.0)}) for k in range(10)]
    perfect = score(frames, [dict(frame.truth) for frame in frames])
    assert (perfect['mota'], perfect['idf1'], perfect['num_switches']) == (1.0, 1.0, 0.0)
    # Object 1's hypothesis changes id halfway and object 2 is never reported:
    # 10 misses and 1 switch over 20 truths; IDF1 = 2 * 5 / (20 + 10).
    swapped = [{7 if k < 5 else 8: frame.truth[1]} for k, frame in enumerate(frames)]
    result = score(frames, swapped)
    assert result['num_switches'] == 1 and result['num_misses'] == 10
    assert result['mota'] == pytest.approx(1 - (10 + 1) / 20.0)
    assert result['idf1'] == pytest.approx(2 * 5 / 30.0)


@pytest.mark.parametrize('spec', SCENES, ids=[spec.name for spec in SCENES])
def test_at_least_as_good_as_ultralytics_bytetrack(spec):
    frames = make_scene(spec)
    ours = score(frames, run_ours(frames))
    theirs = score(frames, run_ultralytics(frames))
    print(spec.name, 'ours', ours, 'ultralytics', theirs)
    assert ours['mota'] >= theirs['mota']
    assert ours['idf1'] >= theirs['idf1']
    assert ours['mota'] > 0.7 and ours['idf1'] > 0.7


def test_numpy_and_scipy_solvers_give_the_same_ids_on_a_crowded_scene():
    frames = make_scene(dataclasses.replace(SCENES[2], frames=150))
    groups = []

    def counted(cost):
        groups.append(cost.shape)
        return numpy_linear_sum_assignment(cost)

    with_numpy = run_ours(frames, stage=TrackerStage(SETTINGS, lambda key, text: None,
                                                     GatedMatcher(counted)))
    with_scipy = run_ours(frames, stage=TrackerStage(SETTINGS, lambda key, text: None,
                                                     GatedMatcher(linear_sum_assignment)))
    assert with_numpy == with_scipy
    assert sum(len(frame) for frame in with_numpy) > 1000
    assert len(groups) > 50  # groups of several tracks and detections went to the solver
