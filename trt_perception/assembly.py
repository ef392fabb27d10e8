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
from dataclasses import dataclass, field, replace
import logging
from typing import (Any, Callable, ContextManager, List, Mapping, Optional, Sequence,
                    Tuple, TYPE_CHECKING)

from trt_perception.core.backend import (BackendError, DeviceInputBackend, Fact, InferenceBackend,
                                         PRECISIONS)
from trt_perception.core.backend_plugin import BackendPlugin, REQUIRE
from trt_perception.core.decoders import DECODERS, DetectionParams, parse_classes
from trt_perception.core.detection import load_labels
from trt_perception.core.head_decoders import model_decoder, SegmentationDecoder
from trt_perception.core.models import find_model, ModelCard
from trt_perception.core.onnxruntime_plugin import ONNXRUNTIME_CPU
from trt_perception.core.pipeline import DetectionPipeline, preprocess_spec
from trt_perception.core.preprocess import CpuPreprocessor, Preprocessor
from trt_perception.core.schema import from_values, SchemaEntry, setting, Settings
from trt_perception.gpu.plugin import ONNXRUNTIME_GPU
from trt_perception.tensorrt.plugin import TENSORRT
from trt_perception.triton.plugin import TRITON
from trt_perception.triton.settings import TritonSettings

if TYPE_CHECKING:  # pycuda is optional: imported only where a GPU is used
    from trt_perception.gpu.context import CudaContext

BACKEND_PLUGINS: Tuple[BackendPlugin, ...] = (TENSORRT, ONNXRUNTIME_GPU, ONNXRUNTIME_CPU, TRITON)
"""Every backend, in the order `backend: auto` tries them (Triton only when asked for).  Adding a
backend is its package's plugin and one entry here."""
BACKENDS = ('auto',) + tuple(sorted({plugin.backend for plugin in BACKEND_PLUGINS}))
PREPROCESSORS = ('auto', 'cpu', 'gpu')
MASK_ASSEMBLIES = ('auto', 'cpu')
MASK_TURN = 100
"""Masks the GPU assembler's buffers hold (the default max_detections); more take turns."""
ONNXRUNTIME_PROVIDERS = ('auto', 'cuda', 'tensorrt', 'cpu')


@dataclass(frozen=True)
class PipelineConfig(Settings):
    """Everything needed to build a pipeline: the node and ``detect`` fill it from settings."""

    model: str = setting(
        '', 'ONNX model (.onnx) or TensorRT engine (.engine/.plan) path, or a bundled model '
        'name; empty for the bundled default.')
    backend: str = setting(
        'auto', 'auto: TensorRT when it and a GPU are available, else ONNX Runtime (the reason '
        'is logged and shown in diagnostics); or force one. triton: a Triton Inference Server '
        'runs the model (triton.* parameters); never chosen by auto.', choices=BACKENDS)
    preprocess: str = setting(
        'auto', 'Where letterboxing and normalisation run; auto: on the GPU when the backend '
        'is TensorRT.', choices=PREPROCESSORS)
    decoder: str = setting(
        'auto', 'Output format of the model (segment, pose: YOLO heads with masks, keypoints); '
        "auto: from the model card, else the file's metadata (an Ultralytics export's task), "
        'else the outputs.', choices=DECODERS)
    mask_assembly: str = setting(
        'auto', "Where a segmentation model's masks are assembled. auto: on the GPU when the "
        'backend runs there (TensorRT, ONNX Runtime CUDA): the prototypes stay on the device '
        'and only the masks come back; else on the host (numpy), as with cpu.',
        choices=MASK_ASSEMBLIES)
    labels: str = setting(
        '', "Class name file, one name per line; empty: the model card's labels, else the names "
        'the model file records.')
    device_id: int = setting(0, 'CUDA device index.', low=0, high=63)
    precision: str = setting('fp16', 'Precision of TensorRT engines built from ONNX.',
                             choices=PRECISIONS)
    engine_cache_dir: str = setting(
        '', 'Folder for TensorRT engines built from ONNX; empty: $TRT_PERCEPTION_ENGINE_CACHE, '
        'else engines/ of a source checkout, else ~/.cache/trt_perception/engines.')
    serve_while_building: bool = setting(
        True, 'While a TensorRT engine is resolved (loaded from the cache or built, which can '
        'take many minutes), detect with ONNX Runtime and switch to TensorRT when it is ready; '
        'false: start only once the engine is there.')
    max_batch: int = setting(
        1, 'Frames from different cameras run together in one inference, at most this many.',
        low=1, high=64)
    pipeline_depth: int = setting(
        0, 'Batches in flight at once on a GPU backend or a Triton server, each with its own '
        'buffers: the CPU converts and decodes one batch while the GPU or server runs another. '
        '0: 2 for TensorRT, for ONNX Runtime with cuda_graphs and for Triton, else 1.',
        low=0, high=8)
    onnxruntime_provider: str = setting(
        'auto', 'How ONNX Runtime runs the model. auto: its CUDA provider when pycuda, a GPU and '
        'onnxruntime-gpu are there (the input written in place by the GPU preprocessing), else '
        'the CPU; cuda or tensorrt (ONNX Runtime builds and caches TensorRT engines in '
        'engine_cache_dir) require it; cpu: never the GPU.', choices=ONNXRUNTIME_PROVIDERS)
    cuda_graphs: bool = setting(
        False, "Capture ONNX Runtime's GPU runs as CUDA graphs and replay them (one per batch "
        'size): about half the inference time of small models such as YOLOv8n on an H200, for '
        'models whose operators all run on the GPU.')
    classes: str = setting(
        '', 'Classes to report, comma-separated names or ids (e.g. "person, car" or "0,2"); '
        'empty: all.', runtime=True)
    params: DetectionParams = field(default_factory=DetectionParams)
    """Thresholds and filters; `classes`, when given, replaces their class ids."""
    triton: TritonSettings = field(default_factory=TritonSettings)
    """The server and model of backend 'triton'."""


PIPELINE_SETTINGS: List[SchemaEntry] = (
    [('', PipelineConfig)]
    + [(plugin.prefix, plugin.settings) for plugin in BACKEND_PLUGINS if plugin.settings]
    + [('', DetectionParams)])
"""Every setting of a pipeline, in the order the node's table, ``detect`` and the docs show.
A backend's own settings (e.g. triton.*) fill the PipelineConfig field named after it."""


def pipeline_config(values: Mapping[str, Any]) -> PipelineConfig:
    """Build the config from setting values keyed by outside name; missing ones keep defaults."""
    backends = {plugin.backend: from_values(plugin.settings, values, plugin.prefix)
                for plugin in BACKEND_PLUGINS if plugin.settings}
    return from_values(PipelineConfig, values, params=from_values(DetectionParams, values),
                       **backends)


def detection_params(values: Mapping[str, Any], labels: Sequence[str]) -> DetectionParams:
    """Build thresholds and filters from setting values by name, `classes` read with `labels`."""
    return from_values(DetectionParams, values,
                       classes=parse_classes(values.get('classes', ''), labels))


def _labels(config: PipelineConfig, card: ModelCard) -> List[str]:
    """Read the labels parameter's file, else the card's; else take the model's own names."""
    path = config.labels or card.labels_path
    return load_labels(path) if path else list(card.labels)


@dataclass(frozen=True)
class BackendChoice:
    """The plugin `backend` settings choose here, and why each one before it was passed over."""

    plugin: BackendPlugin
    passed_over: Tuple[str, ...] = ()
    """'TensorRT: no CUDA device', ... in the order tried."""

    def fallback(self) -> str:
        """Return the note for logs and diagnostics ('' when the first candidate was taken)."""
        if not self.passed_over:
            return ''
        return '%s because %s' % (self.plugin.serving, '; '.join(self.passed_over))


def choose_backend(config: PipelineConfig, card: ModelCard) -> BackendChoice:
    """
    Walk BACKEND_PLUGINS: the first the settings allow that is usable here.

    Raises BackendError where a required one is unusable, or none is left.
    """
    passed: List[str] = []
    for plugin in BACKEND_PLUGINS:
        demand = plugin.demand(config, card)
        if demand is None:
            continue
        reason = plugin.unavailable_reason(config)
        if reason is None:
            return BackendChoice(plugin, tuple(passed))
        if demand == REQUIRE:
            raise BackendError(plugin.required_message(config, card, reason))
        passed.append('%s: %s' % (plugin.name, reason))
    raise BackendError('no backend can run %s with backend %s: %s' % (
        card.path, config.backend, '; '.join(passed) or 'none is allowed by the settings'))


def pipeline_depth(config: PipelineConfig, plugin: BackendPlugin, log: logging.Logger) -> int:
    """Resolve batches in flight: pipeline_depth, or for 0 (auto) the plugin's default."""
    depth = config.pipeline_depth or plugin.default_depth(config)
    if depth > plugin.max_depth:
        log.warning('pipeline_depth %d: %s runs at most %d batch(es) at once; using %d'
                    % (depth, plugin.serving, plugin.max_depth, plugin.max_depth))
        depth = plugin.max_depth
    return depth


def _cuda_context(config: PipelineConfig, plugin: BackendPlugin) -> 'CudaContext':
    """Open the GPU context; where the plugin can do without one, say what to set."""
    try:
        from trt_perception.gpu.context import CudaContext, CudaUnavailableError
    except ImportError as error:
        message = plugin.cuda_missing_message(config, str(error.__cause__ or error))
        if not message:
            raise
        raise BackendError(message) from error
    try:
        return CudaContext(config.device_id)
    except CudaUnavailableError as error:
        message = plugin.cuda_missing_message(config, str(error))
        if not message:
            raise
        raise BackendError(message) from error


def _assemble_masks_on_gpu(decoder: SegmentationDecoder, backend: InferenceBackend,
                           context: Optional['CudaContext']) -> Optional[Callable[[], None]]:
    """
    Give `decoder` a GPU assembler where the backend's outputs are on the GPU; return its close.

    None (the CPU assembles) where they are not, or the prototypes' shape is not fixed.
    """
    protos = next(spec for spec in backend.outputs if spec.name == decoder.protos)
    shape = [d for d in protos.shape[1:] if isinstance(d, int) and d > 0]
    if context is not None and isinstance(backend, DeviceInputBackend) and len(shape) == 3:
        from trt_perception.gpu.masks import CudaMaskAssembler
        from trt_perception.gpu.slots import SlottedBackend
        if isinstance(backend, SlottedBackend):
            assembler = CudaMaskAssembler(context, shape, protos.dtype, MASK_TURN,
                                          stream=backend.stream)
            backend.keep_on_device({decoder.protos})
            decoder.assembler = assembler  # type: ignore[assignment]  # MaskAssembler's GPU twin
            return assembler.close
    return None


def create_pipeline(config: PipelineConfig,
                    log: Optional[logging.Logger] = None) -> DetectionPipeline:
    """Build the pipeline `config` asks for, falling back to ONNX Runtime under 'auto'."""
    log = log or logging.getLogger('trt_perception')
    card = find_model(config.model)
    info = {Fact.MODEL_NAME: card.name}
    closers: List[Callable[[], None]] = []
    backend: Optional[InferenceBackend] = None
    choice = choose_backend(config, card)
    if choice.passed_over:
        info[Fact.FALLBACK] = choice.fallback()
        log.warning('backend %s: using %s', config.backend, info[Fact.FALLBACK])
    plugin = choice.plugin
    context: Optional['CudaContext'] = None
    activate: Callable[[], ContextManager[object]] = contextlib.ExitStack
    if plugin.needs_cuda(config) or config.preprocess == 'gpu':
        context = _cuda_context(config, plugin)
        closers.append(context.close)
        activate = context.activated
    try:
        with activate():
            backend = plugin.create(config, card, context, pipeline_depth(config, plugin, log),
                                    log)
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
            labels = _labels(config, card)
            params = config.params
            if config.classes:
                params = replace(params, classes=parse_classes(config.classes, labels))
            decoder = model_decoder(config.decoder if config.decoder != 'auto'
                                    else card.output_format, backend.outputs, labels,
                                    kpt_shape=card.kpt_shape,
                                    normalized_boxes=card.normalized_boxes,
                                    input_size=(spec.width, spec.height))
            if isinstance(decoder, SegmentationDecoder) and config.mask_assembly != 'cpu':
                assembler_close = _assemble_masks_on_gpu(decoder, backend, context)
                if assembler_close is not None:
                    closers.insert(0, assembler_close)  # before the context's own close
    except BaseException:
        if backend is not None:
            backend.close()
        for closer in closers:
            closer()
        raise
    return DetectionPipeline(backend, preprocessor, decoder, params,
                             activate=activate, closers=closers, info=info)
