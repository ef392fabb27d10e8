# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Rolling latency percentiles, event rates and per-camera counters for diagnostics.

Everything here keeps only what happened in the last `window` seconds (and at most
`max_samples` entries), so memory stays bounded on a node that runs for months.  All classes are
thread-safe: the worker records while the diagnostics timer reads.
"""

from collections import deque
from dataclasses import dataclass
import math
import threading
import time
from typing import Callable, Deque, Dict, Optional, Sequence, Tuple

Clock = Callable[[], float]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """
    Return the `q`-th percentile, q in 0..100, of ascending values, interpolating linearly.

    This is numpy's default ('linear') definition; an empty input gives NaN.
    """
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * q / 100.0
    low = int(math.floor(position))
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


class _Window:
    """Timestamped entries of the last `window` seconds; callers hold their own lock."""

    def __init__(self, window: float, max_samples: int) -> None:
        if not window > 0:
            raise ValueError('window=%r seconds must be positive' % (window,))
        if max_samples < 1:
            raise ValueError('max_samples=%r must be at least 1' % (max_samples,))
        self.window = float(window)
        self.entries: Deque[Tuple[float, float]] = deque(maxlen=max_samples)

    def prune(self, now: float) -> None:
        horizon = now - self.window
        while self.entries and self.entries[0][0] < horizon:
            self.entries.popleft()


@dataclass(frozen=True)
class Summary:
    """Percentiles of the samples in a window (NaN when there were none)."""

    count: int
    p50: float
    p95: float
    max: float  # noqa: A003 (an attribute hides no builtin)


class RollingStats:
    """p50/p95/max of the values recorded in the last `window` seconds."""

    def __init__(self, window: float = 5.0, max_samples: int = 10000,
                 clock: Clock = time.monotonic) -> None:
        """Keep `window` seconds of history, at most `max_samples` entries per series."""
        self._window = _Window(window, max_samples)
        self._clock = clock
        self._lock = threading.Lock()

    def add(self, value: float, now: Optional[float] = None) -> None:
        """Record one sample."""
        now = self._clock() if now is None else now
        with self._lock:
            self._window.entries.append((now, float(value)))

    def summary(self, now: Optional[float] = None) -> Summary:
        """Percentiles of the samples still inside the window."""
        now = self._clock() if now is None else now
        with self._lock:
            self._window.prune(now)
            values = sorted(value for _, value in self._window.entries)
        if not values:
            return Summary(0, math.nan, math.nan, math.nan)
        return Summary(len(values), percentile(values, 50), percentile(values, 95), values[-1])


class RateMeter:
    """
    Events per second over the last `window` seconds.

    Until a whole window has passed since construction the rate is taken over the time
    elapsed so far, so it is right from the first second and decays to 0 when events stop.
    """

    def __init__(self, window: float = 5.0, max_samples: int = 10000,
                 clock: Clock = time.monotonic) -> None:
        """Keep `window` seconds of history, at most `max_samples` entries per series."""
        self._window = _Window(window, max_samples)
        self._clock = clock
        self._start = clock()
        self._lock = threading.Lock()

    def tick(self, now: Optional[float] = None) -> None:
        """Record one event."""
        now = self._clock() if now is None else now
        with self._lock:
            self._window.entries.append((now, 1.0))

    def count(self, now: Optional[float] = None) -> int:
        """Events inside the window."""
        now = self._clock() if now is None else now
        with self._lock:
            self._window.prune(now)
            return len(self._window.entries)

    def rate(self, now: Optional[float] = None) -> float:
        """Events per second."""
        now = self._clock() if now is None else now
        span = min(self._window.window, now - self._start)
        events = self.count(now)
        return events / span if span > 0 else 0.0


STAGES = ('convert', 'queue', 'preprocess', 'inference', 'postprocess', 'publish', 'total')
"""Per-frame stages timed by the node, in milliseconds; 'total' is receipt to published."""


@dataclass(frozen=True)
class CameraSnapshot:
    """What one camera stream did recently, as read by the diagnostics timer."""

    received: int
    published: int
    dropped: int
    input_fps: float
    output_fps: float
    rejected: Dict[str, int]
    recent_rejections: int
    resolution: Optional[Tuple[int, int]]
    resolution_changes: int
    stages: Dict[str, Summary]
    age: Summary
    seconds_since_frame: Optional[float]
    seconds_running: float
    bad_stamps: Dict[str, int]
    recent_bad_stamps: int
    seconds_undetected: Optional[float]
    """How long the oldest frame received since the last published one has waited (None
    when every frame so far was published)."""


def seconds_stale(snap: CameraSnapshot, timeout: float) -> Optional[float]:
    """Seconds without a frame when over `timeout` (0: never stale), else None."""
    if timeout <= 0:
        return None
    since = snap.seconds_running if snap.seconds_since_frame is None \
        else snap.seconds_since_frame
    return since if since > timeout else None


class StaleWatch:
    """Report a camera going stale, and coming back, once each (for one log line each way)."""

    def __init__(self, timeout: float) -> None:
        """Call a camera stale after `timeout` seconds without a frame; 0 never does."""
        self.timeout = timeout
        self.stale = False

    def update(self, snap: CameraSnapshot) -> Optional[bool]:
        """Return True when the camera just went stale, False when it just came back, else None."""
        stale = seconds_stale(snap, self.timeout) is not None
        if stale == self.stale:
            return None
        self.stale = stale
        return stale


class CameraStats:
    """Counters, rates and latency windows of one camera stream."""

    def __init__(self, window: float = 5.0, max_samples: int = 10000,
                 clock: Clock = time.monotonic, stages: Sequence[str] = STAGES) -> None:
        """
        Keep `window` seconds of history, at most `max_samples` entries per series.

        `stages` are the timed stages, in order (STAGES and any result stages).
        """
        self._clock = clock
        self._start = clock()
        self._lock = threading.Lock()
        self._received = RateMeter(window, max_samples, clock)
        self._published = RateMeter(window, max_samples, clock)
        self._rejections = RateMeter(window, max_samples, clock)
        self._stamp_problems = RateMeter(window, max_samples, clock)
        self._stages = {stage: RollingStats(window, max_samples, clock) for stage in stages}
        self._age = RollingStats(window, max_samples, clock)
        self._counts = {'received': 0, 'published': 0, 'resolution_changes': 0}
        self._rejected: Dict[str, int] = {}
        self._bad_stamps: Dict[str, int] = {}
        self._resolution: Optional[Tuple[int, int]] = None
        self._last_frame: Optional[float] = None
        self._undetected_since: Optional[float] = None

    def frame_received(self) -> None:
        """Count a message that arrived from the camera."""
        now = self._clock()
        self._received.tick(now)
        with self._lock:
            self._counts['received'] += 1
            self._last_frame = now
            if self._undetected_since is None:
                self._undetected_since = now

    def frame_rejected(self, reason: str) -> int:
        """Count an unusable message; return how many were rejected for `reason` so far."""
        self._rejections.tick()
        with self._lock:
            self._rejected[reason] = self._rejected.get(reason, 0) + 1
            return self._rejected[reason]

    def bad_stamp(self, reason: str) -> int:
        """Count a frame whose header stamp gives no age; return the count for `reason`."""
        self._stamp_problems.tick()
        with self._lock:
            self._bad_stamps[reason] = self._bad_stamps.get(reason, 0) + 1
            return self._bad_stamps[reason]

    def frame_size(self, width: int, height: int) -> Optional[Tuple[int, int]]:
        """Note a good frame's size; return the previous size when it changed, else None."""
        with self._lock:
            previous = self._resolution
            self._resolution = (width, height)
            if previous is None or previous == (width, height):
                return None
            self._counts['resolution_changes'] += 1
            return previous

    def frame_published(self, stage_ms: Dict[str, float], age_ms: float) -> None:
        """
        Count a frame whose detections went out, with its stage times and age at publish.

        An `age_ms` of NaN (a stamp that gives no age) is left out of the age percentiles.
        """
        now = self._clock()
        self._published.tick(now)
        for stage, value in stage_ms.items():
            self._stages[stage].add(value, now)
        if not math.isnan(age_ms):
            self._age.add(age_ms, now)
        with self._lock:
            self._counts['published'] += 1
            self._undetected_since = None

    def output_fps(self) -> float:
        """Frames published per second."""
        return self._published.rate()

    def snapshot(self, dropped: int = 0) -> CameraSnapshot:
        """Return counters and window summaries; `dropped` comes from the frame mailbox."""
        now = self._clock()
        with self._lock:
            counts = dict(self._counts)
            rejected = dict(self._rejected)
            resolution = self._resolution
            last = self._last_frame
            bad_stamps = dict(self._bad_stamps)
            undetected = self._undetected_since
        return CameraSnapshot(
            received=counts['received'], published=counts['published'], dropped=dropped,
            input_fps=self._received.rate(now), output_fps=self._published.rate(now),
            rejected=rejected, recent_rejections=self._rejections.count(now),
            resolution=resolution, resolution_changes=counts['resolution_changes'],
            stages={stage: stats.summary(now) for stage, stats in self._stages.items()},
            age=self._age.summary(now),
            seconds_since_frame=None if last is None else now - last,
            seconds_running=now - self._start, bad_stamps=bad_stamps,
            recent_bad_stamps=self._stamp_problems.count(now),
            seconds_undetected=None if undetected is None else now - undetected)


@dataclass(frozen=True)
class EngineSnapshot:
    """What the inference engine did recently."""

    batches: int
    batches_per_second: float
    errors: int
    recent_errors: int
    last_error: str
    busy_seconds: Optional[float]
    """How long the worker has been on the batch in hand; None while it waits for frames."""
    longest_batch_seconds: float
    """The longest the worker ever spent on one batch (conversion to publishing)."""
    restarts: int


class EngineStats:
    """Batch rate, failures and the heartbeat of the inference worker."""

    def __init__(self, window: float = 5.0, max_samples: int = 10000,
                 clock: Clock = time.monotonic) -> None:
        """Keep `window` seconds of history, at most `max_samples` entries per series."""
        self._clock = clock
        self._batches = RateMeter(window, max_samples, clock)
        self._errors = RateMeter(window, max_samples, clock)
        self._lock = threading.Lock()
        self._counts = {'batches': 0, 'errors': 0, 'restarts': 0}
        self._last_error = ''
        self._busy_since: Optional[float] = None
        self._longest = 0.0

    def worker_busy(self) -> None:
        """Note that the worker took frames and starts on them."""
        now = self._clock()
        with self._lock:
            self._busy_since = now

    def worker_idle(self) -> None:
        """Note that the worker is done with its frames (published, rejected or failed)."""
        now = self._clock()
        with self._lock:
            if self._busy_since is not None:
                self._longest = max(self._longest, now - self._busy_since)
            self._busy_since = None

    def worker_restarted(self, reason: str) -> None:
        """Note that the worker thread ended and a new one started; counts as a failure."""
        self.batch_failed(reason)
        with self._lock:
            self._counts['restarts'] += 1
            self._busy_since = None

    def batch_done(self) -> None:
        """One batch went through the pipeline."""
        self._batches.tick()
        with self._lock:
            self._counts['batches'] += 1

    def batch_failed(self, error: str) -> None:
        """One batch raised; `error` says what happened."""
        self._errors.tick()
        with self._lock:
            self._counts['errors'] += 1
            self._last_error = error

    def snapshot(self) -> EngineSnapshot:
        """Return counters and rates."""
        now = self._clock()
        with self._lock:
            counts = dict(self._counts)
            last_error = self._last_error
            busy_since = self._busy_since
            longest = self._longest
        return EngineSnapshot(counts['batches'], self._batches.rate(now), counts['errors'],
                              self._errors.count(now), last_error,
                              None if busy_since is None else now - busy_since, longest,
                              counts['restarts'])
