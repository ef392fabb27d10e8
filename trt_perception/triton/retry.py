# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Exponential backoff between attempts to reach a server that is down or not ready."""

from dataclasses import dataclass
import time
from typing import Callable

from trt_perception.core.checks import is_real


@dataclass(frozen=True)
class RetryPolicy:
    """Waits of `initial`, then times `factor` after each failure, never over `maximum` s."""

    initial: float = 0.25
    factor: float = 2.0
    maximum: float = 5.0

    def __post_init__(self) -> None:
        """Reject waits that would spin or never grow, naming the value."""
        if not (is_real(self.initial) and is_real(self.maximum)
                and 0 < self.initial <= self.maximum):
            raise ValueError('retry waits must satisfy 0 < initial <= maximum, got initial=%r '
                             'maximum=%r' % (self.initial, self.maximum))
        if not is_real(self.factor) or self.factor < 1:
            raise ValueError('retry factor=%r must be at least 1' % (self.factor,))


class Backoff:
    """
    When the next attempt may run, after how many failures, and why the last one failed.

    Not thread-safe: the one thread that runs requests owns it.
    """

    def __init__(self, policy: RetryPolicy = RetryPolicy(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Start healthy: the first attempt may run at once."""
        self._policy = policy
        self._clock = clock
        self._next_attempt = 0.0
        self._delay = 0.0
        self.failures = 0
        """Failures since the last success."""
        self.reason = ''
        """Why the last attempt failed ('' after a success)."""

    def failed(self, reason: str) -> float:
        """Record a failure; return the seconds to wait before the next attempt."""
        self.failures += 1
        self.reason = reason
        self._delay = min(self._policy.maximum, self._policy.initial if self.failures == 1
                          else self._delay * self._policy.factor)
        self._next_attempt = self._clock() + self._delay
        return self._delay

    def succeeded(self) -> None:
        """Record a success: the next failure waits `initial` again."""
        self.failures = 0
        self.reason = ''
        self._next_attempt = 0.0

    def remaining(self) -> float:
        """Seconds until the next attempt may run (0 when it may run now)."""
        return max(0.0, self._next_attempt - self._clock())
