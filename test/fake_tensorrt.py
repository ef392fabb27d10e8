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

The fake is as strict as TensorRT about what TensorRT refuses, each rule naming its source in
its docstring (`trt_perception.tensorrt.api.PROFILE_RULES` lists the same facts): a context
of a dynamic engine owns one optimization profile, no two live contexts share one, shapes
are set after the profile is chosen and within it, and with the bindings API a context only
addresses its own profile's binding indices.  The 8.2 fake has no 10.x names and the 10.x
fake none of 8.x (test_tensorrt_contract.py holds them to the declared tables).  The kernel
needs pycuda only when an enqueue runs: tests without a GPU replace `module.kernel`.
"""

import enum
import json
import types
from typing import Callable, Dict, List, Optional, Tuple
import weakref

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
              profile: Tuple[int, int, int] = (1, 2, 4), profiles: int = 1) -> bytes:
    """
    Describe a 'plan' the fake runtime loads: one float NCHW input, two float outputs.

    `profiles` identical optimization profiles of batch (min, opt, max) = `profile`.
    """
    return json.dumps({'fake_engine': 1, 'height': height, 'width': width, 'batch': batch,
                       'profile': list(profile), 'profiles': profiles}).encode()


# TensorRT's own words when a context takes a profile another context holds (NVIDIA/TensorRT
# issues #846, #1341 on 8.0.1 and #2516 on 8.2.1.8 quote it).
CHOSEN_BY_ANOTHER = ('Profile %d has been chosen by another IExecutionContext. Use another '
                     'profileIndex or destroy the IExecutionContext that use this profile.')


class _Computation:
    """The engine's graph, its profiles and contexts, and the GPU kernel."""

    def __init__(self, description: dict, module, logger) -> None:
        self.height = description['height']
        self.width = description['width']
        self.batch = description['batch']
        self.profile = tuple(description['profile'])
        self.profiles = description.get('profiles', 1) if self.dynamic else 1
        self.module = module
        self.logger = logger
        self.names = ['images', 'sums', 'corners']
        self._contexts: List[weakref.ref] = []
        self.created = 0

    @property
    def dynamic(self) -> bool:
        """Whether the batch axis is set at run time."""
        return self.batch < 0

    def error(self, message: str) -> None:
        """Log through the runtime's logger, as TensorRT reports refused calls."""
        self.logger.log(FakeILogger.Severity.ERROR, message)

    def static_shape(self, name: str) -> Tuple[int, ...]:
        """Shape with -1 for the batch when it is dynamic."""
        return {'images': (self.batch, 3, self.height, self.width),
                'sums': (self.batch, 3), 'corners': (self.batch, 4)}[name]

    def shape_for(self, name: str, batch: int) -> Tuple[int, ...]:
        """Shape for a concrete batch."""
        return (batch,) + self.static_shape(name)[1:]

    def profile_shapes(self, profile: int) -> List[Tuple[int, ...]]:
        """(min, opt, max) input shapes of `profile`; all profiles are identical."""
        assert 0 <= profile < self.profiles, 'profile %d of %d' % (profile, self.profiles)
        return [self.shape_for('images', b) for b in self.profile]

    def new_context(self, context: '_ContextState') -> None:
        """
        Give a new context its initial profile.

        TensorRT 8.0 .. 8.5: the first context created for an engine selects profile 0
        implicitly, later ones none (IExecutionContext::setOptimizationProfileAsync,
        NvInferRuntime.h at tags 8.0.1, 8.5.2).  10.x: every new context is assigned profile
        0 (the same method, NvInferRuntime.h on main).  A fixed-shape engine has profile 0.
        """
        first = self.created == 0
        self.created += 1
        self._contexts.append(weakref.ref(context))
        if not self.dynamic or self.module.version_major >= 10 or first:
            context.profile = 0

    def held_by_another(self, context: '_ContextState', profile: int) -> bool:
        """
        Whether another live context uses `profile` of this dynamic engine.

        "each execution context in concurrent use must use a separate optimization profile"
        (IExecutionContext class documentation, NvInferRuntime.h 8.0.1 .. 10.x; #1590).  A
        destroyed context releases its profile.
        """
        return self.dynamic and any(
            other is not None and other is not context and other.profile == profile
            for other in (ref() for ref in self._contexts))

    def select(self, context: '_ContextState', profile: int) -> bool:
        """
        set_optimization_profile_async: take `profile`, or raise as TensorRT's bindings do.

        The pybind11 wrapper raises RuntimeError("Error in set optimization profile async.")
        when the C++ call returns false (python/src/infer/pyCore.cpp, 8.0.1 .. main).
        """
        if not 0 <= profile < self.profiles:
            self.error('profileIndex %d is out of range [0, %d)' % (profile, self.profiles))
            raise RuntimeError('Error in set optimization profile async.')
        if self.held_by_another(context, profile):
            self.error(CHOSEN_BY_ANOTHER % profile)
            raise RuntimeError('Error in set optimization profile async.')
        context.profile = profile
        # Changing the profile invalidates the dynamic shapes set so far (the
        # active_optimization_profile documentation, Python API 8.0.3 .. 8.4.3).
        context.batch = self.batch
        return True

    def set_shape(self, context: '_ContextState', shape) -> bool:
        """
        Set the input shape, False (with an error logged) where TensorRT refuses it.

        Shapes are set after the profile is selected, within that profile's min..max, the
        other dimensions as built (setBindingDimensions / setInputShape, NvInferRuntime.h).
        """
        if context.profile is None:
            self.error('no optimization profile has been selected for this context; call '
                       'set_optimization_profile_async first')
            return False
        if self.held_by_another(context, context.profile):
            self.error(CHOSEN_BY_ANOTHER % context.profile)
            return False
        low, _, high = self.profile
        if tuple(shape[1:]) != self.static_shape('images')[1:] or not low <= shape[0] <= high:
            self.error('shape %s is outside profile %d: %s..%s'
                       % (tuple(shape), context.profile, low, high))
            return False
        context.batch = int(shape[0])
        return True

    def check_enqueue(self, context: '_ContextState') -> None:
        """Refuse an enqueue without a profile of its own or an input shape (as above)."""
        assert context.profile is not None, 'enqueue without an optimization profile'
        assert not self.held_by_another(context, context.profile), \
            CHOSEN_BY_ANOTHER % context.profile
        assert context.batch > 0, 'input shape was never set'

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


class _ContextState:
    """What TensorRT keeps per execution context: its profile and input batch."""

    def __init__(self, computation: _Computation) -> None:
        self._c = computation
        self.profile: Optional[int] = None
        self.batch = computation.batch
        computation.new_context(self)

    def set_optimization_profile_async(self, profile_index: int, stream_handle: int) -> bool:
        """Select this context's optimization profile (see `_Computation.select`)."""
        return self._c.select(self, profile_index)


class FakeEngine:
    """ICudaEngine with the named-tensor API."""

    def __init__(self, computation: _Computation) -> None:
        """Wrap the shared computation."""
        self._c = computation

    @property
    def num_io_tensors(self) -> int:
        """Count of I/O tensors."""
        return 3

    @property
    def num_optimization_profiles(self) -> int:
        """Count of optimization profiles."""
        return self._c.profiles

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
        assert name == 'images'
        return self._c.profile_shapes(profile)

    def create_execution_context(self) -> 'FakeExecutionContext':
        """Create an execution context."""
        return FakeExecutionContext(self._c)


class FakeExecutionContext(_ContextState):
    """IExecutionContext with the named-tensor API."""

    def __init__(self, computation: _Computation) -> None:
        """Start with no addresses bound."""
        super().__init__(computation)
        self._addresses: Dict[str, int] = {}

    def set_input_shape(self, name: str, shape) -> bool:
        """Set the dynamic input shape; False where TensorRT refuses it."""
        return name == 'images' and self._c.set_shape(self, shape)

    def set_tensor_address(self, name: str, address: int) -> bool:
        """Bind a device address."""
        self._addresses[name] = int(address)
        return True

    def get_tensor_shape(self, name: str) -> Tuple[int, ...]:
        """Return the resolved shape for the current input shape."""
        return self._c.shape_for(name, self.batch)

    def execute_async_v3(self, stream_handle: int) -> bool:
        """Queue the computation."""
        self._c.check_enqueue(self)
        assert set(self._addresses) == set(self._c.names), self._addresses
        return self._c.run(self._addresses, self.batch, stream_handle)


class FakeBindingsEngine:
    """
    ICudaEngine with the TensorRT 8.x bindings API.

    With K profiles it has K * 3 bindings, profile k's at k*3 .. k*3+2, named with a
    " [profile k]" suffix for k > 0 (getBindingIndex / getBindingName, NvInferRuntime.h
    8.2.1).
    """

    def __init__(self, computation: _Computation) -> None:
        """Wrap the shared computation."""
        self._c = computation

    @property
    def num_bindings(self) -> int:
        """Count of bindings, over all profiles."""
        return 3 * self._c.profiles

    @property
    def num_optimization_profiles(self) -> int:
        """Count of optimization profiles."""
        return self._c.profiles

    def get_binding_name(self, index: int) -> str:
        """Name of binding `index`."""
        profile, i = divmod(index, 3)
        return self._c.names[i] + (' [profile %d]' % profile if profile else '')

    def binding_is_input(self, index: int) -> bool:
        """Whether binding `index` is an input."""
        return index % 3 == 0

    def get_binding_shape(self, index: int) -> Tuple[int, ...]:
        """Shape with -1 for dynamic dimensions."""
        return self._c.static_shape(self._c.names[index % 3])

    def get_binding_dtype(self, index: int) -> FakeDataType:
        """Element type."""
        return FakeDataType.FLOAT

    def get_profile_shape(self, profile: int, index: int) -> List[Tuple[int, ...]]:
        """
        (min, opt, max) shapes of an input binding.

        The binding must belong to `profile` or be one of profile 0's indices
        (ICudaEngine::getProfileDimensions, NvInferRuntime.h 8.2.1).
        """
        assert index % 3 == 0 and index // 3 in (0, profile), (profile, index)
        return self._c.profile_shapes(profile)

    def create_execution_context(self) -> 'FakeBindingsExecutionContext':
        """Create an execution context."""
        return FakeBindingsExecutionContext(self._c)


class FakeBindingsExecutionContext(_ContextState):
    """IExecutionContext with the TensorRT 8.x bindings API."""

    def _own(self, index: int) -> bool:
        # A context addresses the bindings of its own profile only (setBindingDimensions:
        # "the binding must belong to the current profile", NvInferRuntime.h 8.2.1).
        return self.profile is not None and index // 3 == self.profile

    def set_binding_shape(self, index: int, shape) -> bool:
        """Set the dynamic input shape; False where TensorRT refuses it."""
        if self.profile is not None and not self._own(index):
            self._c.error('binding %d does not belong to profile %d' % (index, self.profile))
            return False
        return index % 3 == 0 and self._c.set_shape(self, shape)

    def get_binding_shape(self, index: int) -> Tuple[int, ...]:
        """Return the resolved shape for the current input shape."""
        assert self._own(index), 'binding %d is not in profile %r' % (index, self.profile)
        return self._c.shape_for(self._c.names[index % 3], self.batch)

    def execute_async_v2(self, bindings: List[int], stream_handle: int) -> bool:
        """Queue the computation on the addresses of this context's profile."""
        self._c.check_enqueue(self)
        assert len(bindings) == 3 * self._c.profiles, bindings
        own = bindings[3 * self.profile:3 * self.profile + 3]
        assert all(own), bindings
        return self._c.run(dict(zip(self._c.names, own)), self.batch, stream_handle)


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
        return engine_class(_Computation(description, self._module, self.logger))


def make_fake_tensorrt(io_api: str = 'named') -> types.ModuleType:
    """
    Make a module object shaped like ``tensorrt`` 10.x ('named') or 8.2 ('bindings').

    `streams` maps stream handles to pycuda Streams (register the runner's stream);
    `enqueue_observers` are called at every enqueue.
    """
    module = types.ModuleType('tensorrt')
    module.__version__ = '10.16.1.11' if io_api == 'named' else '8.2.1.8'
    module.version_major = int(module.__version__.split('.')[0])
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
