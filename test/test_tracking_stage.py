# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The tracker stage: its settings, factory, per-camera state, stamps and health."""

import dataclasses

import pytest

from trt_perception.core.detection import Detection
from trt_perception.core.schema import settings_of
from trt_perception.core.stages import FrameInfo, ResultStage
from trt_perception.core.tracking import make_tracker_stage, TrackerSettings, TrackerStage
from trt_perception.core.tracking.stage import with_track_id

ON = TrackerSettings(enabled=True)


def _person(x=100.0, score=0.9):
    return Detection(x, 50.0, x + 40.0, 130.0, score, 0, 'person')


class _Log:

    def __init__(self):
        self.lines = []

    def __call__(self, key, text):
        self.lines.append((key, text))


def _ids(stage, camera, stamp, detections):
    return [d.track_id for d in stage.process(FrameInfo(camera, stamp, 640, 480), detections)]


def test_settings_are_named_under_tracking_and_off_by_default():
    described = settings_of(TrackerSettings)
    assert [d.name for d in described] == [
        'tracking', 'tracking.high_threshold', 'tracking.low_threshold',
        'tracking.new_track_threshold', 'tracking.match_iou', 'tracking.track_buffer',
        'tracking.min_hits']
    assert described[0].default is False and not described[0].info.runtime
    assert all(d.info.runtime for d in described[1:])
    assert TrackerSettings().enabled is False


def test_settings_refuse_bad_values_naming_them():
    with pytest.raises(ValueError, match='tracking.match_iou'):
        TrackerSettings(match_iou=0.0)
    with pytest.raises(ValueError, match='tracking.min_hits'):
        TrackerSettings(min_hits=0)
    with pytest.raises(ValueError, match='tracking.track_buffer=0.0 is out of range'):
        TrackerSettings(track_buffer=0.0)
    with pytest.raises(ValueError, match='tracking.low_threshold=0.6 is above'):
        TrackerSettings(low_threshold=0.6, high_threshold=0.5)


def test_factory_gives_a_stage_only_when_tracking_is_on():
    assert make_tracker_stage(TrackerSettings(), _Log()) is None
    stage = make_tracker_stage(ON, _Log())
    assert isinstance(stage, TrackerStage) and isinstance(stage, ResultStage)
    assert stage.name == 'tracking'


def test_each_camera_has_its_own_tracks_and_forget_drops_them():
    stage = TrackerStage(ON, _Log())
    for k in range(3):
        assert _ids(stage, 'front', k / 30.0, [_person(), _person(300)]) == [1, 2]
        assert _ids(stage, 'rear', 5.0 + k / 30.0, [_person(200)]) == [1]
    # Each camera's stamps are its own: front's, behind rear's, never count as going back.
    assert (stage.health()['active_tracks'], stage.health()['stamps_backwards']) == (3, 0)
    stage.forget('front')
    assert stage.health()['active_tracks'] == 1
    assert _ids(stage, 'front', 0.1, [_person(300)]) == [1]
    stage.close()
    assert stage.health()['active_tracks'] == 0


def test_stamps_going_back_restart_the_camera_and_are_counted():
    log = _Log()
    stage = TrackerStage(ON, log)
    for k in range(3):
        _ids(stage, 'cam', 10.0 + k / 30.0, [_person(), _person(300)])
    assert _ids(stage, 'cam', 2.0, [_person(300)]) == [1]
    health = stage.health()
    assert health['stamps_backwards'] == 1 and health['tracks_ended'] == 2
    assert log.lines[-1][0] == 'tracking/cam/backwards' and 'start afresh' in log.lines[-1][1]


def test_a_gap_longer_than_the_buffer_ends_tracks_and_is_counted():
    log = _Log()
    stage = TrackerStage(ON, log)
    for k in range(3):
        _ids(stage, 'cam', k / 30.0, [_person()])
    assert _ids(stage, 'cam', 5.0, [_person()]) == [None]
    assert _ids(stage, 'cam', 5.0 + 1 / 30.0, [_person()]) == [2]
    health = stage.health()
    assert (health['time_gaps'], health['tracks_ended']) == (1, 1)
    assert 'tracking.track_buffer=1 s' in log.lines[-1][1]


def test_a_repeated_stamp_is_a_frame_without_motion():
    stage = TrackerStage(ON, _Log())
    assert [_ids(stage, 'cam', 1.0, [_person()]) for _ in range(3)] == [[1]] * 3
    assert stage.health()['stamps_backwards'] == 0


def test_new_settings_apply_from_the_next_frame_and_keep_tracks():
    stage = TrackerStage(ON, _Log())
    _ids(stage, 'cam', 0.0, [_person()])
    stage.configure(dataclasses.replace(ON, high_threshold=0.95, new_track_threshold=0.95))
    assert stage.settings.high_threshold == 0.95
    # The known track continues through the low-score pass; a newcomer starts nothing.
    assert _ids(stage, 'cam', 1 / 30.0, [_person(), _person(400)]) == [1, None]
    assert _ids(stage, 'cam', 2 / 30.0, [_person(), _person(400)]) == [1, None]


def test_health_counts_tracks_and_rates_over_stamps():
    stage = TrackerStage(ON, _Log())
    assert stage.health()['tracks_started_per_s'] == 0.0
    # One new object every second for 20 s, each seen for 1.5 s.
    for k in range(20 * 10):
        t = k / 10.0
        people = [_person(50.0 * (i % 10), 0.9) for i in range(20) if i <= t < i + 1.5]
        stage.process(FrameInfo('cam', t, 640, 480), people)
    health = stage.health()
    assert health['tracks_started'] == 20
    assert health['tracks_started_per_s'] == pytest.approx(1.0, abs=0.12)
    assert health['tracks_ended_per_s'] == pytest.approx(1.0, abs=0.12)
    assert set(health) == {'active_tracks', 'lost_tracks', 'tracks_started', 'tracks_ended',
                           'tracks_started_per_s', 'tracks_ended_per_s', 'stamps_backwards',
                           'time_gaps', 'invalid_boxes'}


def test_the_track_id_copy_is_what_dataclasses_replace_gives():
    det = Detection(1.0, 2.0, 30.0, 40.0, 0.7, 3, 'car')
    copy = with_track_id(det, 12)
    assert copy == dataclasses.replace(det, track_id=12) and det.track_id is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.track_id = 3
