# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
ByteTrack's association on crafted cases, each with the ids worked out by hand.

Every case is a few boxes with known motion; the expected ids follow from the algorithm's
rules (module docstring of core.tracking.bytetrack) and are written in the test.
"""

import dataclasses

import numpy as np
import pytest

from trt_perception.core.detection import Detection
from trt_perception.core.stages import FrameInfo
from trt_perception.core.tracking import TrackerSettings, TrackerStage

SETTINGS = TrackerSettings(enabled=True)


def _box(x, y, w=40.0, h=80.0, score=0.9, class_id=0):
    return Detection(x, y, x + w, y + h, score, class_id, 'class%d' % class_id)


def _run(frames, settings=SETTINGS, camera='cam'):
    """(stamp, detections) pairs through one stage: the ids per frame, and the stage."""
    stage = TrackerStage(settings, lambda key, text: None)
    ids = [[d.track_id for d in stage.process(FrameInfo(camera, stamp, 1280, 720), dets)]
           for stamp, dets in frames]
    return ids, stage


def test_a_track_is_confirmed_at_its_second_hit_except_in_the_first_frame():
    frames = [(0.0, [_box(10, 10)])] + [
        (i / 30.0, [_box(10 + 5 * i, 10), _box(500 + 3 * i, 300)]) for i in range(1, 6)]
    ids, stage = _run(frames)
    assert ids == [[1], [1, None], [1, 2], [1, 2], [1, 2], [1, 2]]
    assert stage.health()['tracks_started'] == 2


def test_dropped_frames_are_bridged_by_the_stamps():
    # 600 px/s on a 40 px box: after three dropped frames it is 80 px on, where a one-frame
    # prediction (20 px) would not overlap it at all; the real 4/30 s step still finds it.
    stamps = [0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13]
    ids, _ = _run([(k / 30.0, [_box(100 + 20 * k, 50)]) for k in stamps])
    assert ids == [[1]] * 11


def test_a_missed_detection_keeps_the_track():
    frames = [(k / 30.0, [] if k == 4 else [_box(100 + 6 * k, 50)]) for k in range(10)]
    ids, stage = _run(frames)
    assert ids == [[1]] * 4 + [[]] + [[1]] * 5
    assert stage.health()['active_tracks'] == 1


def test_crossing_objects_keep_their_ids():
    # Head-on at 240 px/s each, 10 px apart vertically: they cover each other around
    # frame 15, and each must come out with the id it went in with.
    frames = [(k / 30.0, [_box(100 + 8 * k, 200), _box(340 - 8 * k, 210, h=84)])
              for k in range(31)]
    ids, _ = _run(frames)
    assert all(frame == [1, 2] for frame in ids)


def test_occlusion_inside_the_buffer_keeps_the_id_past_it_starts_a_new_one():
    def hidden_between(start, stop):
        return [(k / 30.0, [] if start <= k < stop else [_box(100 + 2 * k, 50)])
                for k in range(stop + 3)]
    inside, _ = _run(hidden_between(5, 5 + 24))        # 0.8 s unseen, buffer 1 s
    assert inside[-3:] == [[1]] * 3
    past, stage = _run(hidden_between(5, 5 + 40))      # 1.33 s unseen
    assert past[-3:] == [[None], [2], [2]]
    assert stage.health()['tracks_ended'] == 1


def test_a_low_score_detection_continues_a_track_but_never_starts_one():
    frames = [(k / 30.0, [_box(100 + 3 * k, 50, score=0.9 if k < 5 else 0.3),
                          _box(600, 400, score=0.3)]) for k in range(10)]
    ids, stage = _run(frames)
    assert ids == [[1, None]] * 10
    assert stage.health()['tracks_started'] == 1


def test_below_the_low_threshold_a_detection_is_ignored():
    frames = [(k / 30.0, [_box(100, 50, score=0.9 if k < 3 else 0.05)]) for k in range(6)]
    ids, stage = _run(frames)
    assert ids == [[1]] * 3 + [[None]] * 3
    assert stage.health()['lost_tracks'] == 1


def test_a_track_never_changes_class():
    frames = [(k / 30.0, [_box(100, 50, class_id=0 if k < 4 else 2)]) for k in range(7)]
    ids, stage = _run(frames)
    assert ids == [[1]] * 4 + [[None], [2], [2]]
    assert stage.health()['lost_tracks'] == 1


def test_irregular_stamps_keep_a_fast_track(rng):
    stamp, frames = 0.0, []
    for _ in range(40):
        stamp += float(rng.uniform(0.01, 0.2))
        frames.append((stamp, [_box(50 + 150 * stamp, 100 + 30 * stamp, w=80.0)]))
    ids, _ = _run(frames)
    assert ids == [[1]] * 40


def test_min_hits_delays_the_id():
    frames = [(0.0, [])] + [(k / 30.0, [_box(100, 50)]) for k in range(1, 6)]
    ids, _ = _run(frames, dataclasses.replace(SETTINGS, min_hits=3))
    assert ids == [[], [None], [None], [1], [1], [1]]
    ids, _ = _run(frames, dataclasses.replace(SETTINGS, min_hits=1))
    assert ids == [[], [1], [1], [1], [1], [1]]


def test_an_unconfirmed_track_that_misses_a_frame_is_dropped():
    frames = [(0.0, []), (0.1, [_box(100, 50)]), (0.2, []), (0.3, [_box(100, 50)]),
              (0.4, [_box(100, 50)])]
    ids, stage = _run(frames)
    assert ids == [[], [None], [], [None], [1]]
    assert stage.health()['tracks_started'] == 1


@pytest.mark.parametrize('detections', [
    [_box(5, 5, w=0.0)], [Detection(float('nan'), 0.0, 10.0, 10.0, 0.9, 0, 'x')],
    [Detection(0.0, 0.0, 10.0, 10.0, float('inf'), 0, 'x')], [_box(20, 5, h=-3.0)]])
def test_bad_boxes_are_counted_logged_and_passed_through(detections):
    logged = []
    stage = TrackerStage(SETTINGS, lambda key, text: logged.append((key, text)))
    good = _box(300, 300)
    for k in range(3):
        out = stage.process(FrameInfo('cam', k / 30.0, 640, 480), detections + [good])
        assert out[0] is detections[0] and out[1].track_id == 1
    assert stage.health()['invalid_boxes'] == 3
    assert logged[0][0] == 'tracking/cam/invalid' and 'not tracked' in logged[0][1]


def test_output_keeps_order_and_fields():
    det = dataclasses.replace(_box(10, 10), box3d=None, label='person')
    stage = TrackerStage(SETTINGS, lambda key, text: None)
    out = stage.process(FrameInfo('cam', 0.0, 640, 480), [det, _box(300, 10, score=0.2)])
    assert out[0] == dataclasses.replace(det, track_id=1)
    assert out[1].track_id is None
    assert np.array([d.box for d in out]).shape == (2, 4)
