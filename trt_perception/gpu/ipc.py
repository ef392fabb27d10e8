# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
GPU memory another process on this host can open: what CUDA shared memory regions are made of.

A `SharedDeviceBuffer` is a plain device allocation with its CUDA IPC handle.  A server on the
same host (Triton) opens the handle and reads the tensor where our preprocessing wrote it, so
the frame never travels through host memory or a socket.  CUDA IPC needs a discrete GPU on
Linux: CUDA's runtime documentation says it is not supported on Tegra (Jetson), where asking
for the handle fails with that reason.
"""

import base64

import numpy as np

from trt_perception.core.backend import BackendError
from trt_perception.gpu.context import cuda, CudaContext


class SharedDeviceBuffer:
    """`byte_size` bytes of device memory on `context`'s GPU, exported by a CUDA IPC handle."""

    def __init__(self, context: CudaContext, byte_size: int) -> None:
        """Allocate the memory and its handle; `context` must be active."""
        self.device_id = context.device_id
        self.byte_size = int(byte_size)
        self._allocation = cuda.mem_alloc(self.byte_size)
        try:
            handle = cuda.mem_get_ipc_handle(self._allocation)
        except cuda.Error as error:
            self._allocation.free()
            raise BackendError('CUDA shared memory needs CUDA IPC, which device %d (%s) '
                               'refused (%s); use system shared memory instead'
                               % (context.device_id, context.name, error)) from error
        self.raw_handle = base64.b64encode(bytes(handle)).decode('ascii')
        """The IPC handle, base64-encoded, as Triton's register call takes it."""

    @property
    def pointer(self) -> int:
        """Device address of the first byte."""
        return int(self._allocation)

    def upload(self, array: np.ndarray, stream: 'cuda.Stream') -> None:
        """Queue a copy of a host array to the start of the buffer on `stream`."""
        if array.nbytes > self.byte_size:
            raise BackendError('%d bytes do not fit a shared buffer of %d'
                               % (array.nbytes, self.byte_size))
        cuda.memcpy_htod_async(self._allocation, np.ascontiguousarray(array), stream)

    def free(self) -> None:
        """Release the memory; `context` must be active.  Safe to call more than once."""
        allocation, self._allocation = self._allocation, None
        if allocation is not None:
            allocation.free()
