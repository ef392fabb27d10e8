# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Engine builds that never block: build the TensorRT pipeline on a thread while another serves.

Building a TensorRT engine from ONNX takes minutes on a desktop GPU and can take 10-20 on a
Jetson. With ``serve_while_building`` the node starts at once with the ONNX Runtime pipeline,
`EngineBuild` resolves the engine (from the cache, or building it) on its own thread, and the
node's worker takes the finished pipeline between two batches, so no frame and no subscriber is
lost. While it builds, diagnostics say so at WARN (elapsed time, model, precision, cache
folder); a failed build is an ERROR with the reason and the node keeps serving with ONNX
Runtime.
"""

from dataclasses import dataclass, replace
import importlib.util
import logging
import threading
import time
from typing import Callable, Dict, Generic, Optional, Tuple, TypeVar

from trt_perception.assembly import choose_backend, create_pipeline, PipelineConfig
from trt_perception.core.models import find_model
from trt_perception.core.pipeline import DetectionPipeline

T = TypeVar('T')

BUILDING = 'building'
FAILED = 'failed'
READY = 'ready'
TAKEN = 'in use'


@dataclass(frozen=True)
class BuildStatus:
    """Where an engine build stands, for health and diagnostics."""

    state: str
    """BUILDING, FAILED, READY (done, not taken yet) or TAKEN."""
    seconds: float
    target: 'BuildTarget'
    error: str
    """Why the build failed ('' unless FAILED)."""

    def values(self) -> Dict[str, str]:
        """Diagnostics key/value pairs of the build."""
        return {'engine_build': self.state,
                'engine_build_seconds': '%.1f' % self.seconds,
                'engine_build_model': self.target.model,
                'engine_build_precision': self.target.precision,
                'engine_build_cache': self.target.cache_dir,
                'engine_build_error': self.error}


@dataclass(frozen=True)
class BuildTarget:
    """What is being built, for logs and diagnostics."""

    model: str
    precision: str
    cache_dir: str


class EngineBuild(Generic[T]):
    """Run `build` on a thread; report its progress; hand its result over once."""

    def __init__(self, build: Callable[[], T], target: BuildTarget, log: logging.Logger,
                 close: Callable[[T], None] = lambda result: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Start building; `close` releases a result nobody will take (closed meanwhile)."""
        self.target = target
        self._build = build
        self._close_result = close
        self._log = log
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BUILDING
        self._error = ''
        self._result: Optional[T] = None
        self._closed = False
        self._started = clock()
        self._finished: Optional[float] = None
        log.warning('building the TensorRT engine for %s (%s) in the background, cached in %s; '
                    'serving with ONNX Runtime meanwhile'
                    % (target.model, target.precision, target.cache_dir))
        self._thread = threading.Thread(target=self._run, name='engine-build', daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            result = self._build()
        except Exception as error:  # any failure is reported; the node keeps serving
            text = '%s: %s' % (type(error).__name__, error)
            # Logged before the state says so: whoever sees 'failed' finds the line written.
            self._log.error('TensorRT engine build for %s failed after %.0f s: %s; still '
                            'serving with ONNX Runtime' % (self.target.model, self.seconds(),
                                                           text))
            with self._lock:
                self._state, self._error = FAILED, text
                self._finished = self._clock()
            return
        with self._lock:
            self._finished = self._clock()
            closed = self._closed
            if not closed:
                self._state, self._result = READY, result
        if closed:
            self._close_result(result)

    def seconds(self) -> float:
        """Seconds the build ran, or has been running."""
        with self._lock:
            end = self._finished if self._finished is not None else self._clock()
        return end - self._started

    @property
    def state(self) -> str:
        """Return 'building', 'failed', 'ready' (done, not taken yet) or 'in use'."""
        return self._state

    @property
    def error(self) -> str:
        """Why the build failed ('' unless failed)."""
        return self._error

    def take(self) -> Optional[T]:
        """Return the result the first time it is asked for once ready; else None."""
        with self._lock:
            if self._state != READY:
                return None
            result, self._result, self._state = self._result, None, TAKEN
        return result

    def status(self) -> BuildStatus:
        """Where the build stands now."""
        return BuildStatus(self._state, self.seconds(), self.target, self._error)

    def close(self) -> None:
        """Release a result not taken; a build still running releases its own when it ends."""
        with self._lock:
            self._closed = True
            result, self._result = self._result, None
        if result is not None:
            self._close_result(result)


def _builds_engine(config: PipelineConfig, log: logging.Logger) -> bool:
    if not config.serve_while_building:
        return False
    card = find_model(config.model)
    if card.is_engine:
        return False  # a prebuilt engine only loads: nothing to wait for
    # Assembly's choice, made again with the same settings: a backend that starts slowly
    # (TensorRT building its engine) is worth serving without meanwhile.
    if not choose_backend(config, card).plugin.slow_start:
        return False
    if importlib.util.find_spec('onnxruntime') is None:
        # A native ROS install may have TensorRT but no ONNX Runtime to serve with meanwhile.
        log.warning('serve_while_building: ONNX Runtime is not installed, so nothing can '
                    'serve while TensorRT builds the engine: building it first (minutes on a '
                    'Jetson). Install onnxruntime (rosdep key python3-onnxruntime-pip) to '
                    'detect meanwhile')
        return False
    return True


def start_pipeline(config: PipelineConfig, log: logging.Logger
                   ) -> Tuple[DetectionPipeline, Optional['EngineBuild[DetectionPipeline]']]:
    """
    Return the pipeline to serve with now, and the TensorRT build to swap in, if any.

    Without TensorRT, or with `serve_while_building` false, there is nothing to build in the
    background: this is `create_pipeline(config)` (with backend auto's fallback and reason).
    """
    if not _builds_engine(config, log):
        return create_pipeline(config, log=log), None
    from trt_perception.tensorrt.cache import default_cache_dir
    serving = create_pipeline(replace(config, backend='onnxruntime'), log=log)
    target = BuildTarget(find_model(config.model).name, config.precision,
                         config.engine_cache_dir or default_cache_dir())
    build = EngineBuild(lambda: create_pipeline(config, log=log), target, log,
                        close=DetectionPipeline.close)
    return serving, build
