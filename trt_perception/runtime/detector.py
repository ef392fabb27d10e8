# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The detector apart from ROS: inference worker, watchdog, engine hot-swap, result stages.

`Detector` serves a `LatestFrameMailbox` on its own worker thread through a
`BatchScheduler`; the caller (the ROS node, the ``detect`` command, a benchmark) says how a
mailbox frame becomes an image and a `FrameInfo`, and what to do with each frame's result.
After decoding, each frame's detections go through the result stages, each one timed, before
they are delivered.
"""

from dataclasses import asdict
import logging
import math
import sys
import threading
from typing import Any, Callable, Dict, Generic, List, Optional, Tuple, TypeVar

from trt_perception.assembly import PipelineConfig
from trt_perception.core.backend import Fact
from trt_perception.core.decoders import DetectionParams
from trt_perception.core.detection import Detection
from trt_perception.core.image import RawImage
from trt_perception.core.latest_frame import LatestFrameMailbox
from trt_perception.core.pipeline import BatchResult, DetectionPipeline
from trt_perception.core.stages import FrameInfo
from trt_perception.core.stats import EngineStats, STAGES
from trt_perception.core.worker import BatchScheduler, Entry
from trt_perception.engine_builds import start_pipeline
from trt_perception.runtime.health import EngineHealth
from trt_perception.runtime.stages import ResultStages

T = TypeVar('T')

Deliver = Callable[[Entry[T], List[Detection], Dict[str, float], BatchResult], None]
"""Send one frame's result out: its entry, detections, milliseconds by stage, its batch."""

FUTURE_STAMP_MS = 60e3
"""A header stamp further than this ahead of the clock gives no meaningful age."""


def timing_stages(result_stages: Tuple[str, ...]) -> Tuple[str, ...]:
    """Per-frame timed stages: the pipeline's, then the result stages', then publish, total."""
    split = STAGES.index('postprocess') + 1
    return STAGES[:split] + result_stages + STAGES[split:]


def stamp_age_ms(sec: int, nanosec: int, now_ns: int) -> Tuple[float, str, str]:
    """
    Milliseconds from a header stamp to `now_ns`, or NaN with a reason key and its words.

    A negative stamp, nanoseconds of a second or more, or a stamp over `FUTURE_STAMP_MS`
    ahead give no age; the reason ('negative', 'bad_nanosec', 'future') is '' for a good one.
    """
    if sec < 0:
        return math.nan, 'negative', 'is negative'
    if nanosec >= 10 ** 9:
        return math.nan, 'bad_nanosec', 'has nanosec >= 10^9'
    age_ms = (now_ns - (sec * 10 ** 9 + nanosec)) / 1e6
    if age_ms >= -FUTURE_STAMP_MS:
        return age_ms, '', ''
    return math.nan, 'future', "is %.0f s ahead of this node's clock" % (-age_ms / 1e3)


class Detector(Generic[T]):
    """
    Serves a mailbox with a detection pipeline on one worker thread, then the result stages.

    It owns the pipeline (and the TensorRT engine build that replaces it when done), the
    worker and the stages; `close` releases them.  `events` is a throttled logger with
    ``error(key, text)`` (the node's `ThrottledLogger`); `log` gets the pipeline's own lines.
    """

    def __init__(self, config: PipelineConfig, mailbox: LatestFrameMailbox[T],
                 convert: Callable[[Any, T], Optional[RawImage]],
                 frame_info: Callable[[Entry[T]], FrameInfo], deliver: Deliver,
                 stages: ResultStages, log: logging.Logger, events: Any,
                 window: float = 5.0,
                 running: Callable[[], bool] = lambda: True) -> None:
        """Load the model (or start its engine build) and start the worker."""
        self._log = log
        self._events = events
        self._running = running
        self._frame_info = frame_info
        self._deliver_frame = deliver
        self._mailbox = mailbox
        self.stages = stages
        self.stats = EngineStats(window)
        self._gpu_times: Dict[str, float] = {}
        self._retired: List[DetectionPipeline] = []
        self._worker_end = ''
        self.pipeline, self._engine_build = start_pipeline(config, log)
        try:
            self.labels = list(self.pipeline.decoder.labels)
            self._scheduler: BatchScheduler[T] = BatchScheduler(
                self.pipeline, mailbox, convert, self._deliver, self._batch_failed,
                busy=self.stats.worker_busy, idle=self.stats.worker_idle)
            self._start_worker()
        except BaseException:
            self._close_pipeline()
            raise

    @property
    def params(self) -> DetectionParams:
        """Thresholds and class filter in use now."""
        return self.pipeline.params

    def update_params(self, params: DetectionParams) -> None:
        """Use `params` from the next batch on (also for an engine swapped in later)."""
        self.pipeline.update_params(**asdict(params))

    def check_worker(self) -> None:
        """
        Start a new worker if the thread ended while the detector runs (the watchdog).

        Safe because a thread that ended no longer touches the pipeline; a thread stuck in a
        batch cannot be replaced (it still holds the pipeline) and shows in the health instead.
        Pipelines replaced by a finished engine build are closed here, off the worker.
        """
        self._close_retired()
        if self._worker.is_alive() or self._mailbox.closed or not self._running():
            return
        reason = 'the inference worker ended (%s) and was restarted' % (
            self._worker_end or 'no exception recorded')
        self.stats.worker_restarted(reason)
        self._events.error(('engine', 'worker'), reason)
        self._start_worker()

    def health(self) -> EngineHealth:
        """Return the detector's health now: counters, facts, build, batches, stages."""
        return EngineHealth.read(
            self.stats.snapshot(), self.pipeline.describe(),
            self._engine_build.status() if self._engine_build is not None else None,
            self._scheduler.in_flight, self._gpu_times, self.pipeline.params,
            self.stages.health())

    def close(self) -> None:
        """Stop the worker (batches in flight are delivered), then release everything."""
        self._mailbox.close()
        self._worker.join()
        self.stages.close()
        self._close_pipeline()

    def _start_worker(self) -> None:
        self._worker = threading.Thread(target=self._run_worker, name='inference', daemon=True)
        self._worker.start()

    def _run_worker(self) -> None:
        try:
            while self._scheduler.step():
                self._swap_in_built_engine()
        except BaseException as error:  # noted for the watchdog, which starts a new worker
            self._worker_end = '%s: %s' % (type(error).__name__, error)
            raise

    def _swap_in_built_engine(self) -> None:
        # On the worker thread, the only one running the pipeline, between two steps: the
        # batches in flight complete on the serving pipeline first, so no frame is lost.
        built = self._engine_build.take() if self._engine_build is not None else None
        if built is None:
            return
        built.update_params(**asdict(self.pipeline.params))
        # Other threads (health, parameters) may be using the serving pipeline right now:
        # it is closed by the next `check_worker`, which runs after them.
        self._retired.append(self._scheduler.switch_pipeline(built))
        self.pipeline = built
        assert self._engine_build is not None  # took from it just now
        self._log.info('switched to %s after a %.0f s engine build' % (
            built.describe().get(Fact.BACKEND), self._engine_build.seconds()))

    def _deliver(self, entries: List[Entry[T]], result: BatchResult) -> None:
        self.stats.batch_done()
        self._gpu_times = result.gpu_times
        for entry, found in zip(entries, result.detections):
            times = {'convert': entry.convert_ms, 'queue': entry.queue_ms}
            times.update(result.timing.as_dict())
            found = self.stages.run(self._frame_info(entry), found, times)
            self._deliver_frame(entry, found, times, result)

    def _batch_failed(self, error: Exception) -> None:
        if not self._running():
            # Shut down (Ctrl-C, SIGTERM) while the batch ran, so delivering failed: the
            # detector is stopping, nothing went wrong.
            return
        text = '%s: %s' % (type(error).__name__, error)
        self.stats.batch_failed(text)
        try:
            self._events.error(('engine', type(error).__name__),
                               'processing a batch failed: %s' % text)
        except Exception as log_error:  # the failure is counted above; the worker goes on
            sys.stderr.write('detector: processing a batch failed: %s (and logging it '
                             'failed: %r)\n' % (text, log_error))

    def _close_retired(self) -> None:
        while self._retired:
            self._retired.pop().close()

    def _close_pipeline(self) -> None:
        if self._engine_build is not None:
            self._engine_build.close()
        self._close_retired()
        self.pipeline.close()
