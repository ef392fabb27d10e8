# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
An engine's I/O tensors, its optimization profiles and the execution contexts on them.

This is the part of running an engine that needs no CUDA memory, so it imports no pycuda and
is tested on any machine against `test/fake_tensorrt.py`, which enforces TensorRT's rules.

Several batches in flight need several execution contexts, and on an engine with a dynamic
input each context in concurrent use must own its own optimization profile (TensorRT 8.0 to
10.x; see `trt_perception.tensorrt.api.PROFILE_RULES` for the sources).  So an engine built
for `slots` contexts carries `slots` identical profiles, and slot k's context selects profile
k.  With the bindings API (TensorRT 8.0 .. 8.4) profile k addresses its tensors through
binding indices k * bindings_per_profile + i; named tensors need no offset.
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Tuple, Union

import numpy as np

from trt_perception.core.backend import BackendError, TensorSpec
from trt_perception.tensorrt.api import TensorRTApi

_PROFILE_SUFFIX = ' [profile '


@dataclass(frozen=True)
class TensorInfo:
    """One engine I/O tensor as the engine reports it (-1 for dimensions set at run time)."""

    name: str
    index: int
    """Binding index in profile 0 (its position among the I/O tensors)."""
    is_input: bool
    shape: Tuple[int, ...]
    dtype: np.dtype

    def spec(self) -> TensorSpec:
        """Return this tensor as a TensorSpec, with None for each dynamic dimension."""
        return TensorSpec(self.name, tuple(d if d >= 0 else None for d in self.shape),
                          self.dtype)


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
        """(min, opt, max) shapes of an input in optimization profile 0."""
        return tuple(tuple(s) for s in self._engine.get_tensor_profile_shape(tensor.name, 0))

    def bind(self, context, addresses: Dict[str, int], profile: int) -> List[int]:
        """
        Give the execution context every tensor's device address, once.

        The addresses live in the context, so there is nothing to hand to `enqueue`.
        """
        for name, address in addresses.items():
            context.set_tensor_address(name, address)
        return []

    def set_input_shape(self, context, tensor: TensorInfo, shape: Tuple[int, ...],
                        profile: int) -> bool:
        """Set a dynamic input's shape; False when outside the profile."""
        return bool(context.set_input_shape(tensor.name, shape))

    def shape(self, context, tensor: TensorInfo, profile: int) -> Tuple[int, ...]:
        """Return a tensor's shape for the input shapes currently set."""
        return tuple(context.get_tensor_shape(tensor.name))

    def enqueue(self, context, bindings: List[int], stream_handle: int) -> bool:
        """Queue one inference on the stream."""
        return bool(context.execute_async_v3(stream_handle))


class BindingsIO:
    """Engine I/O through binding indices (TensorRT 8.0 .. 8.4; 8.2 on JetPack 4.6)."""

    def __init__(self, api: TensorRTApi, engine) -> None:
        """Read every binding of `engine` in optimization profile 0."""
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
        self._per_profile = len(self.tensors)

    def profile_shapes(self, tensor: TensorInfo) -> Tuple[Tuple[int, ...], ...]:
        """(min, opt, max) shapes of an input in optimization profile 0."""
        return tuple(tuple(s) for s in self._engine.get_profile_shape(0, tensor.index))

    def binding_index(self, tensor: TensorInfo, profile: int) -> int:
        """
        Index of `tensor`'s binding in `profile`.

        An engine with K profiles has K * n bindings, profile k using indices k*n .. k*n+n-1
        (ICudaEngine::getBindingIndex, NvInferRuntime.h of TensorRT 8.2.1).
        """
        return profile * self._per_profile + tensor.index

    def bind(self, context, addresses: Dict[str, int], profile: int) -> List[int]:
        """
        Build the bindings array that every enqueue of `context` hands over.

        Each execution context (each slot) has its own array, as long as all the engine's
        bindings, holding the addresses of its buffers at its profile's indices.
        """
        bindings = [0] * self._count
        for tensor in self.tensors:
            bindings[self.binding_index(tensor, profile)] = addresses[tensor.name]
        return bindings

    def set_input_shape(self, context, tensor: TensorInfo, shape: Tuple[int, ...],
                        profile: int) -> bool:
        """Set a dynamic input's shape; False when outside the profile."""
        return bool(context.set_binding_shape(self.binding_index(tensor, profile), shape))

    def shape(self, context, tensor: TensorInfo, profile: int) -> Tuple[int, ...]:
        """Return a tensor's shape for the input shapes currently set."""
        return tuple(context.get_binding_shape(self.binding_index(tensor, profile)))

    def enqueue(self, context, bindings: List[int], stream_handle: int) -> bool:
        """Queue one inference on the stream."""
        return bool(context.execute_async_v2(bindings, stream_handle))


TensorIO = Union[NamedTensorIO, BindingsIO]


def open_io(api: TensorRTApi, engine) -> TensorIO:
    """Read `engine`'s tensors through the I/O flavour `api` decided on."""
    return NamedTensorIO(api, engine) if api.io_api == 'named' else BindingsIO(api, engine)


@dataclass(frozen=True)
class EngineLayout:
    """The engine's one image input, its outputs and the batch sizes it will be run at."""

    image: TensorInfo
    outputs: List[TensorInfo]
    dynamic: bool
    min_batch: int
    max_batch: int
    profiles: int
    """Optimization profiles in the engine: how many contexts can run at once if dynamic."""

    @classmethod
    def read(cls, io: TensorIO, engine, source: str, max_batch: int) -> 'EngineLayout':
        """Check the engine can serve `max_batch`; raises BackendError if not."""
        inputs = [t for t in io.tensors if t.is_input]
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise BackendError('engine %s has inputs %s; one NCHW image input is expected'
                               % (source, ', '.join(t.spec().describe() for t in inputs)))
        image = inputs[0]
        outputs = [t for t in io.tensors if not t.is_input]
        profiles = int(engine.num_optimization_profiles)
        if image.shape[0] >= 0:
            # A fixed-batch engine always runs its whole batch; callers see the first images.
            if max_batch > image.shape[0]:
                raise BackendError(
                    'engine %s has a fixed batch of %d, below max_batch=%d; rebuild from an '
                    'ONNX model with a dynamic batch axis or lower max_batch'
                    % (source, image.shape[0], max_batch))
            return cls(image, outputs, False, 1, image.shape[0], profiles)
        low, _, high = (shape[0] for shape in io.profile_shapes(image))
        if not low <= max_batch <= high:
            raise BackendError('engine %s accepts batches of %d..%d, not max_batch=%d; rebuild '
                               'with --max-batch %d or lower max_batch'
                               % (source, low, high, max_batch, max_batch))
        return cls(image, outputs, True, low, max_batch, profiles)

    def input_shape(self, batch_size: int) -> Tuple[int, ...]:
        """Return the image input's shape for `batch_size` images."""
        return (batch_size,) + tuple(self.image.shape[1:])

    def usable_slots(self, slots: int) -> int:
        """
        Return how many of `slots` execution contexts can run at once on this engine.

        A dynamic engine serves one context per optimization profile; a fixed-shape engine
        serves any number.
        """
        return min(slots, self.profiles) if self.dynamic else slots


def open_context(api: TensorRTApi, engine, layout: EngineLayout, profile: int,
                 stream_handle: int, source: str) -> Any:
    """
    Create an execution context that owns optimization `profile` of a dynamic engine.

    The profile switch may queue copies on `stream_handle`, so the context must enqueue on
    that same stream (or one synchronised with it).  A fixed-shape engine needs no profile.
    """
    context = engine.create_execution_context()
    if context is None:
        raise BackendError('TensorRT could not create execution context %d for %s (see the '
                           'TensorRT error above; usually out of GPU memory): lower '
                           'pipeline_depth or max_batch' % (profile, source))
    if layout.dynamic:
        try:
            selected = context.set_optimization_profile_async(profile, stream_handle)
        except RuntimeError as exc:  # TensorRT's Python bindings raise instead of False
            selected = False
            reason = str(exc)
        else:
            reason = 'it returned False'
        if not selected:
            raise BackendError(
                'TensorRT refused optimization profile %d of %s for execution context %d (%s; '
                'see the TensorRT error above): each context in use needs a profile of its '
                'own, and the engine has %d; rebuild it with `build_engine --slots N`'
                % (profile, source, profile, reason, layout.profiles))
    return context
