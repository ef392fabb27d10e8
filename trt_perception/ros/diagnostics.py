# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
diagnostic_msgs statuses from camera and engine statistics, with OK/WARN/ERROR levels.

One status per camera (named ``<node>: camera <topic>``) and one for the engine (``<node>:
engine``).  docs/node.md lists every key.
"""

from dataclasses import dataclass
from typing import List, Sequence, Tuple

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from trt_perception.core.schema import setting, Settings
from trt_perception.core.stats import CameraSnapshot, seconds_stale, Summary
from trt_perception.engine_builds import BUILDING, FAILED, READY
from trt_perception.runtime.health import EngineHealth, SERVER_READY

OK = DiagnosticStatus.OK
WARN = DiagnosticStatus.WARN
ERROR = DiagnosticStatus.ERROR


@dataclass(frozen=True)
class HealthThresholds(Settings):
    """Limits that turn a camera status to WARN or ERROR; 0 disables a check."""

    expected_fps: float = setting(
        0.0, 'Output rate each camera should reach; WARN below expected_fps x '
        '(1 - fps_tolerance). 0 disables the check.', low=0.0, high=10000.0)
    fps_tolerance: float = setting(
        0.1, 'Allowed shortfall of the output rate, as a fraction of expected_fps.',
        low=0.0, high=1.0)
    max_latency_ms: float = setting(
        1000.0, 'WARN when the p95 receipt-to-publish latency exceeds this. 0 disables.',
        low=0.0, high=600000.0)
    stale_timeout: float = setting(
        5.0, 'ERROR when a camera sent no frame for this many seconds. 0 disables.',
        low=0.0, high=3600.0)
    stall_timeout: float = setting(
        5.0, 'ERROR when frames arrive but none is detected for this many seconds, or the '
        'inference worker spends longer than this on one batch. 0 disables.',
        low=0.0, high=3600.0)
    window: float = setting(5.0, 'Seconds of history behind the rates and latency percentiles.',
                            low=0.5, high=3600.0)


def camera_health(snap: CameraSnapshot, limits: HealthThresholds) -> Tuple[bytes, str]:
    """Return the level and message of a camera: ERROR when stale, WARN when slow or rejecting."""
    problems: List[Tuple[bytes, str]] = []
    stale = seconds_stale(snap, limits.stale_timeout)
    if stale is not None:
        problems.append((ERROR, 'stale: %s %.1f s' % (
            'no frame received in' if snap.seconds_since_frame is None else 'no frame for',
            stale)))
    undetected = snap.seconds_undetected
    if limits.stall_timeout > 0 and undetected is not None and undetected > limits.stall_timeout:
        problems.append((ERROR, 'frames arrive but none was detected for %.1f s' % undetected))
    minimum_fps = limits.expected_fps * (1.0 - limits.fps_tolerance)
    if limits.expected_fps > 0 and snap.output_fps < minimum_fps:
        problems.append((WARN, 'output %.1f fps is below %.1f (expected %.1f)'
                         % (snap.output_fps, minimum_fps, limits.expected_fps)))
    total = snap.stages['total']
    if limits.max_latency_ms > 0 and total.count and total.p95 > limits.max_latency_ms:
        problems.append((WARN, 'p95 latency %.1f ms is over %.1f ms'
                         % (total.p95, limits.max_latency_ms)))
    if snap.recent_rejections:
        problems.append((WARN, '%d messages rejected recently (%s)' % (
            snap.recent_rejections, ', '.join(sorted(snap.rejected)))))
    if snap.recent_bad_stamps:
        problems.append((WARN, '%d frames with unusable header stamps recently (%s)' % (
            snap.recent_bad_stamps, ', '.join(sorted(snap.bad_stamps)))))
    if not problems:
        return OK, 'detecting at %.1f fps' % snap.output_fps
    return max(level for level, _ in problems), '; '.join(text for _, text in problems)


def _summary_values(prefix: str, summary: Summary) -> List[Tuple[str, str]]:
    return [('%s_p50' % prefix, '%.2f' % summary.p50), ('%s_p95' % prefix, '%.2f' % summary.p95),
            ('%s_max' % prefix, '%.2f' % summary.max)]


def camera_values(topic: str, snap: CameraSnapshot) -> List[Tuple[str, str]]:
    """Key/value pairs of one camera status, in display order."""
    since = snap.seconds_since_frame
    values = [
        ('topic', topic),
        ('resolution', '%dx%d' % snap.resolution if snap.resolution else 'none yet'),
        ('input_fps', '%.2f' % snap.input_fps),
        ('output_fps', '%.2f' % snap.output_fps),
        ('frames_received', str(snap.received)),
        ('frames_published', str(snap.published)),
        ('frames_dropped', str(snap.dropped)),
        ('rejected_total', str(sum(snap.rejected.values()))),
    ]
    values += [('rejected.%s' % reason, str(count))
               for reason, count in sorted(snap.rejected.items())]
    values += [('bad_stamp.%s' % reason, str(count))
               for reason, count in sorted(snap.bad_stamps.items())]
    values += [('resolution_changes', str(snap.resolution_changes)),
               ('seconds_since_last_frame', 'never' if since is None else '%.2f' % since)]
    for stage, summary in snap.stages.items():
        values += _summary_values('latency_%s_ms' % stage, summary)
    values += _summary_values('age_ms', snap.age)
    return values


def engine_health(health: EngineHealth, stall_timeout: float = 0.0) -> Tuple[bytes, str]:
    """
    Return ERROR on failing batches, builds or a stall, WARN while building, else OK.

    ERROR while batches or an engine build fail or one batch runs longer than `stall_timeout`
    (0: no limit); WARN while an engine builds, or while a Triton server is down and no batch
    has failed yet (no frames came); OK names the backend and any fallback.
    """
    problems: List[str] = []
    snap, build = health.stats, health.build
    busy = snap.busy_seconds
    if stall_timeout > 0 and busy is not None and busy > stall_timeout:
        problems.append('no batch completed for %.1f s: the inference worker is stuck in one '
                        'batch' % busy)
    if snap.recent_errors:
        problems.append('batches failing: %s' % snap.last_error)
    if build is not None and build.state == FAILED:
        problems.append('TensorRT engine build failed (%s); serving with %s' % (
            build.error, health.backend))
    if problems:
        return ERROR, '; '.join(problems)
    if build is not None and build.state in (BUILDING, READY):
        return WARN, ('building the TensorRT engine for %.1f s (%s, %s, cached in %s); serving '
                      'with %s' % (build.seconds, build.target.model, build.target.precision,
                                   build.target.cache_dir, health.backend))
    if health.server_state != SERVER_READY:
        return WARN, 'server %s' % health.server_state
    message = '%s running' % (health.backend or 'backend')
    if health.fallback:
        message += ' (fallback: %s)' % health.fallback
    return OK, message


def engine_values(health: EngineHealth) -> List[Tuple[str, str]]:
    """Key/value pairs of the engine status: backend/model facts, stages, then counters."""
    snap = health.stats
    return health.values() + [
        ('batches', str(snap.batches)),
        ('batches_per_second', '%.2f' % snap.batches_per_second),
        ('inference_errors', str(snap.errors)),
        ('worker_restarts', str(snap.restarts)),
        ('worker_busy_seconds', 'idle' if snap.busy_seconds is None
         else '%.2f' % snap.busy_seconds),
        ('longest_batch_seconds', '%.3f' % snap.longest_batch_seconds),
        ('last_error', snap.last_error)]


def status(name: str, hardware_id: str, health: Tuple[bytes, str],
           values: Sequence[Tuple[str, str]]) -> DiagnosticStatus:
    """Build a DiagnosticStatus message."""
    level, message = health
    return DiagnosticStatus(level=level, name=name, message=message, hardware_id=hardware_id,
                            values=[KeyValue(key=k, value=v) for k, v in values])


def diagnostic_array(stamp, statuses: Sequence[DiagnosticStatus]) -> DiagnosticArray:
    """Build the /diagnostics message."""
    array = DiagnosticArray(status=list(statuses))
    array.header.stamp = stamp
    return array
