# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Keeping batches in flight: the scheduling behind the node's inference worker.

`BatchScheduler` takes frames from a `LatestFrameMailbox`, submits them to a
`DetectionPipeline` and completes batches oldest first, so that while the GPU runs one batch
the CPU converts the frames of the next and decodes the previous.  With a pipeline of depth 1
(the CPU backends) it is the plain loop: take, detect, deliver.  It knows nothing of ROS: the
node (and the end-to-end benchmark) give it what to do with frames and results.
"""

import collections
from dataclasses import dataclass
import time
from typing import (Any, Callable, Deque, Generic, Hashable, List, Optional, Sequence, Tuple,
                    TypeVar)

from trt_perception.core.image import RawImage
from trt_perception.core.latest_frame import LatestFrameMailbox, MailboxClosed
from trt_perception.core.pipeline import BatchResult, DetectionPipeline, Submitted

T = TypeVar('T')


@dataclass
class Entry(Generic[T]):
    """One frame of a batch: the mailbox's camera and frame, and what was measured of it."""

    camera: Any
    """The mailbox's key for the frame's camera."""
    frame: T
    image: RawImage
    queue_ms: float
    """Time the frame waited in the mailbox before it was taken."""
    convert_ms: float
    """Time to turn the frame into a `RawImage`."""


@dataclass
class _InFlight(Generic[T]):
    entries: List[Entry[T]]
    submitted: Submitted


Convert = Callable[[Any, T], Optional[RawImage]]
"""Turn a mailbox frame into an image; None when it was rejected (the callee counts it)."""
Deliver = Callable[[List[Entry[T]], BatchResult], None]
"""Publish a completed batch: its entries in order, with the pipeline's result."""
Failed = Callable[[Exception], None]
"""Report an exception raised by the pipeline or by `deliver` (the batch is dropped)."""


def _nothing() -> None:
    """Do nothing (the default `busy` and `idle` hooks)."""


class BatchScheduler(Generic[T]):
    """
    Serves a mailbox through a pipeline with up to `pipeline.depth` batches in flight.

    Per-camera order is kept (batches complete in submission order) and the mailbox's
    newest-frame policy is untouched: frames are only taken when a slot is free.  Call
    `step` from one thread (the worker) until it returns False.
    """

    def __init__(self, pipeline: DetectionPipeline, mailbox: LatestFrameMailbox[T],
                 convert: Convert, deliver: Deliver, failed: Failed,
                 busy: Callable[[], None] = _nothing, idle: Callable[[], None] = _nothing
                 ) -> None:
        """
        Schedule `mailbox`'s frames on `pipeline`; see `Convert`, `Deliver`, `Failed`.

        `busy` is called when work on taken frames starts, `idle` when a batch is finished
        with (delivered, failed, or all its frames rejected): a watchdog between the two
        sees a batch that never finishes.
        """
        self._pipeline = pipeline
        self._mailbox = mailbox
        self._convert = convert
        self._deliver = deliver
        self._failed = failed
        self._busy = busy
        self._idle = idle
        self._in_flight: Deque[_InFlight[T]] = collections.deque()

    @property
    def in_flight(self) -> int:
        """Batches submitted and not yet delivered."""
        return len(self._in_flight)

    def step(self) -> bool:
        """
        Submit one batch or complete the oldest one; False once the mailbox is closed.

        Blocks for frames only when nothing is in flight; otherwise completes the oldest
        batch when no frame is waiting or no slot is free.  On close, batches in flight are
        completed and delivered before it returns False.
        """
        if len(self._in_flight) < self._pipeline.depth:
            try:
                taken = self._mailbox.take(self._pipeline.max_batch,
                                           timeout=0.0 if self._in_flight else None)
            except MailboxClosed:
                self.drain()
                return False
            if taken:
                self._submit(taken)
                return True
        if self._in_flight:
            self._complete(self._in_flight.popleft())
        return True

    def switch_pipeline(self, pipeline: DetectionPipeline) -> DetectionPipeline:
        """Complete the batches in flight, then schedule on `pipeline`; return the previous one."""
        self.drain()
        previous, self._pipeline = self._pipeline, pipeline
        return previous

    def drain(self) -> None:
        """Complete and deliver every batch in flight."""
        while self._in_flight:
            self._complete(self._in_flight.popleft())

    def _submit(self, taken: Sequence[Tuple[Hashable, T, float]]) -> None:
        self._busy()
        entries = []
        for camera, frame, waited in taken:
            start = time.perf_counter()
            image = self._convert(camera, frame)
            if image is not None:
                entries.append(Entry(camera, frame, image, waited * 1e3,
                                     (time.perf_counter() - start) * 1e3))
        if not entries:
            self._idle()
            return
        try:
            submitted = self._pipeline.submit([entry.image for entry in entries])
        except Exception as error:  # the batch is lost; the worker goes on
            self._failed(error)
            self._idle()
            return
        self._in_flight.append(_InFlight(entries, submitted))

    def _complete(self, batch: _InFlight[T]) -> None:
        try:
            result = self._pipeline.complete(batch.submitted)
            self._deliver(batch.entries, result)
        except Exception as error:  # the batch is lost; the worker goes on
            self._failed(error)
        finally:
            self._idle()
