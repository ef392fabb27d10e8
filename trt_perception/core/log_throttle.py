# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Per-key log throttling: a bad stream logs once per period per problem, not once per frame.

Used by the node's rclpy logger (ros.log_throttle) and by the result stages' warnings
(runtime.stages), so it imports neither.
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
