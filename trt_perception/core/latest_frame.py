# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
A per-camera mailbox that keeps only the newest frame, so a slow consumer never lags.

Producers (subscription callbacks) `put` without ever blocking; a newer frame replaces the one
still waiting and the replaced frame is counted as dropped.  One consumer (the inference worker)
`take`s up to one frame per camera, oldest-waiting camera first, so no camera starves another.
Memory is bounded by one frame per camera whatever the input rate.
"""

from collections import OrderedDict
import threading
import time
from typing import Callable, Dict, Generic, Hashable, List, Optional, Tuple, TypeVar

T = TypeVar('T')


class MailboxClosed(Exception):
    """Raised by `take` once the mailbox was closed and nothing is left to take."""


class LatestFrameMailbox(Generic[T]):
    """Newest-frame slots keyed by camera; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Start empty; `clock` times how long frames wait."""
        self._clock = clock
        self._cond = threading.Condition()
        # Insertion order is arrival order of the frame now waiting: the front camera has
        # waited longest.
        self._slots: 'OrderedDict[Hashable, Tuple[T, float]]' = OrderedDict()
        self._put: Dict[Hashable, int] = {}
        self._dropped: Dict[Hashable, int] = {}
        self._closed = False

    def put(self, camera: Hashable, frame: T) -> bool:
        """Store `frame` as `camera`'s newest; return True when it replaced (dropped) one."""
        with self._cond:
            if self._closed:
                return False
            replaced = self._slots.pop(camera, None) is not None
            if replaced:
                self._dropped[camera] = self._dropped.get(camera, 0) + 1
            self._slots[camera] = (frame, self._clock())
            self._put[camera] = self._put.get(camera, 0) + 1
            self._cond.notify()
            return replaced

    def take(self, limit: int = 1,
             timeout: Optional[float] = None) -> List[Tuple[Hashable, T, float]]:
        """
        Remove and return up to `limit` (camera, frame, seconds waited) tuples.

        Waits up to `timeout` seconds (None: forever) for a first frame and returns an empty
        list when none came.  Raises `MailboxClosed` once closed and empty.
        """
        if limit < 1:
            raise ValueError('limit=%r must be at least 1' % (limit,))
        with self._cond:
            if not self._cond.wait_for(lambda: self._slots or self._closed, timeout):
                return []
            if not self._slots:
                raise MailboxClosed('the mailbox was closed')
            now = self._clock()
            taken: List[Tuple[Hashable, T, float]] = []
            while self._slots and len(taken) < limit:
                camera, (frame, stored) = self._slots.popitem(last=False)
                taken.append((camera, frame, now - stored))
            return taken

    def dropped(self, camera: Hashable) -> int:
        """Frames of `camera` replaced by a newer one before they were taken."""
        with self._cond:
            return self._dropped.get(camera, 0)

    def received(self, camera: Hashable) -> int:
        """Frames of `camera` ever put."""
        with self._cond:
            return self._put.get(camera, 0)

    def pending(self) -> int:
        """Frames waiting now (at most one per camera)."""
        with self._cond:
            return len(self._slots)

    def close(self) -> None:
        """Refuse further frames, discard waiting ones and wake the consumer."""
        with self._cond:
            self._closed = True
            self._slots.clear()
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        with self._cond:
            return self._closed
