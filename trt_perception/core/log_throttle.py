# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Per-key log throttling: a bad stream logs once per period per problem, not once per frame.

Logging's own filters, like rclpy's ``throttle_duration_sec``, throttle per call site, so a
second kind of bad input on the same camera would stay silent; here every (camera, reason) key
has its own period.  The ROS node's `ThrottledLogger` (ros.log_throttle) and the result
stages' warnings (runtime.stages) both use it.
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

    def line(self, key: Hashable, text: str) -> Optional[str]:
        """None to stay silent; else `text`, saying how many similar ones were held back."""
        suppressed = self.allow(key)
        if suppressed:
            return text + ' (%d similar messages not logged)' % suppressed
        return text if suppressed is not None else None
