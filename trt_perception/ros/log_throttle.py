# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Per-key throttled logging to rclpy: a bad stream logs once per period per problem.

rclpy's own ``throttle_duration_sec`` throttles per call site, so a second kind of bad input
on the same camera would stay silent; here every (camera, reason) key has its own period
(`core.log_throttle.LogThrottle`).
"""

import time
from typing import Callable, Hashable, Optional

from trt_perception.core.log_throttle import LogThrottle


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
        return self._throttle.line(key, text)

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
