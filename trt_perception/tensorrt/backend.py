# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Run a TensorRT engine on a CUDA stream with buffers allocated once.

`TensorRTBackend` owns the runtime, engine, execution context, one stream, device buffers for
every I/O tensor and page-locked host buffers, all sized for `max_batch` at construction.  A
GPU preprocessor writes into `device_input(n)` on `stream`; `infer_device(n)` queues the
engine and the output copies behind it on the same stream and waits once, when the results are
handed back.  Which TensorRT I/O API drives the engine (bindings before 8.5, named tensors
after) is chosen once, as one of two small classes.

Every method must be called with the CUDA context the backend was created in active (the
pipeline activates it around each call).
"""

from dataclasses import dataclass
import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from trt_perception.core.backend import BackendError, DeviceInputBackend, TensorSpec
from trt_perception.gpu.context import cuda, CudaContext
from trt_perception.gpu.slots import BatchInFlight, Slots, SlottedBackend
from trt_perception.tensorrt.api import TensorRTApi, TensorRTUnavailable

_PROFILE_SUFFIX = ' [profile '


@dataclass(frozen=True)
class TensorInfo:
    """One engine I/O tensor as the engine reports it (-1 for dimensions set at run time)."""

    name: str
    index: int
    is_input: bool
    shape: Tuple[int, ...]
    dtype: np.dtype


class NamedTensorIO:
    """Engine I/O through named tensors (TensorRT >= 8.5, 10.x, TensorRT-RTX)."""

    def __init__(self, api: TensorRTApi, engine) -> None:
        """Read every I/O tensor of `engine`."""
        self._engine = engine
        input_mode = api.module.TensorIOMode.INPUT
        self.tensors: List[TensorInfo] = []
        for index in range(engine.num_io_tensors):
            name = engine.get_tensor_name(index)
            self.tensors.append(TensorInfo(
                name, index, engine.get_tensor_mode(name) == input_mode,
                tuple(engine.get_tensor_shape(name)),
                np.dtype(api.nptype(engine.get_tensor_dtype(name)))))

    def profile_shapes(self, tensor: TensorInfo) -> Tuple[Tuple[int, ...], ...]:
        """(min, opt, max) shapes of an input in optimisation profile 0."""
        return tuple(tuple(s) for s in self._engine.get_tensor_profile_shape(tensor.name, 0))

    def bind(self, context, addresses: Dict[str, int]) -> List[int]:
        """
        Give the execution context every tensor's device address, once.

        The addresses live in the context, so there is nothing to hand to `enqueue`.
        """
        for name, address in addresses.items():
            context.set_tensor_address(name, address)
        return []

    def set_input_shape(self, context, tensor: TensorInfo, shape: Tuple[int, ...]) -> bool:
        """Set a dynamic input's shape; False when outside the profile."""
        return bool(context.set_input_shape(tensor.name, shape))

    def shape(self, context, tensor: TensorInfo) -> Tuple[int, ...]:
        """Return a tensor's shape for the input shapes currently set."""
        return tuple(context.get_tensor_shape(tensor.name))

    def enqueue(self, context, bindings: List[int], stream_handle: int) -> bool:
        """Queue one inference on the stream."""
        return bool(context.execute_async_v3(stream_handle))


class BindingsIO:
    """Engine I/O through binding indices (TensorRT 8.0 .. 8.4; 8.2 on JetPack 4.6)."""

    def __init__(self, api: TensorRTApi, engine) -> None:
        """Read every binding of `engine` in optimisation profile 0."""
        self._engine = engine
        self.tensors = []
        for index in range(engine.num_bindings):
            name = engine.get_binding_name(index)
            # Bindings of profiles other than 0 repeat every tensor with this suffix.
            if _PROFILE_SUFFIX in name:
                continue
            self.tensors.append(TensorInfo(
                name, index, bool(engine.binding_is_input(index)),
                tuple(engine.get_binding_shape(index)),
                np.dtype(api.nptype(engine.get_binding_dtype(index)))))
        self._count = engine.num_bindings

    def profile_shapes(self, tensor: TensorInfo) -> Tuple[Tuple[int, ...], ...]:
        """(min, opt, max) shapes of an input in optimisation profile 0."""
        return tuple(tuple(s) for s in self._engine.get_profile_shape(0, tensor.index))

    def bind(self, context, addresses: Dict[str, int]) -> List[int]:
        """
        Build the bindings array that every enqueue of `context` hands over.

        Each execution context (each slot) has its own array: the addresses of its buffers.
        """
        by_name = {t.name: t.index for t in self.tensors}
        bindings = [0] * self._count
        for name, address in addresses.items():
            bindings[by_name[name]] = address
        return bindings

    def set_input_shape(self, context, tensor: TensorInfo, shape: Tuple[int, ...]) -> bool:
        """Set a dynamic input's shape; False when outside the profile."""
        return bool(context.set_binding_shape(tensor.index, shape))

    def shape(self, context, tensor: TensorInfo) -> Tuple[int, ...]:
        """Return a tensor's shape for the input shapes currently set."""
        return tuple(context.get_binding_shape(tensor.index))

    def enqueue(self, context, bindings: List[int], stream_handle: int) -> bool:
        """Queue one inference on the stream."""
        return bool(context.execute_async_v2(bindings, stream_handle))


def _volume(shape: Tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _spec(tensor: TensorInfo) -> TensorSpec:
    return TensorSpec(tensor.name, tuple(d if d >= 0 else None for d in tensor.shape),
                      tensor.dtype)


TensorIO = Union[NamedTensorIO, BindingsIO]


@dataclass(frozen=True)
class _EngineLayout:
    """The engine's one image input, its outputs and the batch sizes it will be run at."""

    image: TensorInfo
    outputs: List[TensorInfo]
    dynamic: bool
    min_batch: int
    max_batch: int

    @classmethod
    def read(cls, io: TensorIO, source: str, max_batch: int) -> '_EngineLayout':
        """Check the engine can serve `max_batch` and say how; raises BackendError if not."""
        inputs = [t for t in io.tensors if t.is_input]
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise BackendError('engine %s has inputs %s; one NCHW image input is expected'
                               % (source, ', '.join(_spec(t).describe() for t in inputs)))
        image = inputs[0]
        outputs = [t for t in io.tensors if not t.is_input]
        if image.shape[0] >= 0:
            # A fixed-batch engine always runs its whole batch; callers see the first images.
            if max_batch > image.shape[0]:
                raise BackendError(
                    'engine %s has a fixed batch of %d, below max_batch=%d; rebuild from an '
                    'ONNX model with a dynamic batch axis or lower max_batch'
                    % (source, image.shape[0], max_batch))
            return cls(image, outputs, False, 1, image.shape[0])
        low, _, high = (shape[0] for shape in io.profile_shapes(image))
        if not low <= max_batch <= high:
            raise BackendError('engine %s accepts batches of %d..%d, not max_batch=%d; rebuild '
                               'with --max-batch %d or lower max_batch'
                               % (source, low, high, max_batch, max_batch))
        return cls(image, outputs, True, low, max_batch)

    def input_shape(self, batch_size: int) -> Tuple[int, ...]:
        """Return the image input's shape for `batch_size` images."""
        return (batch_size,) + tuple(self.image.shape[1:])


class _IOBuffers:
    """Device memory for every I/O tensor and page-locked host memory for the copies."""

    def __init__(self, layout: _EngineLayout, output_shapes: Sequence[Tuple[int, ...]],
                 source: str) -> None:
        """Allocate for the largest batch; `output_shapes` are the outputs' shapes at it."""
        self._device: List[cuda.DeviceAllocation] = []
        self.addresses: Dict[str, int] = {}
        self.host_outputs: List[np.ndarray] = []
        input_shape = layout.input_shape(layout.max_batch)
        for tensor, shape in zip([layout.image] + layout.outputs,
                                 [input_shape] + list(output_shapes)):
            if any(d < 0 for d in shape):
                raise BackendError('output %s of %s has a data-dependent shape %s, which this '
                                   'backend does not support' % (tensor.name, source, shape))
            buffer = cuda.mem_alloc(max(1, _volume(shape) * tensor.dtype.itemsize))
            self._device.append(buffer)
            self.addresses[tensor.name] = int(buffer)
            if not tensor.is_input:
                self.host_outputs.append(cuda.pagelocked_empty(_volume(shape), tensor.dtype))
        self.input_address = self.addresses[layout.image.name]
        self.output_addresses = [self.addresses[t.name] for t in layout.outputs]
        self.staging = cuda.pagelocked_empty(_volume(input_shape), layout.image.dtype)

    def free(self) -> None:
        """Free the device memory now; the host memory goes with the last reference."""
        for buffer in self._device:
            buffer.free()
        self._device = []
        self.host_outputs = []


class _Slot(BatchInFlight):
    """One batch in flight: an execution context, its buffers and its CUDA events."""

    def __init__(self, context_engine: object, buffers: _IOBuffers) -> None:
        super().__init__()
        self.context = context_engine
        self.buffers = buffers
        self.batch = 0
        """Batch size the context's input shape is set for (0: none yet)."""
        self.bindings: List[int] = []
        """The bindings array of the TensorRT 8.0-8.4 API ([] with named tensors)."""


class TensorRTBackend(SlottedBackend, DeviceInputBackend):
    """
    A deserialised TensorRT engine with its buffers, stream and timing events.

    It only runs a plan it is given: getting one (a prebuilt file, the engine cache, a
    build) is `trt_perception.tensorrt.cache.resolve_engine`'s work.  Each of its `slots`
    has its own execution context and buffers, all queued on one stream, so batches can be
    in flight together.  `collect` returns views of page-locked buffers that stay valid
    until the slot is used again; copy them to keep results longer.  `last_gpu_times`
    holds the GPU-side milliseconds of the last collected batch, measured with CUDA events:
    'preprocess' (or 'upload' for a host batch), 'inference' and 'download'.
    """

    name = 'tensorrt'

    def __init__(self, plan: bytes, max_batch: int = 1, api: Optional[TensorRTApi] = None,
                 log: Optional[logging.Logger] = None, source: str = '<plan>',
                 precision: str = '', context: Optional[CudaContext] = None,
                 slots: int = 1) -> None:
        """
        Deserialise `plan` and allocate `slots` buffer sets for batches up to `max_batch`.

        Needs an active CUDA context; `context` (a CudaContext) supplies the device facts.
        """
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise ValueError('slots must be a positive integer, got %r' % (slots,))
        self._log = log or logging.getLogger('trt_perception.tensorrt')
        self._api = api or _load_api()
        self._source = source
        self._precision = precision
        self._device = _DeviceFacts.current(context)
        # Resources, released by close() whatever step below fails.
        self._runtime = None
        self._engine = None
        self._stream: Optional[cuda.Stream] = None
        self._slots: Slots[_Slot] = Slots('TensorRT backend for %s' % source)
        self._shapes: Dict[int, List[Tuple[int, ...]]] = {}
        self._last_gpu_times: Dict[str, float] = {}
        try:
            self._runtime = self._api.module.Runtime(self._api.logger(self._log))
            self._engine = self._runtime.deserialize_cuda_engine(plan)
            if self._engine is None:
                raise BackendError(
                    '%s %s could not deserialise %s (see the TensorRT error above): an engine '
                    'only loads on the TensorRT version and GPU it was built for; rebuild it '
                    'here with `build_engine --onnx MODEL.onnx --engine %s`, or pass the .onnx '
                    'model and let the engine cache build one'
                    % (self._api.flavour, self._api.version, source, source))
            self._io: TensorIO = (NamedTensorIO(self._api, self._engine)
                                  if self._api.io_api == 'named'
                                  else BindingsIO(self._api, self._engine))
            self._layout = _EngineLayout.read(self._io, source, max_batch)
            self._stream = cuda.Stream()
            self._slots.extend([self._new_slot(self._engine) for _ in range(slots)])
        except BaseException:
            self.close()
            raise
        self._log.info('TensorRT: loaded %s on %s (%s), input %s, outputs %s, batch %d..%d, '
                       '%d slot(s)', source, self._device.name, self._api.describe(),
                       self.input.describe(), ' '.join(o.describe() for o in self.outputs),
                       self._layout.min_batch, self._layout.max_batch, slots)

    def _new_slot(self, engine: Any) -> _Slot:
        """Create an execution context with buffers for the largest batch, addresses bound."""
        layout = self._layout
        context_engine = engine.create_execution_context()
        shapes = self._output_shapes(context_engine, layout.max_batch)
        slot = _Slot(context_engine, _IOBuffers(layout, shapes, self._source))
        slot.batch = layout.max_batch
        slot.bindings = self._io.bind(context_engine, slot.buffers.addresses)
        return slot

    @property
    def input(self) -> TensorSpec:  # noqa: A003 (an attribute hides no builtin)
        """Image input of the engine; its batch is None when dynamic."""
        return _spec(self._layout.image)

    @property
    def outputs(self) -> List[TensorSpec]:
        """Output tensors of the engine, in engine order."""
        return [_spec(t) for t in self._layout.outputs]

    @property
    def max_batch(self) -> int:
        """Largest batch the buffers were allocated for."""
        return self._layout.max_batch

    def _batch_range(self) -> Tuple[int, int, str]:
        layout = self._layout
        return (layout.min_batch, layout.max_batch,
                ' that engine %s was loaded for' % self._source)

    def _input_impl(self, state: _Slot, batch_size: int) -> Tuple[int, np.ndarray]:
        self._select_batch(state, batch_size)
        return state.buffers.input_address, state.buffers.staging

    def _run_impl(self, state: _Slot, slot: int, batch_size: int) -> None:
        self._select_batch(state, batch_size)
        assert self._stream is not None  # it lives as long as the slots
        if not self._io.enqueue(state.context, state.bindings, self._stream.handle):
            raise BackendError('TensorRT failed to enqueue %s for a batch of %d (see the '
                               'TensorRT error above)' % (self._source, batch_size))

    def _outputs_impl(self, state: _Slot, batch_size: int
                      ) -> List[Tuple[str, int, np.ndarray, Tuple[int, ...]]]:
        return [(tensor.name, address, host, shape) for tensor, address, host, shape in zip(
            self._layout.outputs, state.buffers.output_addresses, state.buffers.host_outputs,
            self._shapes[batch_size])]

    def _output_shapes(self, context_engine: object, batch_size: int) -> List[Tuple[int, ...]]:
        """Output shapes at `batch_size`, with the input shape set on `context_engine`."""
        layout = self._layout
        if layout.dynamic:
            if not self._io.set_input_shape(context_engine, layout.image,
                                            layout.input_shape(batch_size)):
                raise BackendError('TensorRT rejected input shape %s for %s'
                                   % (layout.input_shape(batch_size), self._source))
        shapes = self._shapes.get(batch_size)
        if shapes is None:
            shapes = [self._io.shape(context_engine, t) if layout.dynamic else tuple(t.shape)
                      for t in layout.outputs]
            self._shapes[batch_size] = shapes
        return shapes

    def _select_batch(self, state: _Slot, batch_size: int) -> None:
        """Set the slot's input shape when its batch changes; no-op otherwise."""
        if batch_size == state.batch:
            return
        self._output_shapes(state.context, int(batch_size))
        state.batch = int(batch_size)

    def describe(self) -> Dict[str, str]:
        """Backend facts plus TensorRT version, precision, engine and device."""
        info = super().describe()
        info.update({
            'model': self._source,
            'runtime_version': self._api.describe(),
            'precision': self._precision or 'unknown',
            'device': '%s (sm %s)' % (self._device.name, self._device.compute_capability),
            'batch_range': '%d..%d' % (self._layout.min_batch, self._layout.max_batch),
            'slots': str(len(self._slots)),
        })
        return info

    def close(self) -> None:
        """Release contexts, buffers, engine, runtime and stream; safe to repeat."""
        for state in self._slots.clear():
            state.context = None
            state.buffers.free()
        self._engine = None
        self._runtime = None
        self._stream = None


@dataclass(frozen=True)
class _DeviceFacts:
    """Name and compute capability ('8.7') of the GPU the engine runs on."""

    name: str
    compute_capability: str

    @classmethod
    def current(cls, context: Optional[CudaContext] = None) -> '_DeviceFacts':
        """From the CudaContext when given, else from the active pycuda context."""
        if context is not None:
            return cls(context.name, '%d.%d' % tuple(context.compute_capability))
        try:
            device = cuda.Context.get_device()
        except cuda.Error as exc:
            raise BackendError('no active CUDA context (%s); create a '
                               'trt_perception.gpu.context.CudaContext and call the backend '
                               'inside `with context.activated():`' % exc) from exc
        return cls(device.name(), '%d.%d' % device.compute_capability())


def _load_api() -> TensorRTApi:
    try:
        return TensorRTApi.load()
    except TensorRTUnavailable as exc:
        raise BackendError(str(exc)) from exc
