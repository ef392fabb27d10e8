# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
How tensors reach the server: inside the request, or through shared memory on one host.

Both transports build the request's inputs and requested outputs for a batch in one of the
backend's slots (requests in flight at once) and read the outputs of its result; the
shared-memory one owns a pair of regions per slot and registers them again after every
(re)connection, since a restarted server has forgotten them.
"""

import os
from typing import Any, Dict, List, Tuple

import numpy as np

from trt_perception.core.backend import BackendError, TensorSpec
from trt_perception.triton.client import ServerConnection, shared_memory_module
from trt_perception.triton.signature import ModelSignature

SHARED_MEMORY = ('none', 'system', 'cuda')
"""Values of the shared_memory choice: 'none' (tensors in the socket), 'system' (POSIX
shared memory, client and server on one host) or 'cuda' (the input in CUDA shared memory
on the server's GPU, written there by GPU preprocessing; outputs in POSIX shared memory)."""


def _image_bytes(spec: TensorSpec, what: str) -> int:
    dims = [d for d in spec.shape[1:] if isinstance(d, int) and d > 0]
    if len(dims) != len(spec.shape) - 1:
        raise BackendError('%s %s has a dynamic dimension, so no fixed shared-memory region '
                           'fits it: set the Triton shared_memory parameter to none'
                           % (what, spec.describe()))
    return int(np.prod(dims, dtype=np.int64)) * np.dtype(spec.dtype).itemsize


class SocketTransport:
    """Tensors travel in the request and response bodies (any host)."""

    name = 'none'

    def __init__(self, connection: ServerConnection, signature: ModelSignature) -> None:
        """Send `signature`'s input and ask for its outputs through `connection`."""
        self._connection = connection
        self._signature = signature
        self._input_type = connection.triton_dtype(np.dtype(signature.input.dtype))

    def register(self) -> None:
        """Nothing to set up on the server."""

    def request(self, batch: np.ndarray, slot: int) -> Tuple[List, List]:
        """Return the inputs and requested outputs of one request carrying `batch`."""
        module = self._connection.module
        tensor = module.InferInput(self._signature.input.name, list(batch.shape),
                                   self._input_type)
        tensor.set_data_from_numpy(batch)
        outputs = [module.InferRequestedOutput(o.name) for o in self._signature.outputs]
        return [tensor], outputs

    def read(self, result, slot: int) -> Dict[str, np.ndarray]:
        """Return the outputs of `result` by name."""
        return {o.name: result.as_numpy(o.name) for o in self._signature.outputs}

    def close(self) -> None:
        """Nothing to release."""


class SystemSharedMemoryTransport:
    """
    Tensors travel through POSIX shared memory: the client and server share one host.

    Each slot has an input region and an output region sized for `max_batch`, created once
    and reused for every request of that slot; the socket carries only the request's
    description.
    """

    name = 'system'

    def __init__(self, connection: ServerConnection, signature: ModelSignature,
                 max_batch: int, slots: int = 1, host_input: bool = True) -> None:
        """
        Create the regions (registered on the server by `register`).

        Without `host_input` only the output regions are made: a subclass puts the input
        elsewhere.
        """
        self._shm = shared_memory_module()
        self._connection = connection
        self._signature = signature
        self._input_type = connection.triton_dtype(np.dtype(signature.input.dtype))
        self._input_image_bytes = _image_bytes(signature.input, 'input')
        self._output_image_bytes = [_image_bytes(o, 'output') for o in signature.outputs]
        # Offsets of each output in a slot's output region, every one sized for max_batch.
        self._offsets = list(np.cumsum([0] + [b * max_batch for b in self._output_image_bytes]))
        self._prefix = 'trt_perception_%d_%x' % (os.getpid(), id(self))
        self._regions: List[Tuple[str, int, Any]] = []
        self._inputs = []
        self._outputs = []
        try:
            for slot in range(slots):
                if host_input:
                    self._inputs.append(self._create('%s_input%d' % (self._prefix, slot),
                                                     self._input_image_bytes * max_batch))
                self._outputs.append(self._create('%s_output%d' % (self._prefix, slot),
                                                  int(self._offsets[-1])))
        except BaseException:
            self.close()
            raise

    def _create(self, name: str, byte_size: int):
        handle = self._shm.create_shared_memory_region(name, '/' + name, byte_size)
        self._regions.append((name, byte_size, handle))
        return name, handle

    def register(self) -> None:
        """Register every region with the server (again, after a restart)."""
        for name, byte_size, _ in self._regions:
            self._connection.register_system_memory(name, '/' + name, byte_size)

    def request(self, batch: np.ndarray, slot: int) -> Tuple[List, List]:
        """Copy `batch` into `slot`'s input region; point the request at its regions."""
        name, handle = self._inputs[slot]
        self._shm.set_shared_memory_region(handle, [np.ascontiguousarray(batch)])
        return self.request_in_place(name, batch.shape[0], slot)

    def request_in_place(self, region: str, count: int, slot: int) -> Tuple[List, List]:
        """Describe a request whose `count` images are already in the input `region`."""
        module = self._connection.module
        # Every dimension after the batch is a fixed int (_image_bytes checked it).
        shape = [count] + [d for d in self._signature.input.shape[1:] if isinstance(d, int)]
        tensor = module.InferInput(self._signature.input.name, shape, self._input_type)
        tensor.set_shared_memory(region, self._input_image_bytes * count)
        outputs = []
        for spec, image_bytes, offset in zip(self._signature.outputs, self._output_image_bytes,
                                             self._offsets):
            output = module.InferRequestedOutput(spec.name)
            output.set_shared_memory(self._outputs[slot][0], image_bytes * count,
                                     offset=int(offset))
            outputs.append(output)
        return [tensor], outputs

    def read(self, result, slot: int) -> Dict[str, np.ndarray]:
        """Copy each output of `result` out of `slot`'s output region."""
        arrays = {}
        for spec, offset in zip(self._signature.outputs, self._offsets):
            shape = self._connection.output_shape(result, spec.name)
            if shape is None:
                raise BackendError('the response of %s lacks output %r'
                                   % (self._connection.url, spec.name))
            arrays[spec.name] = self._shm.get_contents_as_numpy(
                self._outputs[slot][1], np.dtype(spec.dtype), shape, offset=int(offset)).copy()
        return arrays

    def close(self) -> None:
        """Unregister the regions where the server still answers, then free them."""
        for name, _, handle in self._regions:
            try:
                self._connection.unregister_system_memory(name)
            except self._connection.faults:
                pass  # a server that is gone has forgotten the region already
            self._shm.destroy_shared_memory_region(handle)
        self._regions = []


def make_transport(kind: str, connection: ServerConnection, signature: ModelSignature,
                   max_batch: int, slots: int = 1):
    """Create the transport named by `kind` (one of SHARED_MEMORY) for `slots` requests."""
    if kind == 'none':
        return SocketTransport(connection, signature)
    if kind == 'system':
        return SystemSharedMemoryTransport(connection, signature, max_batch, slots)
    if kind == 'cuda':
        raise ValueError("shared_memory='cuda' needs a CUDA context: open the backend with "
                         'trt_perception.triton.device.TritonDeviceBackend')
    raise ValueError('shared_memory=%r is not one of %s' % (kind, ', '.join(SHARED_MEMORY)))
