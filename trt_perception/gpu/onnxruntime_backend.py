# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
ONNX Runtime on the GPU, reading the input our preprocessing kernel wrote in place.

`OnnxRuntimeCudaBackend` runs a session with the CUDA execution provider (or ONNX Runtime's
TensorRT provider) on our CUDA stream (`user_compute_stream`).  IOBinding points the
session's input and outputs at device buffers we allocated once per slot, so the fused
letterbox kernel writes the network input where the session reads it; outputs come back
through page-locked memory, queued on the same stream behind the inference.  Runs do not
synchronise the stream (`disable_synchronize_execution_providers`), so `enqueue` returns
while the GPU works and `collect` waits on a CUDA event.

This is GPU inference for users without TensorRT code of their own: `pip install
onnxruntime-gpu` (Jetson wheels exist for JetPack 4.6 and later) is all it needs.
"""

import logging
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from trt_perception.core.backend import BackendError, DeviceInputBackend, TensorSpec
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend, Provider
from trt_perception.gpu.context import cuda, CudaContext
from trt_perception.gpu.slots import BatchInFlight, Slots, SlottedBackend

PROVIDERS = ('cuda', 'tensorrt')
"""ONNX Runtime GPU execution providers this backend can drive."""

_PROVIDER_NAMES = {'cuda': 'CUDAExecutionProvider', 'tensorrt': 'TensorrtExecutionProvider'}
_NO_SYNC = 'disable_synchronize_execution_providers'
_GRAPH_ID = 'gpu_graph_id'


def cuda_provider_unavailable_reason(provider: str = 'cuda') -> Optional[str]:
    """None when ONNX Runtime offers `provider` ('cuda' or 'tensorrt'), else why not."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        return 'onnxruntime cannot be imported (%s)' % exc
    name = _PROVIDER_NAMES[provider]
    available = ort.get_available_providers()
    if name not in available:
        return ('onnxruntime %s has no %s (it offers %s); install onnxruntime-gpu built for '
                'this CUDA (on Jetson, the JetPack wheel)'
                % (ort.__version__, name, ', '.join(available)))
    return None


class _Slot(BatchInFlight):
    """One batch in flight: its IOBinding, device and page-locked buffers, CUDA events."""

    def __init__(self, binding: Any, input_buffer: cuda.DeviceAllocation,
                 output_buffers: List[cuda.DeviceAllocation], host_outputs: List[np.ndarray],
                 staging: np.ndarray) -> None:
        super().__init__()
        self.binding = binding
        self.input = input_buffer
        self.outputs = output_buffers
        self.host_outputs = host_outputs
        self.staging = staging
        self.size_feeds: Dict[str, np.ndarray] = {}
        """Host values bound to the model's image-size inputs (kept alive while bound)."""
        self.batch = 0
        """Batch size the binding is set up for (0: none yet)."""

    def free(self) -> None:
        """Free the device memory now."""
        for buffer in [self.input] + self.outputs:
            buffer.free()
        self.outputs = []
        self.host_outputs = []


class OnnxRuntimeCudaBackend(SlottedBackend, OnnxRuntimeBackend, DeviceInputBackend):
    """
    An ONNX model run by ONNX Runtime's CUDA (or TensorRT) provider on our stream.

    Every method must be called with `context` active (the pipeline activates it).
    `cuda_graphs` captures each slot's run once per batch size and replays it (fixed
    shapes only; see ONNX Runtime's CUDA graph notes).  With provider 'tensorrt', ONNX
    Runtime builds TensorRT engines itself and caches them in `engine_cache_dir`.
    """

    def __init__(self, model_path: str, context: CudaContext, max_batch: int = 1,
                 slots: int = 1, provider: str = 'cuda', cuda_graphs: bool = False,
                 engine_cache_dir: str = '', precision: str = 'fp16',
                 log: Optional[logging.Logger] = None) -> None:
        """Create the session on a new stream and `slots` buffer sets for `max_batch`."""
        if provider not in PROVIDERS:
            raise ValueError('provider=%r is not one of %s' % (provider, ', '.join(PROVIDERS)))
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise ValueError('slots must be a positive integer, got %r' % (slots,))
        import onnxruntime as ort

        reason = cuda_provider_unavailable_reason(provider)
        if reason is not None:
            raise BackendError(reason)
        self._log = log or logging.getLogger('trt_perception.onnxruntime')
        self._context = context
        self._cuda_graphs = bool(cuda_graphs)
        stream = cuda.Stream()
        self._stream: Optional[cuda.Stream] = stream
        self._slots: Slots[_Slot] = Slots('the ONNX Runtime GPU backend')
        self._last_gpu_times: Dict[str, float] = {}
        self._dims: Dict[str, Tuple[int, ...]] = {}
        providers = self._providers(provider, stream.handle, engine_cache_dir, precision)
        super().__init__(model_path, providers=providers, max_batch=max_batch)
        used = self.providers[0]
        if used != _PROVIDER_NAMES[provider] and hasattr(ort, 'preload_dlls'):
            # onnxruntime-gpu wheels can take CUDA and cuDNN from the nvidia-* pip packages
            # (PyTorch's) when the system has none on the library path: try that once.
            ort.preload_dlls()
            super().__init__(model_path, providers=providers, max_batch=max_batch)
            used = self.providers[0]
        try:
            if used != _PROVIDER_NAMES[provider]:
                raise BackendError(
                    'ONNX Runtime could not start its %s for %s and fell back to %s (see its '
                    'log above: usually a CUDA or cuDNN library it was built for is missing)'
                    % (_PROVIDER_NAMES[provider], model_path, used))
            self._dims = {spec.name: self._fixed_dims(spec)
                          for spec in [self.input] + self.outputs}
            self._run_options: Dict[Tuple[int, int], object] = {}
            self._ort = ort
            self._slots.extend([self._new_slot() for _ in range(slots)])
        except BaseException:
            self.close()
            raise
        self._log.info('ONNX Runtime %s: %s on %s, stream 0x%x, %d slot(s)%s', ort.__version__,
                       used, context.name, stream.handle, slots,
                       ', CUDA graphs' if self._cuda_graphs else '')

    def _providers(self, provider: str, stream_handle: int, cache_dir: str,
                   precision: str) -> List[Provider]:
        stream = str(stream_handle)
        device = str(self._context.device_id)
        cuda_options = {'device_id': device, 'user_compute_stream': stream,
                        'enable_cuda_graph': '1' if self._cuda_graphs else '0'}
        chosen: List[Provider] = [('CUDAExecutionProvider', cuda_options)]
        if provider == 'tensorrt':
            trt_options = {'device_id': device, 'user_compute_stream': stream,
                           'trt_fp16_enable': str(precision in ('fp16', 'int8')),
                           'trt_int8_enable': str(precision == 'int8'),
                           'trt_cuda_graph_enable': str(self._cuda_graphs)}
            if cache_dir:
                trt_options.update({'trt_engine_cache_enable': 'True',
                                    'trt_engine_cache_path': cache_dir,
                                    'trt_timing_cache_enable': 'True',
                                    'trt_timing_cache_path': cache_dir})
            chosen.insert(0, ('TensorrtExecutionProvider', trt_options))
        return chosen

    @staticmethod
    def _fixed_dims(spec: TensorSpec) -> Tuple[int, ...]:
        """Return the sizes after the batch; raise when one is only known at run time."""
        dims = tuple(d for d in spec.shape[1:] if isinstance(d, int) and d >= 0)
        if len(dims) != len(spec.shape) - 1:
            raise BackendError(
                'tensor %s has a size known only at run time; the GPU backend binds tensors '
                'of fixed size (batch aside): use the CPU provider (onnxruntime_provider: '
                'cpu) for this model' % spec.describe())
        return dims

    def _shape(self, spec: TensorSpec, batch_size: int) -> Tuple[int, ...]:
        return (batch_size,) + self._dims[spec.name]

    def _new_slot(self) -> _Slot:
        most = self.max_batch
        image = self.input
        input_bytes = int(np.prod(self._shape(image, most))) * np.dtype(image.dtype).itemsize
        outputs, hosts = [], []
        input_buffer = cuda.mem_alloc(input_bytes)
        for spec in self.outputs:
            count = int(np.prod(self._shape(spec, most)))
            outputs.append(cuda.mem_alloc(max(1, count * np.dtype(spec.dtype).itemsize)))
            hosts.append(cuda.pagelocked_empty(count, spec.dtype))
        staging = cuda.pagelocked_empty(int(np.prod(self._shape(image, most))), image.dtype)
        return _Slot(self._session.io_binding(), input_buffer, outputs, hosts, staging)

    def _batch_range(self) -> Tuple[int, int, str]:
        return 1, self.max_batch, ''

    def _input_impl(self, state: _Slot, batch_size: int) -> Tuple[int, np.ndarray]:
        self._bind(state, batch_size)
        return int(state.input), state.staging

    def _run_impl(self, state: _Slot, slot: int, batch_size: int) -> None:
        self._bind(state, batch_size)
        try:
            self._session.run_with_iobinding(state.binding, self._options(slot, batch_size))
        except Exception as exc:  # onnxruntime raises its own exception family
            raise BackendError('ONNX Runtime failed on a batch of %d: %s'
                               % (batch_size, exc)) from exc

    def _outputs_impl(self, state: _Slot, batch_size: int
                      ) -> List[Tuple[str, int, np.ndarray, Tuple[int, ...]]]:
        return [(spec.name, int(device), host, self._shape(spec, batch_size))
                for spec, device, host in zip(self.outputs, state.outputs, state.host_outputs)]

    def infer(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        """Copy a host batch in, run it on the GPU and wait for the outputs."""
        return DeviceInputBackend.infer(self, batch)

    def _options(self, slot: int, batch_size: int) -> object:
        """Run options: no stream synchronisation, and one CUDA graph per slot and batch."""
        key = (slot, batch_size) if self._cuda_graphs else (0, 0)
        options = self._run_options.get(key)
        if options is None:
            options = self._ort.RunOptions()
            options.add_run_config_entry(_NO_SYNC, '1')
            if self._cuda_graphs:
                options.add_run_config_entry(
                    _GRAPH_ID, str(1 + slot * (self.max_batch + 1) + batch_size))
            self._run_options[key] = options
        return options

    def _bind(self, state: _Slot, batch_size: int) -> None:
        if batch_size == state.batch:
            return
        device = self._context.device_id
        image = self.input
        state.binding.bind_input(image.name, 'cuda', device, np.dtype(image.dtype),
                                 list(self._shape(image, batch_size)), int(state.input))
        height, width = self._shape(image, batch_size)[2:]
        state.size_feeds = self.size_feeds(batch_size, width, height)
        for name, values in state.size_feeds.items():
            state.binding.bind_cpu_input(name, values)
        for spec, buffer in zip(self.outputs, state.outputs):
            state.binding.bind_output(spec.name, 'cuda', device, np.dtype(spec.dtype),
                                      list(self._shape(spec, batch_size)), int(buffer))
        state.batch = int(batch_size)

    def describe(self) -> Dict[str, str]:
        """Backend facts plus the device and slots."""
        info = super().describe()
        info.update({
            'device': '%s on %s (sm %s)' % (','.join(self.providers), self._context.name,
                                            '%d.%d' % self._context.compute_capability),
            'slots': str(len(self._slots)),
            'cuda_graphs': str(self._cuda_graphs).lower(),
        })
        return info

    def close(self) -> None:
        """Wait for queued work, then free buffers, the session and the stream."""
        if self._stream is not None and len(self._slots):
            self._stream.synchronize()
        for state in self._slots.clear():
            state.free()
        super().close()
        self._stream = None
