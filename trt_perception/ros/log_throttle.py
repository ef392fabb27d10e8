# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Per-key log throttling: a bad stream logs once per period per problem, not once per frame.

rclpy's own ``throttle_duration_sec`` throttles per call site, so a second kind of bad input
on the same camera would stay silent; here every (camera, reason) key has its own period.
"""

import threading
import time
from typing import Callable, Dict, Hashable, Optional, Tuple


class LogThrottle:
    """Say when a keyed message may be logged, and how many were held back since."""

    def __init__(self, period: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Allow one message per key every `period` seconds."""
        self.period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._state: Dict[Hashable, Tuple[float, int]] = {}

    def allow(self, key: Hashable) -> Optional[int]:
        """None to stay silent; else the count of messages suppressed since the last one."""
        now = self._clock()
        with self._lock:
            last, suppressed = self._state.get(key, (None, 0))
            if last is not None and now - last < self.period:
                self._state[key] = (last, suppressed + 1)
                return None
            self._state[key] = (now, 0)
            return suppressed


class ThrottledLogger:
    """
    An rclpy logger whose messages are throttled per key, with one method per severity.

    rclpy remembers the severity of every call site and raises ``ValueError('Logger severity
    cannot be changed between calls.')`` when one line of code logs at a second severity, so
    each severity here calls the rclpy logger from its own line.
    """

    def __init__(self, ros_logger, period: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Log to `ros_logger` (a node's get_logger()), once per key every `period` s."""
        self._ros_logger = ros_logger
        self._throttle = LogThrottle(period, clock)

    def _text(self, key: Hashable, text: str) -> Optional[str]:
        suppressed = self._throttle.allow(key)
        if suppressed:
            return text + ' (%d similar messages not logged)' % suppressed
        return text if suppressed is not None else None

    def info(self, key: Hashable, text: str) -> None:
        """Log `text` at INFO unless `key` logged within the period."""
        line = self._text(key, text)
        if line is not None:
            self._ros_logger.info(line)

    def warning(self, key: Hashable, text: str) -> None:
        """Log `text` at WARN unless `key` logged within the period."""
        line = self._text(key, text)
        if line is not None:
            self._ros_logger.warning(line)

    def error(self, key: Hashable, text: str) -> None:
        """Log `text` at ERROR unless `key` logged within the period."""
        line = self._text(key, text)
        if line is not None:
            self._ros_logger.error(line)
