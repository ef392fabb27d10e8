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
ONNXRUNTIME_PROVIDERS = ('auto', 'cuda', 'tensorrt', 'cpu')
GPU_RUNTIMES = ('tensorrt', 'cuda', 'tensorrt-ep')
"""What `_runtime` may choose that runs on the local GPU (and so needs a CUDA context)."""
GPU_PIPELINE_DEPTH = 2
"""Batches in flight when pipeline_depth is 0 (auto) on a GPU backend whose enqueue costs the
CPU little (TensorRT, ONNX Runtime replaying CUDA graphs): one on the GPU while the CPU
decodes the previous one and prepares the next.  ONNX Runtime launching kernel by kernel
keeps the CPU as busy as the GPU, so there auto is 1: two in flight measured 20% slower
(docs/benchmarks.md)."""
TRITON_PIPELINE_DEPTH = 2
"""Requests in flight when pipeline_depth is 0 (auto) on backend triton: one on the server
while the robot prepares the next batch and decodes the previous."""


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
    """Label file; '' takes the model card's labels, else the names the model file records."""
    device_id: int = 0
    precision: str = 'fp16'
    engine_cache_dir: str = ''
    max_batch: int = 1
    pipeline_depth: int = 0
    """Batches in flight at once on a GPU backend or a Triton server; 0 (auto): see
    GPU_PIPELINE_DEPTH and TRITON_PIPELINE_DEPTH; always 1 on the local CPU (where inference
    holds the worker anyway)."""
    onnxruntime_provider: str = 'auto'
    """auto: ONNX Runtime's CUDA provider where it and a GPU are usable, else the CPU."""
    cuda_graphs: bool = False
    """Capture and replay ONNX Runtime's GPU runs as CUDA graphs (fixed shapes)."""
    params: DetectionParams = field(default_factory=DetectionParams)
    triton: TritonSettings = field(default_factory=TritonSettings)
    """The server and model of backend 'triton'."""
    serve_while_building: bool = True
    """Serve with ONNX Runtime while the TensorRT engine builds (engine_builds.py)."""

    def __post_init__(self) -> None:
        """Reject unknown choices, naming the field."""
        for name, value, allowed in (
                ('backend', self.backend, BACKENDS),
                ('preprocess', self.preprocess, PREPROCESSORS),
                ('precision', self.precision, PRECISIONS),
                ('onnxruntime_provider', self.onnxruntime_provider, ONNXRUNTIME_PROVIDERS)):
            if value not in allowed:
                raise ValueError('%s=%r is not one of %s' % (name, value, ', '.join(allowed)))
        if self.max_batch < 1:
            raise ValueError('max_batch=%d must be at least 1' % self.max_batch)
        if self.pipeline_depth < 0:
            raise ValueError('pipeline_depth=%d must be 0 (auto) or more'
                             % self.pipeline_depth)


def _labels(config: PipelineConfig, card: ModelCard) -> List[str]:
    """Read the labels parameter's file, else the card's; else take the model's own names."""
    path = config.labels or card.labels_path
    return load_labels(path) if path else list(card.labels)


def _wants_tensorrt(config: PipelineConfig, card: ModelCard, fallbacks: List[str]) -> bool:
    """Whether to run TensorRT; raises when it is required but unusable."""
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
    fallbacks.append('TensorRT: ' + reason)
    return False


def _onnxruntime_gpu_unavailable_reason(provider: str) -> Optional[str]:
    """None when ONNX Runtime can run `provider` on a GPU through our CUDA context."""
    try:
        from trt_perception.gpu.context import CudaUnavailableError, device_count
        from trt_perception.gpu.onnxruntime_backend import cuda_provider_unavailable_reason
    except Exception as exc:  # pycuda raises ImportError or OSError for a missing libcuda
        return 'pycuda cannot be imported (%s)' % (exc.__cause__ or exc)
    try:
        if device_count() == 0:
            return 'the CUDA driver reports no GPU'
    except CudaUnavailableError as exc:
        return str(exc)
    return cuda_provider_unavailable_reason(provider)


def _onnxruntime_gpu_provider(config: PipelineConfig, fallbacks: List[str]) -> Optional[str]:
    """Choose the ONNX Runtime GPU provider ('cuda', 'tensorrt'), or None for the CPU."""
    chosen = config.onnxruntime_provider
    if chosen == 'cpu':
        return None
    provider = 'cuda' if chosen == 'auto' else chosen
    reason = _onnxruntime_gpu_unavailable_reason(provider)
    if reason is None:
        return provider
    if chosen != 'auto':
        raise BackendError('onnxruntime_provider %s is needed but %s; or set '
                           "onnxruntime_provider to 'auto' or 'cpu'" % (chosen, reason))
    fallbacks.append('ONNX Runtime CUDA: ' + reason)
    return None


def _tensorrt_backend(config: PipelineConfig, card: ModelCard, context: 'CudaContext',
                      depth: int, log: logging.Logger) -> InferenceBackend:
    from trt_perception.tensorrt.api import TensorRTApi, TensorRTUnavailable
    from trt_perception.tensorrt.backend import TensorRTBackend
    from trt_perception.tensorrt.cache import resolve_engine
    try:
        api = TensorRTApi.load()
    except TensorRTUnavailable as exc:
        raise BackendError(str(exc)) from exc
    capability = '%d.%d' % tuple(context.compute_capability)
    engine = resolve_engine(card.path, api, context.name, capability,
                            precision=config.precision, max_batch=config.max_batch,
                            cache_dir=config.engine_cache_dir or None, log=log)
    return TensorRTBackend(engine.plan, max_batch=config.max_batch, api=api, log=log,
                           source=engine.source, precision=engine.precision,
                           context=context, slots=depth)


def _backend(config: PipelineConfig, card: ModelCard, context: Optional['CudaContext'],
             runtime: str, log: logging.Logger) -> InferenceBackend:
    """
    Create the backend `runtime` names.

    'tensorrt' is our TensorRT runner; 'cuda' and 'tensorrt-ep' are ONNX Runtime on the GPU
    with its CUDA or TensorRT provider; 'triton' a model served by a Triton server; 'cpu' is
    ONNX Runtime's default providers.
    """
    if runtime == 'triton':
        return open_triton_backend(config.triton, card, config.max_batch,
                                   config.pipeline_depth or TRITON_PIPELINE_DEPTH, log,
                                   context)
    cheap_enqueue = runtime == 'tensorrt' or config.cuda_graphs
    depth = config.pipeline_depth or (GPU_PIPELINE_DEPTH if cheap_enqueue else 1)
    if context is not None and runtime == 'tensorrt':
        return _tensorrt_backend(config, card, context, depth, log)
    if context is not None and runtime in ('cuda', 'tensorrt-ep'):
        from trt_perception.gpu.onnxruntime_backend import OnnxRuntimeCudaBackend
        return OnnxRuntimeCudaBackend(
            card.path, context, max_batch=config.max_batch, slots=depth,
            provider='tensorrt' if runtime == 'tensorrt-ep' else 'cuda',
            cuda_graphs=config.cuda_graphs, engine_cache_dir=config.engine_cache_dir,
            precision=config.precision, log=log)
    providers = ['CPUExecutionProvider'] if config.onnxruntime_provider == 'cpu' else None
    return OnnxRuntimeBackend(card.path, providers=providers, max_batch=config.max_batch)


def _runtime(config: PipelineConfig, card: ModelCard, info: Dict[str, str],
             log: logging.Logger) -> str:
    """
    Decide what runs the model: TensorRT, then ONNX Runtime on the GPU, then the CPU.

    Why each one passed over was not usable is recorded in `info` and logged once.
    """
    if config.backend == 'triton':
        return 'triton'
    fallbacks: List[str] = []
    if _wants_tensorrt(config, card, fallbacks):
        return 'tensorrt'
    provider = _onnxruntime_gpu_provider(config, fallbacks)
    if provider is not None:
        runtime = 'tensorrt-ep' if provider == 'tensorrt' else 'cuda'
    else:
        runtime = 'cpu'
    if fallbacks:
        used = 'ONNX Runtime on the GPU' if runtime != 'cpu' else 'ONNX Runtime on the CPU'
        info['fallback'] = '%s because %s' % (used, '; '.join(fallbacks))
        log.warning('backend %s: using %s', config.backend, info['fallback'])
    return runtime


def _cuda_context(config: PipelineConfig, for_triton: bool) -> 'CudaContext':
    """Open the GPU context; for Triton's CUDA shared memory, say what else would do."""
    try:
        from trt_perception.gpu.context import CudaContext, CudaUnavailableError
    except ImportError as error:
        if not for_triton:
            raise
        raise BackendError("triton shared_memory 'cuda' needs pycuda and a CUDA GPU on this "
                           "host (%s); set it to 'system' (same host) or 'none'"
                           % (error.__cause__ or error)) from error
    try:
        return CudaContext(config.device_id)
    except CudaUnavailableError as error:
        if not for_triton:
            raise
        raise BackendError("triton shared_memory 'cuda' needs a CUDA GPU on this host (%s); "
                           "set it to 'system' (same host) or 'none'" % error) from error


def create_pipeline(config: PipelineConfig,
                    log: Optional[logging.Logger] = None) -> DetectionPipeline:
    """Build the pipeline `config` asks for, falling back to ONNX Runtime under 'auto'."""
    log = log or logging.getLogger('trt_perception')
    card = find_model(config.model)
    info = {'model_name': card.name}
    closers: List[Callable[[], None]] = []
    backend: Optional[InferenceBackend] = None
    runtime = _runtime(config, card, info, log)
    context: Optional['CudaContext'] = None
    activate: Callable[[], ContextManager[object]] = contextlib.ExitStack
    cuda_ipc = runtime == 'triton' and config.triton.shared_memory == 'cuda'
    if runtime in GPU_RUNTIMES or config.preprocess == 'gpu' or cuda_ipc:
        context = _cuda_context(config, cuda_ipc)
        closers.append(context.close)
        activate = context.activated
    try:
        with activate():
            backend = _backend(config, card, context, runtime, log)
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
                                   normalized_boxes=card.normalized_boxes,
                                   input_size=(spec.width, spec.height))
    except BaseException:
        if backend is not None:
            backend.close()
        for closer in closers:
            closer()
        raise
    return DetectionPipeline(backend, preprocessor, decoder, config.params,
                             activate=activate, closers=closers, info=info)
