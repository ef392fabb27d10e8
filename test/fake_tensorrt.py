# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
A test double of TensorRT's runtime that computes a known function on the GPU.

TensorRT cannot execute on the machines these tests run on, so `FakeEngine` /
`FakeExecutionContext` (named-tensor API, TensorRT >= 8.5) and `FakeBindingsEngine` /
`FakeBindingsExecutionContext` (bindings API, TensorRT 8.2) stand in for the engine and its
execution context.  They expose exactly the members `trt_perception.tensorrt.api` declares
(checked by test_tensorrt_contract.py), read the input from the device address the runner
bound, and launch a pycuda kernel on the runner's stream that writes every output:

    sums[b, c]    = sum over y, x of input[b, c, y, x]
    corners[b, k] = input[b, k % 3, 0 or H-1, 0 or W-1] + b      (k = 0..3)

so wrong addresses, shapes, batch sizes or stream ordering give wrong numbers.  Passing these
tests proves the runner's buffer/stream/event plumbing, never that TensorRT works.
"""

import enum
import json
import types
from typing import Callable, Dict, List, Tuple

import numpy as np

_KERNEL = r"""
extern "C" __global__ void fake_engine(const float* input, float* sums, float* corners,
                                       int batch, int height, int width)
{
    int b = blockIdx.x;
    int c = threadIdx.x;
    if (b >= batch || c >= 3) return;
    const float* plane = input + ((size_t)b * 3 + c) * height * width;
    float total = 0.0f;
    for (int i = 0; i < height * width; ++i) total += plane[i];
    sums[b * 3 + c] = total;
    if (c == 0) {
        for (int k = 0; k < 4; ++k) {
            const float* p = input + ((size_t)b * 3 + (k % 3)) * height * width;
            int y = (k & 1) ? height - 1 : 0;
            int x = (k & 2) ? width - 1 : 0;
            corners[b * 4 + k] = p[y * width + x] + (float)b;
        }
    }
}
"""


def reference(batch: np.ndarray) -> Dict[str, np.ndarray]:
    """Compute what the fake engine computes, in float64 numpy."""
    data = batch.astype(np.float64)
    n, _, h, w = data.shape
    corners = np.empty((n, 4))
    for k in range(4):
        corners[:, k] = data[:, k % 3, h - 1 if k & 1 else 0, w - 1 if k & 2 else 0] + np.arange(n)
    return {'sums': data.sum(axis=(2, 3)), 'corners': corners}


class FakeDataType(enum.Enum):
    """The TensorRT data types the fake uses."""

    FLOAT = 0
    INT32 = 3


class FakeTensorIOMode(enum.Enum):
    """TensorRT's tensor I/O modes."""

    NONE = 0
    INPUT = 1
    OUTPUT = 2


class FakeILogger:
    """TensorRT's logger interface (subclassed by the runner)."""

    class Severity(enum.IntEnum):
        """Message severities, as in TensorRT."""

        INTERNAL_ERROR = 0
        ERROR = 1
        WARNING = 2
        INFO = 3
        VERBOSE = 4

    def log(self, severity, message) -> None:
        """Receive a message (the runner's subclass forwards it to logging)."""


class FakeLogger(FakeILogger):
    """TensorRT's default logger, through which every version exposes `Severity`."""


def nptype(dtype: FakeDataType):
    """Numpy type of a fake DataType."""
    return {FakeDataType.FLOAT: np.float32, FakeDataType.INT32: np.int32}[dtype]


def fake_plan(height: int = 24, width: int = 20, batch: int = -1,
              profile: Tuple[int, int, int] = (1, 2, 4)) -> bytes:
    """Describe a 'plan' the fake runtime loads: one float NCHW input, two float outputs."""
    return json.dumps({'fake_engine': 1, 'height': height, 'width': width, 'batch': batch,
                       'profile': list(profile)}).encode()


class _Computation:
    """The engine's graph and the GPU kernel, shared by both API flavours."""

    def __init__(self, description: dict, module) -> None:
        self.height = description['height']
        self.width = description['width']
        self.batch = description['batch']
        self.profile = tuple(description['profile'])
        self.module = module
        self.names = ['images', 'sums', 'corners']

    def static_shape(self, name: str) -> Tuple[int, ...]:
        """Shape with -1 for the batch when it is dynamic."""
        return {'images': (self.batch, 3, self.height, self.width),
                'sums': (self.batch, 3), 'corners': (self.batch, 4)}[name]

    def shape_for(self, name: str, batch: int) -> Tuple[int, ...]:
        """Shape for a concrete batch."""
        return (batch,) + self.static_shape(name)[1:]

    def run(self, addresses: Dict[str, int], batch: int, stream_handle: int) -> bool:
        """Launch the kernel on the stream whose handle the runner passed."""
        stream = self.module.streams.get(stream_handle)
        if stream is None:
            raise AssertionError("enqueue on stream handle %r, which is not the runner's "
                                 'registered stream' % stream_handle)
        for observer in self.module.enqueue_observers:
            observer()
        kernel = self.module.kernel()
        kernel(np.uintp(addresses['images']), np.uintp(addresses['sums']),
               np.uintp(addresses['corners']), np.int32(batch), np.int32(self.height),
               np.int32(self.width), block=(32, 1, 1), grid=(batch, 1), stream=stream)
        return True


class FakeEngine:
    """ICudaEngine with the named-tensor API."""

    def __init__(self, computation: _Computation) -> None:
        """Wrap the shared computation."""
        self._c = computation

    @property
    def num_io_tensors(self) -> int:
        """Count of I/O tensors."""
        return 3

    def get_tensor_name(self, index: int) -> str:
        """Name of tensor `index`."""
        return self._c.names[index]

    def get_tensor_mode(self, name: str) -> FakeTensorIOMode:
        """Input or output."""
        return FakeTensorIOMode.INPUT if name == 'images' else FakeTensorIOMode.OUTPUT

    def get_tensor_shape(self, name: str) -> Tuple[int, ...]:
        """Shape with -1 for dynamic dimensions."""
        return self._c.static_shape(name)

    def get_tensor_dtype(self, name: str) -> FakeDataType:
        """Element type."""
        return FakeDataType.FLOAT

    def get_tensor_profile_shape(self, name: str, profile: int) -> List[Tuple[int, ...]]:
        """(min, opt, max) shapes of an input."""
        assert name == 'images' and profile == 0
        return [self._c.shape_for(name, b) for b in self._c.profile]

    def create_execution_context(self) -> 'FakeExecutionContext':
        """Create an execution context."""
        return FakeExecutionContext(self._c)


class FakeExecutionContext:
    """IExecutionContext with the named-tensor API."""

    def __init__(self, computation: _Computation) -> None:
        """Start with no addresses bound."""
        self._c = computation
        self._addresses: Dict[str, int] = {}
        self._batch = computation.batch

    def set_input_shape(self, name: str, shape) -> bool:
        """Set the dynamic input shape; False outside the profile."""
        low, _, high = self._c.profile
        if name != 'images' or tuple(shape[1:]) != self._c.static_shape(name)[1:] \
                or not low <= shape[0] <= high:
            return False
        self._batch = shape[0]
        return True

    def set_tensor_address(self, name: str, address: int) -> bool:
        """Bind a device address."""
        self._addresses[name] = int(address)
        return True

    def get_tensor_shape(self, name: str) -> Tuple[int, ...]:
        """Return the resolved shape for the current input shape."""
        return self._c.shape_for(name, self._batch)

    def execute_async_v3(self, stream_handle: int) -> bool:
        """Queue the computation."""
        assert self._batch > 0, 'input shape was never set'
        assert set(self._addresses) == set(self._c.names), self._addresses
        return self._c.run(self._addresses, self._batch, stream_handle)


class FakeBindingsEngine:
    """ICudaEngine with the TensorRT 8.2 bindings API."""

    def __init__(self, computation: _Computation) -> None:
        """Wrap the shared computation."""
        self._c = computation

    @property
    def num_bindings(self) -> int:
        """Count of bindings."""
        return 3

    def get_binding_name(self, index: int) -> str:
        """Name of binding `index`."""
        return self._c.names[index]

    def binding_is_input(self, index: int) -> bool:
        """Whether binding `index` is an input."""
        return index == 0

    def get_binding_shape(self, index: int) -> Tuple[int, ...]:
        """Shape with -1 for dynamic dimensions."""
        return self._c.static_shape(self._c.names[index])

    def get_binding_dtype(self, index: int) -> FakeDataType:
        """Element type."""
        return FakeDataType.FLOAT

    def get_profile_shape(self, profile: int, index: int) -> List[Tuple[int, ...]]:
        """(min, opt, max) shapes of an input binding."""
        assert profile == 0 and index == 0
        return [self._c.shape_for('images', b) for b in self._c.profile]

    def create_execution_context(self) -> 'FakeBindingsExecutionContext':
        """Create an execution context."""
        return FakeBindingsExecutionContext(self._c)


class FakeBindingsExecutionContext:
    """IExecutionContext with the TensorRT 8.2 bindings API."""

    def __init__(self, computation: _Computation) -> None:
        """Start with the engine's own batch."""
        self._c = computation
        self._batch = computation.batch

    def set_binding_shape(self, index: int, shape) -> bool:
        """Set the dynamic input shape; False outside the profile."""
        low, _, high = self._c.profile
        if index != 0 or not low <= shape[0] <= high:
            return False
        self._batch = shape[0]
        return True

    def get_binding_shape(self, index: int) -> Tuple[int, ...]:
        """Return the resolved shape for the current input shape."""
        return self._c.shape_for(self._c.names[index], self._batch)

    def execute_async_v2(self, bindings: List[int], stream_handle: int) -> bool:
        """Queue the computation on the bound addresses."""
        assert self._batch > 0, 'input shape was never set'
        assert len(bindings) == 3 and all(bindings), bindings
        return self._c.run(dict(zip(self._c.names, bindings)), self._batch, stream_handle)


class FakeRuntime:
    """IRuntime: deserialises `fake_plan` bytes, returns None for anything else."""

    _module: types.ModuleType

    def __init__(self, logger) -> None:
        """Keep the logger, as TensorRT does."""
        self.logger = logger

    def deserialize_cuda_engine(self, plan: bytes):
        """Return an engine for a fake plan, None (as TensorRT does) for foreign bytes."""
        try:
            description = json.loads(bytes(plan).decode())
        except (UnicodeDecodeError, ValueError):
            self.logger.log(FakeILogger.Severity.ERROR, 'not a fake plan')
            return None
        engine_class = self._module.ICudaEngine
        return engine_class(_Computation(description, self._module))


def make_fake_tensorrt(io_api: str = 'named') -> types.ModuleType:
    """
    Make a module object shaped like ``tensorrt`` 10.x ('named') or 8.2 ('bindings').

    `streams` maps stream handles to pycuda Streams (register the runner's stream);
    `enqueue_observers` are called at every enqueue.
    """
    module = types.ModuleType('tensorrt')
    module.__version__ = '10.16.1.11' if io_api == 'named' else '8.2.1.8'
    module.Runtime = type('FakeRuntime', (FakeRuntime,), {'_module': module})
    module.ILogger = FakeILogger
    module.Logger = FakeLogger
    module.DataType = FakeDataType
    module.nptype = nptype
    if io_api == 'named':
        module.TensorIOMode = FakeTensorIOMode
        module.ICudaEngine = FakeEngine
        module.IExecutionContext = FakeExecutionContext
    else:
        module.ICudaEngine = FakeBindingsEngine
        module.IExecutionContext = FakeBindingsExecutionContext
    module.streams = {}
    observers: List[Callable[[], None]] = []
    module.enqueue_observers = observers
    compiled = {}

    def kernel():
        if 'f' not in compiled:
            from pycuda.compiler import SourceModule
            compiled['f'] = SourceModule(_KERNEL, no_extern_c=True).get_function('fake_engine')
        return compiled['f']

    module.kernel = kernel
    return module
