# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Assembling a `DetectionPipeline` from a `PipelineConfig`.

Which backend, which preprocessor, which GPU context, and why.

This is the one module that knows every floor of the package: the ROS-free core, the GPU
preprocessing and the TensorRT layer.  The core never imports upward; the node and the
offline runner call `create_pipeline`.
"""

import contextlib
from dataclasses import dataclass, field
import logging
from typing import Callable, ContextManager, Dict, List, Optional, TYPE_CHECKING

from trt_perception.core.backend import (BackendError, DeviceInputBackend, InferenceBackend,
                                         PRECISIONS)
from trt_perception.core.decoders import DetectionParams, make_decoder
from trt_perception.core.detection import load_labels
from trt_perception.core.models import find_model, ModelCard
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.core.pipeline import DetectionPipeline, preprocess_spec
from trt_perception.core.preprocess import CpuPreprocessor, Preprocessor
from trt_perception.triton.settings import open_triton_backend, TritonSettings

if TYPE_CHECKING:  # pycuda is optional: imported only where a GPU is used
    from trt_perception.gpu.context import CudaContext

BACKENDS = ('auto', 'onnxruntime', 'tensorrt', 'triton')
PREPROCESSORS = ('auto', 'cpu', 'gpu')


@dataclass(frozen=True)
class PipelineConfig:
    """Everything needed to build a pipeline; the node fills it from its parameters."""

    model: str = ''
    """Path to an .onnx model or a TensorRT .engine/.plan/.trt, a bundled model name, or ''
    for the bundled default."""
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
    triton: TritonSettings = field(default_factory=TritonSettings)
    """The server and model of backend 'triton'."""

    def __post_init__(self) -> None:
        """Reject unknown choices, naming the field."""
        for name, value, allowed in (('backend', self.backend, BACKENDS),
                                     ('preprocess', self.preprocess, PREPROCESSORS),
                                     ('precision', self.precision, PRECISIONS)):
            if value not in allowed:
                raise ValueError('%s=%r is not one of %s' % (name, value, ', '.join(allowed)))
        if self.max_batch < 1:
            raise ValueError('max_batch=%d must be at least 1' % self.max_batch)


def _labels(config: PipelineConfig, card: ModelCard) -> List[str]:
    path = config.labels or card.labels_path
    return load_labels(path) if path else []


def _wants_tensorrt(config: PipelineConfig, card: ModelCard, info: Dict[str, str],
                    log: logging.Logger) -> bool:
    """Whether to run TensorRT; raises when it is required but unusable."""
    if config.backend == 'triton':
        return False
    if config.backend == 'onnxruntime' and not card.is_engine:
        return False
    from trt_perception.tensorrt import tensorrt_unavailable_reason
    reason = tensorrt_unavailable_reason()
    if reason is None:
        return True
    if config.backend == 'tensorrt' or card.is_engine:
        raise BackendError('TensorRT is needed for %s but %s; or set backend to '
                           "'onnxruntime' with an .onnx model"
                           % (card.path if card.is_engine else 'backend tensorrt', reason))
    info['fallback'] = 'ONNX Runtime: ' + reason
    log.warning('backend auto: using ONNX Runtime because %s', reason)
    return False


def _tensorrt_backend(config: PipelineConfig, card: ModelCard, context: 'CudaContext',
                      log: logging.Logger) -> InferenceBackend:
    from trt_perception.tensorrt.api import TensorRTApi, TensorRTUnavailable
    from trt_perception.tensorrt.backend import TensorRTBackend
    from trt_perception.tensorrt.cache import resolve_engine
    try:
        api = TensorRTApi.load()
    except TensorRTUnavailable as exc:
        raise BackendError(str(exc)) from exc
    capability = '%d.%d' % tuple(context.compute_capability)
    engine = resolve_engine(card.path, api, context.name, capability,
                            precision=config.precision,
                            max_batch=config.max_batch,
                            cache_dir=config.engine_cache_dir or None, log=log)
    return TensorRTBackend(engine.plan, max_batch=config.max_batch, api=api, log=log,
                           source=engine.source, precision=engine.precision,
                           context=context)


def create_pipeline(config: PipelineConfig,
                    log: Optional[logging.Logger] = None) -> DetectionPipeline:
    """Build the pipeline `config` asks for, falling back to ONNX Runtime under 'auto'."""
    log = log or logging.getLogger('trt_perception')
    card = find_model(config.model)
    info = {'model_name': card.name}
    closers: List[Callable[[], None]] = []
    backend: Optional[InferenceBackend] = None
    wants_trt = _wants_tensorrt(config, card, info, log)
    context: Optional['CudaContext'] = None
    activate: Callable[[], ContextManager[object]] = contextlib.ExitStack
    if wants_trt or config.preprocess == 'gpu':
        from trt_perception.gpu.context import CudaContext
        context = CudaContext(config.device_id)
        closers.append(context.close)
        activate = context.activated
    try:
        with activate():
            if context is not None and wants_trt:
                backend = _tensorrt_backend(config, card, context, log)
            elif config.backend == 'triton':
                backend = open_triton_backend(config.triton, card, config.max_batch, log)
            else:
                backend = OnnxRuntimeBackend(card.path, max_batch=config.max_batch)
            spec = preprocess_spec(card, backend)
            use_gpu = config.preprocess == 'gpu' or (
                config.preprocess == 'auto' and isinstance(backend, DeviceInputBackend))
            preprocessor: Preprocessor
            if use_gpu and context is not None:
                from trt_perception.gpu.preprocess import CudaPreprocessor
                preprocessor = CudaPreprocessor(
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
