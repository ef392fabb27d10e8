# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Preprocess, infer and decode a batch of frames, timing each stage.

`create_pipeline` turns a `PipelineConfig` into a ready `DetectionPipeline`, deciding once
which backend (TensorRT or ONNX Runtime) and which preprocessor (GPU or CPU) to use and why.
"""

import contextlib
import dataclasses
import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from trt_perception.core.backend import (PRECISIONS, BackendError, DeviceInputBackend,
                                         InferenceBackend)
from trt_perception.core.decoders import Decoder, DetectionParams, make_decoder
from trt_perception.core.detection import Detection, load_labels
from trt_perception.core.image import RawImage
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.models import ModelCard, find_model
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.core.preprocess import CpuPreprocessor, Preprocessor, PreprocessSpec

BACKENDS = ('auto', 'onnxruntime', 'tensorrt')
PREPROCESSORS = ('auto', 'cpu', 'gpu')


@dataclass(frozen=True)
class PipelineConfig:
    """Everything needed to build a pipeline; the node fills it from its parameters."""

    model: str = ''
    """Path to an .onnx model or a TensorRT .engine/.plan, a bundled model name, or '' for the
    bundled default."""
    backend: str = 'auto'
    preprocess: str = 'auto'
    decoder: str = 'auto'
    labels: str = ''
    """Label file; '' takes the model card's labels."""
    device_id: int = 0
    precision: str = 'fp16'
    engine_cache_dir: str = ''
    max_batch: int = 1
    params: DetectionParams = field(default_factory=DetectionParams)

    def __post_init__(self) -> None:
        """Reject unknown choices, naming the field."""
        for name, value, allowed in (('backend', self.backend, BACKENDS),
                                     ('preprocess', self.preprocess, PREPROCESSORS),
                                     ('precision', self.precision, PRECISIONS)):
            if value not in allowed:
                raise ValueError('%s=%r is not one of %s' % (name, value, ', '.join(allowed)))
        if self.max_batch < 1:
            raise ValueError('max_batch=%d must be at least 1' % self.max_batch)


@dataclass(frozen=True)
class StageTimes:
    """Wall-clock milliseconds spent in each stage for one batch."""

    preprocess: float
    inference: float
    postprocess: float

    @property
    def total(self) -> float:
        """Sum of the stages."""
        return self.preprocess + self.inference + self.postprocess

    def as_dict(self) -> Dict[str, float]:
        """Stage name to milliseconds, as the offline runner prints them."""
        return {'preprocess': self.preprocess, 'inference': self.inference,
                'postprocess': self.postprocess}


@dataclass(frozen=True)
class BatchResult:
    """Detections per input image, the geometry used, and stage timing."""

    detections: List[List[Detection]]
    letterboxes: List[Letterbox]
    timing: StageTimes


class DetectionPipeline:
    """Runs frames through a preprocessor, a backend and a decoder.

    The combination is fixed at construction: a device preprocessor feeding a
    `DeviceInputBackend` writes straight into the engine's input buffer; any other
    combination goes through a host batch allocated once.  Not thread-safe: one thread runs
    `detect`; `update_params` may be called from any thread.
    """

    def __init__(self, backend: InferenceBackend, preprocessor: Preprocessor, decoder: Decoder,
                 params: Optional[DetectionParams] = None,
                 activate: Optional[Callable[[], contextlib.AbstractContextManager]] = None,
                 closers: Sequence[Callable[[], None]] = (),
                 info: Optional[Dict[str, str]] = None) -> None:
        """Wire the stages; `activate` makes the GPU context current, `closers` run last."""
        self.backend = backend
        self.preprocessor = preprocessor
        self.decoder = decoder
        self._params = params or DetectionParams()
        self._activate = activate or contextlib.ExitStack
        self._closers = list(closers)
        self._info = dict(info or {})
        device_path = (preprocessor.location == 'device'
                       and isinstance(backend, DeviceInputBackend))
        self._run_batch = self._run_device if device_path else self._run_host
        self._host_batch: Optional[np.ndarray] = None
        if not device_path:
            self._host_batch = np.empty(
                (backend.max_batch, 3, preprocessor.spec.height, preprocessor.spec.width),
                dtype=preprocessor.spec.dtype)
        self._info['preprocess'] = preprocessor.location
        self._info['zero_copy_input'] = str(device_path).lower()

    @property
    def params(self) -> DetectionParams:
        """Thresholds and filters used for the next batch."""
        return self._params

    def update_params(self, **changes) -> DetectionParams:
        """Validate and swap in new thresholds/filters; raises ValueError, changing nothing."""
        new = dataclasses.replace(self._params, **changes)
        self._params = new
        return new

    @property
    def max_batch(self) -> int:
        """Largest number of frames one `detect` call runs together."""
        return self.backend.max_batch

    def detect(self, images: Sequence[RawImage]) -> BatchResult:
        """Detect objects in up to `max_batch` frames."""
        if not 0 < len(images) <= self.max_batch:
            raise ValueError('detect() takes 1..%d images, got %d'
                             % (self.max_batch, len(images)))
        params = self._params
        with self._activate():
            t0 = time.perf_counter()
            letterboxes, outputs, t1 = self._run_batch(images)
            t2 = time.perf_counter()
            detections = self.decoder.decode(outputs, letterboxes, params)
            t3 = time.perf_counter()
        timing = StageTimes((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3)
        return BatchResult(detections, letterboxes, timing)

    def _run_host(self, images):
        batch = self._host_batch[:len(images)]
        # A device preprocessor feeding a host backend fills its own GPU batch, fetched below.
        target = batch if self.preprocessor.location == 'host' else None
        letterboxes = [self.preprocessor.run(image, target, slot)
                       for slot, image in enumerate(images)]
        if target is None:
            self.preprocessor.download(batch)
        t1 = time.perf_counter()
        return letterboxes, self.backend.infer(batch), t1

    def _run_device(self, images):
        target = self.backend.device_input(len(images))
        letterboxes = [self.preprocessor.run(image, target, slot)
                       for slot, image in enumerate(images)]
        t1 = time.perf_counter()
        return letterboxes, self.backend.infer_device(len(images)), t1

    def describe(self) -> Dict[str, str]:
        """Backend, model and selection facts for logs and diagnostics."""
        info = dict(self.backend.describe())
        info.update(self._info)
        return info

    def close(self) -> None:
        """Release the backend, the preprocessor and then the GPU context, in that order."""
        with self._activate():
            self.backend.close()
            close = getattr(self.preprocessor, 'close', None)
            if close is not None:
                close()
        for closer in self._closers:
            closer()
        self._closers = []

    def __enter__(self) -> 'DetectionPipeline':
        """Use the pipeline in a with-block that closes it."""
        return self

    def __exit__(self, *exc) -> None:
        """Close on leaving the with-block."""
        self.close()


def preprocess_spec(card: ModelCard, backend: InferenceBackend) -> PreprocessSpec:
    """Combine the model card's preprocessing with the backend's input shape and type."""
    _, channels, height, width = backend.input.shape
    if channels not in (3, None) or not isinstance(height, int) or not isinstance(width, int):
        raise BackendError('input %s must be N x 3 x H x W with a fixed H and W'
                           % backend.input.describe())
    dtype = 'float16' if np.dtype(backend.input.dtype) == np.float16 else 'float32'
    return PreprocessSpec(
        width=width, height=height, channel_order=card.channel_order,
        pad_value=card.pad_value, scale=card.scale, mean=tuple(card.mean), std=tuple(card.std),
        dtype=dtype, resize=card.resize)


def _labels(config: PipelineConfig, card: ModelCard) -> List[str]:
    path = config.labels or card.labels_path
    return load_labels(path) if path else []


def create_pipeline(config: PipelineConfig,
                    log: Optional[logging.Logger] = None) -> DetectionPipeline:
    """Build the pipeline `config` asks for, falling back to ONNX Runtime under 'auto'."""
    log = log or logging.getLogger('trt_perception')
    card = find_model(config.model)
    info: Dict[str, str] = {'model_name': card.name}
    closers: List[Callable[[], None]] = []
    context = None
    backend: Optional[InferenceBackend] = None
    wants_trt = False
    if config.backend != 'onnxruntime' or card.is_engine:
        from trt_perception.tensorrt import tensorrt_unavailable_reason
        reason = tensorrt_unavailable_reason()
        if reason is None:
            wants_trt = True
        elif config.backend == 'tensorrt' or card.is_engine:
            raise BackendError('TensorRT is needed for %s but %s; or set backend to '
                               "'onnxruntime' with an .onnx model"
                               % (card.path if card.is_engine else 'backend tensorrt', reason))
        else:
            info['fallback'] = 'ONNX Runtime: ' + reason
            log.warning('backend auto: using ONNX Runtime because %s', reason)
    if wants_trt or config.preprocess == 'gpu':
        from trt_perception.gpu.context import CudaContext
        context = CudaContext(config.device_id)
        closers.append(context.close)
    activate = context.activated if context is not None else contextlib.ExitStack
    try:
        with activate():
            if wants_trt:
                from trt_perception.tensorrt.backend import TensorRTBackend
                backend = TensorRTBackend.from_model(
                    card.path, cache_dir=config.engine_cache_dir or None,
                    precision=config.precision, max_batch=config.max_batch,
                    context=context, log=log)
            else:
                backend = OnnxRuntimeBackend(card.path, max_batch=config.max_batch)
            spec = preprocess_spec(card, backend)
            use_gpu = config.preprocess == 'gpu' or (
                config.preprocess == 'auto' and isinstance(backend, DeviceInputBackend))
            if use_gpu:
                from trt_perception.gpu.preprocess import CudaPreprocessor
                preprocessor: Preprocessor = CudaPreprocessor(
                    spec, context, max_batch=backend.max_batch,
                    stream=getattr(backend, 'stream', None))
            else:
                preprocessor = CpuPreprocessor(spec)
            decoder = make_decoder(config.decoder if config.decoder != 'auto'
                                   else card.output_format, backend.outputs,
                                   _labels(config, card),
                                   normalized_boxes=card.normalized_boxes)
    except BaseException:
        if backend is not None:
            backend.close()
        for closer in closers:
            closer()
        raise
    return DetectionPipeline(backend, preprocessor, decoder, config.params,
                             activate=activate, closers=closers, info=info)
