# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
ResultStages from plugins: built from settings, run in order and timed, changed at run time.

`numbering` and `checking` are throwaway plugins: a stage with per-camera state and one that
sees what the stage before it did.
"""

from dataclasses import dataclass, replace
import logging

import pytest

from trt_perception.core.depth.stage import DepthStage
from trt_perception.core.detection import Detection
from trt_perception.core.schema import setting, Settings
from trt_perception.core.stages import FrameInfo, ResultStage
from trt_perception.core.tracking import TrackerSettings
from trt_perception.runtime.stages import ResultStages, STAGE_PLUGINS, StagePlugin, StageWarnings

LOG = logging.getLogger('test_runtime_stages')
FOUND = Detection(1.0, 2.0, 3.0, 4.0, 0.9, 0, 'person')


@dataclass(frozen=True)
class NumberingSettings(Settings):
    """Settings of the throwaway numbering stage."""

    enabled: bool = setting(True, 'Number the detections.')
    first: int = setting(0, 'First number given on each camera.', low=0, runtime=True)
    label: str = setting('n', 'Fixed at start.')


class Numbering(ResultStage):
    """Give each camera's detections consecutive track ids, from `first`."""

    name = 'numbering'

    def __init__(self, settings):
        self.settings = settings
        self.next = {}
        self.frames = 0
        self.closed = False

    def process(self, frame, detections):
        self.frames += 1
        start = self.next.get(frame.camera, self.settings.first)
        self.next[frame.camera] = start + len(detections)
        return [replace(d, track_id=start + i) for i, d in enumerate(detections)]

    def forget(self, camera):
        self.next.pop(camera, None)

    def health(self):
        return {'frames': self.frames, 'cameras': len(self.next)}

    def close(self):
        self.closed = True


@dataclass(frozen=True)
class CheckingSettings(Settings):
    """Settings of the throwaway checking stage."""

    enabled: bool = setting(True, 'Check that numbering ran first.')


class Checking(ResultStage):
    """Keep only numbered detections: it runs after numbering or drops everything."""

    name = 'checking'

    def __init__(self):
        self.stamps = []

    def process(self, frame, detections):
        self.stamps.append(frame.stamp)
        return [d for d in detections if d.track_id is not None]


def _reconfigure(stage, settings):
    stage.settings = settings


NUMBERING = StagePlugin(NumberingSettings, 'numbering.',
                        lambda s, log: Numbering(s) if s.enabled else None, _reconfigure)
CHECKING = StagePlugin(CheckingSettings, 'checking.',
                       lambda s, log: Checking() if s.enabled else None)


def frame(camera, stamp=1.5):
    return FrameInfo(camera, stamp, 640, 480, 'cam')


def test_tracking_is_registered_off_by_default_and_on_with_one_setting():
    assert [plugin.settings for plugin in STAGE_PLUGINS][:1] == [TrackerSettings]
    assert 'tracking' not in ResultStages(STAGE_PLUGINS, {}, LOG).names
    stages = ResultStages(STAGE_PLUGINS, {'tracking': True, 'tracking.min_hits': 1}, LOG)
    assert stages.names[:1] == ('tracking',)
    ids = [[d.track_id for d in stages.run(frame('front', 0.1 * i), [FOUND], {})]
           for i in range(3)]
    assert ids == [[1], [1], [1]]
    stages.change({'tracking.min_hits': 4, 'conf_threshold': 0.3})
    assert stages._built[0].stage.settings.min_hits == 4
    stages.forget('front')
    assert stages.health()['tracking']['active_tracks'] == 0
    stages.close()


class Records(logging.Handler):
    """Keep the messages logged."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_stage_warnings_log_each_key_once_a_period_with_the_count_held_back():
    log = logging.getLogger('test_runtime_stages.warnings')
    records = Records()
    log.addHandler(records)
    now = [0.0]
    warn = StageWarnings(log, 5.0, lambda: now[0])
    for _ in range(3):
        warn('front/gap', 'gap on front')
    warn('rear/gap', 'gap on rear')
    now[0] = 5.0
    warn('front/gap', 'gap on front')
    log.removeHandler(records)
    assert records.lines == ['gap on front', 'gap on rear',
                             'gap on front (2 similar messages not logged)']


def test_every_registered_stage_is_off_by_default():
    assert ResultStages(STAGE_PLUGINS, {}, LOG).names == ()


def test_the_depth_stage_is_built_when_a_depth_topic_is_set_and_found_by_name(caplog):
    stages = ResultStages(STAGE_PLUGINS, {'depth.topics': ['aligned_depth_to_color/image_raw'],
                                          'depth.percentile': 30.0}, LOG)
    assert 'depth' in stages.names
    depth = stages.stage('depth')
    assert isinstance(depth, DepthStage)
    assert stages.stage('nothing') is None
    # Its problems are warnings on the runtime's log, once per key per period.
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        for _ in range(3):
            depth.refuse('/camera/color/image_raw', 'bad_depth', ValueError('step 10 < 1280'))
    assert [r.getMessage() for r in caplog.records] == [
        'depth image for /camera/color/image_raw refused: step 10 < 1280']
    assert depth.health()['bad_depth'] == 3
    stages.change({'depth.percentile': 20.0})
    with pytest.raises(ValueError, match='depth.buffer'):
        stages.change({'depth.buffer': 3})
    stages.close()


def test_stages_run_in_order_per_camera_each_timed():
    stages = ResultStages([NUMBERING, CHECKING], {}, LOG)
    assert stages.names == ('numbering', 'checking')
    times = {'inference': 1.0}
    out = stages.run(frame('front'), [FOUND, FOUND], times)
    assert [d.track_id for d in out] == [0, 1]
    assert set(times) == {'inference', 'numbering', 'checking'}
    assert all(ms >= 0 for ms in times.values())
    assert [d.track_id for d in stages.run(frame('rear'), [FOUND], {})] == [0]
    assert [d.track_id for d in stages.run(frame('front', 2.0), [FOUND], {})] == [2]
    assert stages.health() == {'numbering': {'frames': 3, 'cameras': 2}, 'checking': {}}
    stages.forget('front')
    assert [d.track_id for d in stages.run(frame('front'), [FOUND], {})] == [0]
    numbering = stages._built[0].stage
    stages.close()
    assert numbering.closed


def test_in_the_other_order_the_checking_stage_sees_no_numbers():
    stages = ResultStages([CHECKING, NUMBERING], {}, LOG)
    assert stages.run(frame('front'), [FOUND], {}) == []


def test_settings_come_by_outside_name_and_a_disabled_stage_is_left_out():
    stages = ResultStages([NUMBERING, CHECKING],
                          {'numbering.first': 10, 'checking.enabled': False, 'conf': 0.5}, LOG)
    assert stages.names == ('numbering',)
    assert [d.track_id for d in stages.run(frame('front'), [FOUND], {})] == [10]
    with pytest.raises(ValueError, match='numbering.first=-1 is out of range'):
        ResultStages([NUMBERING], {'numbering.first': -1}, LOG)


def test_run_time_changes_reach_the_stage_and_others_are_refused():
    stages = ResultStages([NUMBERING, CHECKING], {}, LOG)
    stages.change({'numbering.first': 5, 'conf_threshold': 0.3})
    assert stages._built[0].stage.settings.first == 5
    assert [d.track_id for d in stages.run(frame('side'), [FOUND], {})] == [5]
    with pytest.raises(ValueError, match='numbering.first=-2'):
        stages.change({'numbering.first': -2})
    with pytest.raises(ValueError, match='checking.enabled cannot change'):
        stages.change({'checking.enabled': False, 'numbering.first': 7})
    # A plugin that takes run-time changes still refuses its settings not marked run-time.
    with pytest.raises(ValueError, match='numbering.label cannot change'):
        stages.change({'numbering.label': 'm', 'numbering.first': 7})
    assert stages._built[0].stage.settings.first == 5, 'a refused change changes nothing'
