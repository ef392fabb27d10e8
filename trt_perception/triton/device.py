# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Triton with CUDA shared memory: GPU preprocessing writes the input where the server reads it.

When the node and the server share a host and its GPU (an x86 box with a discrete GPU
serving its own cameras, say), each slot's input tensor is a device allocation exported by a
CUDA IPC handle and registered with the server.  The preprocessing kernel writes the batch
there on the backend's stream; the request then only names the region, and the server's
model reads the tensor in place.  Outputs, small, come back through POSIX shared memory.
This module needs pycuda; it is imported only when `shared_memory` is 'cuda'.
"""

import logging
import time
from typing import Callable, List, Optional, Tuple

import numpy as np

from trt_perception.core.backend import BackendError, DeviceInputBackend
from trt_perception.gpu.context import cuda, CudaContext
from trt_perception.gpu.ipc import SharedDeviceBuffer
from trt_perception.triton.backend import TritonBackend
from trt_perception.triton.client import ServerConnection
from trt_perception.triton.retry import RetryPolicy
from trt_perception.triton.signature import ModelSignature
from trt_perception.triton.transport import SystemSharedMemoryTransport


class CudaSharedMemoryTransport(SystemSharedMemoryTransport):
    """Each slot's input in CUDA shared memory on `context`'s GPU; outputs in system memory."""

    name = 'cuda'

    def __init__(self, connection: ServerConnection, signature: ModelSignature,
                 max_batch: int, slots: int, context: CudaContext) -> None:
        """Allocate the regions (`context` active); `register` tells the server."""
        self._buffers: List[Tuple[str, SharedDeviceBuffer]] = []
        super().__init__(connection, signature, max_batch, slots, host_input=False)
        try:
            for slot in range(slots):
                self._buffers.append((
                    '%s_cuda_input%d' % (self._prefix, slot),
                    SharedDeviceBuffer(context, self._input_image_bytes * max_batch)))
        except BaseException:
            self.close()
            raise

    def register(self) -> None:
        """Register the output regions and the GPU input regions (again, after a restart)."""
        super().register()
        for name, buffer in self._buffers:
            self._connection.register_cuda_memory(name, buffer.raw_handle, buffer.device_id,
                                                  buffer.byte_size)

    def input_buffer(self, slot: int) -> SharedDeviceBuffer:
        """Return the GPU buffer that carries `slot`'s input."""
        return self._buffers[slot][1]

    def request(self, batch: np.ndarray, slot: int) -> Tuple[List, List]:
        """Refuse: the input must be written on the GPU first (TritonDeviceBackend.send)."""
        raise BackendError('the CUDA transport takes no host batch: upload it first')

    def request_written(self, count: int, slot: int) -> Tuple[List, List]:
        """Describe a request on the `count` images written to `slot`'s GPU input."""
        return self.request_in_place(self._buffers[slot][0], count, slot)

    def close(self) -> None:
        """Unregister and free the GPU regions (context active), then the system ones."""
        for name, buffer in self._buffers:
            try:
                self._connection.unregister_cuda_memory(name)
            except self._connection.faults:
                pass  # a server that is gone has closed its mapping already
            buffer.free()
        self._buffers = []
        super().close()


class TritonDeviceBackend(TritonBackend, DeviceInputBackend):
    """
    A Triton backend whose input is on this host's GPU, shared with the server by CUDA IPC.

    As a `DeviceInputBackend` it lets the GPU preprocessor write each slot's batch in place
    (`device_input`, on `stream`); `enqueue` waits for that work and sends the request.  The
    server must run on this host, with access to the same GPU.
    """

    def __init__(self, url: str, model: str, expected: ModelSignature, context: CudaContext,
                 version: str = '', timeout: float = 1.0, max_batch: int = 1, slots: int = 1,
                 retry: RetryPolicy = RetryPolicy(), log: Optional[logging.Logger] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Allocate the shared GPU inputs on `context` (active) and connect as TritonBackend."""
        self._context = context
        self._stream = cuda.Stream()
        super().__init__(url, model, expected, version=version, timeout=timeout,
                         shared_memory='cuda', max_batch=max_batch, slots=slots, retry=retry,
                         log=log, clock=clock)

    def _make_transport(self, shared_memory: str, max_batch: int, slots: int):
        return CudaSharedMemoryTransport(self._connection, self._expected, max_batch, slots,
                                         self._context)

    @property
    def stream(self) -> 'cuda.Stream':
        """Stream the preprocessing of each input is queued on."""
        return self._stream

    def device_input(self, batch_size: int, slot: int = 0) -> int:
        """Device address of `slot`'s shared input, for `batch_size` images."""
        self._free_slot(slot, batch_size)
        return self._transport.input_buffer(slot).pointer

    def upload(self, batch: np.ndarray, slot: int = 0) -> None:
        """Queue a copy of a host NCHW batch into `slot`'s shared input."""
        self._free_slot(slot, batch.shape[0])
        self._transport.input_buffer(slot).upload(batch, self._stream)

    def enqueue(self, batch_size: int, slot: int = 0) -> None:
        """Wait for the input's writing on `stream`, then send `slot`'s request."""
        self._free_slot(slot, batch_size)
        # The server reads the region on its own stream: our writes must be finished.
        self._stream.synchronize()
        self._start(slot, batch_size, lambda: self._transport.request_written(batch_size, slot))

    def _send_impl(self, batch: np.ndarray, slot: int) -> None:
        """Copy a host batch into `slot`'s shared input and send its request."""
        self.upload(batch, slot)
        self.enqueue(batch.shape[0], slot)

    def close(self) -> None:
        """Free the shared GPU inputs under the backend's context, then close as TritonBackend."""
        if self._context.closed:
            return super().close()
        with self._context.activated():
            super().close()

    def describe(self):
        """Return the Triton backend's facts plus the GPU the shared inputs live on."""
        info = super().describe()
        info.update(self._context.describe())
        return info
