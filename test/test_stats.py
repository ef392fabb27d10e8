# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for rolling percentiles, rate meters and per-camera statistics."""

import math

import numpy as np
import pytest

from trt_perception.core.stats import (CameraStats, EngineStats, percentile, RateMeter,
                                       RollingStats, STAGES, StaleWatch)


class FakeClock:

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_percentile_matches_numpy_linear(rng):
    for size in (1, 2, 3, 10, int(rng.integers(11, 2000))):
        values = rng.normal(50.0, 20.0, size)
        ordered = sorted(values.tolist())
        for q in (0, 50, 95, 99, 100, float(rng.uniform(0, 100))):
            assert percentile(ordered, q) == pytest.approx(np.percentile(values, q), abs=1e-9)
    assert math.isnan(percentile([], 50))


def test_rolling_stats_only_summarises_the_window(rng):
    clock = FakeClock()
    stats = RollingStats(window=2.0, clock=clock)
    old = rng.uniform(1000, 2000, 50)
    for value in old:
        stats.add(value)
    clock.now += 2.5
    recent = rng.uniform(0, 10, int(rng.integers(5, 200)))
    for value in recent:
        stats.add(value)
    summary = stats.summary()
    assert summary.count == len(recent)
    assert summary.p50 == pytest.approx(np.percentile(recent, 50))
    assert summary.p95 == pytest.approx(np.percentile(recent, 95))
    assert summary.max == pytest.approx(recent.max())
    clock.now += 2.5
    empty = stats.summary()
    assert empty.count == 0 and math.isnan(empty.p50)


def test_rolling_stats_memory_is_capped(rng):
    stats = RollingStats(window=1e9, max_samples=100)
    for value in rng.uniform(0, 1, 1000):
        stats.add(value)
    assert stats.summary().count == 100


def test_rate_meter_counts_events_per_second_and_decays():
    clock = FakeClock()
    meter = RateMeter(window=5.0, clock=clock)
    for _ in range(20):
        clock.now += 0.1
        meter.tick()
    # 20 events in the 2 s since start.
    assert meter.rate() == pytest.approx(10.0)
    clock.now += 0.5
    for _ in range(100):
        clock.now += 0.05
        meter.tick()
    # The window is full now: 100 events in the last 5 s.
    assert meter.rate() == pytest.approx(100 / 5.0)
    clock.now += 10.0
    assert meter.rate() == 0.0


@pytest.mark.parametrize('window, samples', [(0.0, 10), (-1.0, 10), (1.0, 0)])
def test_bad_windows_are_refused(window, samples):
    with pytest.raises(ValueError):
        RollingStats(window, samples)


def test_camera_stats_snapshot():
    clock = FakeClock()
    stats = CameraStats(window=5.0, clock=clock)
    snap = stats.snapshot()
    assert snap.received == 0 and snap.seconds_since_frame is None and snap.resolution is None
    for index in range(4):
        clock.now += 0.5
        stats.frame_received()
        assert stats.frame_size(640, 480) is None
        stats.frame_published({stage: float(index) for stage in STAGES}, 10.0 * index)
    assert stats.frame_rejected('data_too_short') == 1
    assert stats.frame_rejected('data_too_short') == 2
    stats.frame_rejected('unknown_encoding')
    assert stats.frame_size(320, 240) == (640, 480)
    clock.now += 1.0
    snap = stats.snapshot(dropped=7)
    assert (snap.received, snap.published, snap.dropped) == (4, 4, 7)
    assert snap.rejected == {'data_too_short': 2, 'unknown_encoding': 1}
    assert snap.recent_rejections == 3
    assert snap.resolution == (320, 240) and snap.resolution_changes == 1
    assert snap.input_fps == pytest.approx(4 / 3.0)
    assert snap.seconds_since_frame == pytest.approx(1.0)
    assert snap.stages['inference'].max == 3.0 and snap.age.p50 == pytest.approx(15.0)


def test_engine_stats():
    stats = EngineStats()
    stats.batch_done()
    stats.batch_failed('RuntimeError: boom')
    snap = stats.snapshot()
    assert (snap.batches, snap.errors, snap.recent_errors) == (1, 1, 1)
    assert snap.last_error == 'RuntimeError: boom'


def test_camera_stats_bad_stamps_and_frames_waiting_for_detection():
    clock = FakeClock()
    stats = CameraStats(window=5.0, clock=clock)
    assert stats.snapshot().seconds_undetected is None
    stats.frame_received()
    clock.now += 1.0
    stats.frame_received()
    clock.now += 1.5
    # Two frames arrived, none came out: the oldest has waited 2.5 s.
    assert stats.snapshot().seconds_undetected == pytest.approx(2.5)
    assert stats.bad_stamp('negative') == 1
    stats.frame_published({'total': 5.0}, math.nan)
    snap = stats.snapshot()
    assert snap.seconds_undetected is None and snap.published == 1
    # A frame whose stamp gives no age still counts; the age percentiles skip it.
    assert snap.age.count == 0 and snap.stages['total'].count == 1
    assert snap.bad_stamps == {'negative': 1} and snap.recent_bad_stamps == 1


def test_engine_stats_heartbeat_and_restarts():
    clock = FakeClock()
    stats = EngineStats(clock=clock)
    assert stats.snapshot().busy_seconds is None
    stats.worker_busy()
    clock.now += 3.0
    assert stats.snapshot().busy_seconds == pytest.approx(3.0)
    stats.worker_idle()
    snap = stats.snapshot()
    assert snap.busy_seconds is None and snap.longest_batch_seconds == pytest.approx(3.0)
    stats.worker_restarted('the inference worker ended (SystemExit: ) and was restarted')
    snap = stats.snapshot()
    assert snap.restarts == 1 and snap.recent_errors == 1 and 'restarted' in snap.last_error


def test_stale_watch_reports_each_change_once():
    clock = FakeClock()
    stats = CameraStats(window=5.0, clock=clock)
    watch = StaleWatch(2.0)
    seen = []
    for step in range(12):
        clock.now += 0.5
        if step < 2 or step >= 9:  # frames, a gap of 3.5 s, frames again
            stats.frame_received()
        seen.append(watch.update(stats.snapshot()))
    assert [(index, change) for index, change in enumerate(seen) if change is not None] \
        == [(6, True), (9, False)]
    assert StaleWatch(0.0).update(stats.snapshot()) is None
