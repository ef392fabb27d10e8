# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for diagnostics levels and key/value layout."""

import math

import pytest
from ros_imports import ros_imports

with ros_imports():
    import diagnostic_msgs.msg  # noqa: F401 (trt_perception.ros.diagnostics needs it)


from trt_perception.core.stats import STAGES, CameraSnapshot, EngineSnapshot, Summary  # noqa
from trt_perception.ros import diagnostics  # noqa: E402
from trt_perception.ros.diagnostics import ERROR, HealthThresholds, OK, WARN  # noqa: E402
from trt_perception.runtime.health import EngineHealth  # noqa: E402


def _snap(**changes):
    fields = {'received': 100, 'published': 90, 'dropped': 10, 'input_fps': 30.0,
              'output_fps': 29.0, 'rejected': {}, 'recent_rejections': 0,
              'resolution': (640, 480), 'resolution_changes': 0,
              'stages': {stage: Summary(90, 5.0, 9.0, 12.0) for stage in STAGES},
              'age': Summary(90, 20.0, 30.0, 40.0), 'seconds_since_frame': 0.03,
              'seconds_running': 60.0, 'bad_stamps': {}, 'recent_bad_stamps': 0,
              'seconds_undetected': None}
    fields.update(changes)
    return CameraSnapshot(**fields)


LIMITS = HealthThresholds(expected_fps=30.0, fps_tolerance=0.1, max_latency_ms=50.0,
                          stale_timeout=2.0, stall_timeout=2.0)


@pytest.mark.parametrize('changes, level, words', [
    ({}, OK, 'detecting at 29.0 fps'),
    ({'output_fps': 20.0}, WARN, 'below 27.0'),
    ({'stages': {s: Summary(9, 40.0, 60.0, 90.0) for s in STAGES}}, WARN, 'p95 latency 60.0'),
    ({'rejected': {'data_too_short': 3}, 'recent_rejections': 3}, WARN, 'data_too_short'),
    ({'seconds_since_frame': 2.5}, ERROR, 'no frame for 2.5 s'),
    ({'seconds_since_frame': None, 'seconds_running': 3.0, 'resolution': None}, ERROR,
     'no frame received'),
    ({'seconds_since_frame': None, 'seconds_running': 1.0, 'resolution': None, 'output_fps': 0.0},
     WARN, 'below'),
    ({'bad_stamps': {'negative': 2}, 'recent_bad_stamps': 2}, WARN, 'unusable header stamps'),
    # Frames keep arriving but nothing comes out: never OK, whatever the other figures say.
    ({'seconds_undetected': 2.5, 'output_fps': 0.0}, ERROR,
     'frames arrive but none was detected for 2.5 s'),
    ({'seconds_undetected': 1.5}, OK, 'detecting'),
])
def test_camera_levels(changes, level, words):
    got, message = diagnostics.camera_health(_snap(**changes), LIMITS)
    assert got == level and words in message


def test_zero_thresholds_disable_checks():
    snap = _snap(output_fps=0.0, seconds_since_frame=1e6, seconds_undetected=1e6,
                 stages={s: Summary(1, 1e6, 1e6, 1e6) for s in STAGES})
    assert diagnostics.camera_health(snap, HealthThresholds(0.0, 0.1, 0.0, 0.0, 0.0))[0] == OK


def test_camera_values_name_every_key():
    values = dict(diagnostics.camera_values('front/image', _snap(
        rejected={'unknown_encoding': 2, 'empty': 1})))
    for key in ('topic', 'resolution', 'input_fps', 'output_fps', 'frames_received',
                'frames_published', 'frames_dropped', 'rejected_total',
                'rejected.unknown_encoding', 'rejected.empty', 'resolution_changes',
                'seconds_since_last_frame', 'age_ms_p50', 'age_ms_p95', 'age_ms_max'):
        assert key in values
    for stage in STAGES:
        assert values['latency_%s_ms_p95' % stage] == '9.00'
    assert values['rejected_total'] == '3' and values['resolution'] == '640x480'


def test_engine_status_reports_fallback_and_errors():
    info = {'backend': 'onnxruntime', 'fallback': 'ONNX Runtime: no GPU'}
    healthy = EngineSnapshot(10, 5.0, 0, 0, '', None, 0.1, 0)
    level, message = diagnostics.engine_health(EngineHealth.read(healthy, info))
    assert level == OK and 'fallback: ONNX Runtime: no GPU' in message
    failing = EngineSnapshot(10, 5.0, 2, 1, 'RuntimeError: boom', None, 0.1, 0)
    assert diagnostics.engine_health(EngineHealth.read(failing, info)) == (
        ERROR, 'batches failing: RuntimeError: boom')
    values = dict(diagnostics.engine_values(EngineHealth.read(failing, info)))
    assert values['inference_errors'] == '2' and values['fallback'] == info['fallback']
    status = diagnostics.status('node: engine', 'hw', (ERROR, 'x'), sorted(values.items()))
    assert status.level == ERROR and status.hardware_id == 'hw'
    assert not math.isnan(float(values['batches_per_second']))


def test_a_remote_backends_server_away_warns_until_batches_fail():
    info = {'backend': 'triton', 'server_state': 'unavailable: Triton server grpc://x:8001 '
                                                 'is unreachable: connection refused'}
    away = EngineHealth.read(EngineSnapshot(0, 0.0, 0, 0, '', None, 0.0, 0), info)
    assert diagnostics.engine_health(away) == (
        WARN, 'server unavailable: Triton server grpc://x:8001 is unreachable: connection '
              'refused')
    failing = EngineSnapshot(3, 1.0, 1, 1, 'ServerUnavailable: down', None, 0.1, 0)
    assert diagnostics.engine_health(EngineHealth.read(failing, info)) == (
        ERROR, 'batches failing: ServerUnavailable: down')
    info['server_state'] = 'ready'
    back = EngineHealth.read(EngineSnapshot(3, 1.0, 0, 0, '', None, 0.1, 0), info)
    assert diagnostics.engine_health(back)[0] == OK


def test_engine_status_is_an_error_while_one_batch_runs_too_long():
    info = {'backend': 'onnxruntime'}
    working = EngineSnapshot(10, 5.0, 0, 0, '', 0.5, 0.5, 0)
    assert diagnostics.engine_health(EngineHealth.read(working, info), stall_timeout=2.0)[0] == OK
    stuck = EngineSnapshot(10, 0.0, 0, 0, '', 7.5, 0.5, 1)
    level, message = diagnostics.engine_health(EngineHealth.read(stuck, info),
                                               stall_timeout=2.0)
    assert level == ERROR and 'no batch completed for 7.5 s' in message
    assert diagnostics.engine_health(EngineHealth.read(stuck, info), stall_timeout=0.0)[0] == OK
    values = dict(diagnostics.engine_values(EngineHealth.read(stuck, info)))
    assert values['worker_restarts'] == '1' and values['worker_busy_seconds'] == '7.50'
