# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Explicit ownership of one CUDA device's primary context (no ``pycuda.autoinit``).

`CudaContext` retains the device's primary context (the one the CUDA runtime, TensorRT and
PyTorch share) and makes it current only around work, in whichever thread does the work, so
a ROS executor thread and a worker thread can both use it.
"""

import contextlib
from typing import Dict, Iterator, List, Tuple

try:
    import pycuda.driver as cuda
except ImportError as exc:
    raise ImportError(
        'trt_perception.gpu needs pycuda and the NVIDIA driver (import failed: %s); install '
        'pycuda with `pip install pycuda` against the CUDA toolkit on this machine (JetPack '
        'ships one in /usr/local/cuda), or use the CPU preprocessor' % exc) from exc

from trt_perception.core.checks import is_int  # noqa: E402 (after pycuda's clear error)


class CudaUnavailableError(RuntimeError):
    """No usable CUDA driver or device; the message says what was found and what to do."""


def _init_driver() -> int:
    """Initialise the driver API and return the number of devices (0 when there is none)."""
    try:
        cuda.init()
        return cuda.Device.count()
    except cuda.Error as exc:
        # cuInit reports a missing device as an error rather than a count of 0.
        if 'no CUDA-capable device' in str(exc):
            return 0
        raise CudaUnavailableError(
            'the CUDA driver could not be initialised (%s); check that `nvidia-smi` (on '
            'Jetson, `tegrastats`) works for this user and, in a container, that the GPU is '
            'passed in (--gpus all or --runtime nvidia)' % exc) from exc


def device_count() -> int:
    """Return how many CUDA devices this process can use (0 when there is none)."""
    return _init_driver()


def describe_devices() -> List[str]:
    """One line per CUDA device: id, name, compute capability and memory."""
    lines = []
    for index in range(_init_driver()):
        device = cuda.Device(index)
        major, minor = device.compute_capability()
        lines.append('%d: %s (sm_%d%d, %.1f GiB)' % (
            index, device.name(), major, minor, device.total_memory() / 2.0 ** 30))
    return lines


class CudaContext:
    """
    The retained primary context of CUDA device `device_id`, made current only in `activated`.

    Close every object that allocated GPU memory under this context (preprocessors, engines)
    before closing the context itself.
    """

    def __init__(self, device_id: int = 0) -> None:
        """Retain the primary context of `device_id`; raise naming the devices if it is bad."""
        count = _init_driver()
        if count == 0:
            raise CudaUnavailableError(
                'no CUDA device found; check `nvidia-smi` (on Jetson, `tegrastats`), the '
                "container's GPU access, or use the CPU preprocessor")
        if not is_int(device_id) or not 0 <= device_id < count:
            raise ValueError('CUDA device %r does not exist; this machine has %s; set the '
                             'device id to one of these' % (device_id,
                                                            '; '.join(describe_devices())))
        device_id = int(device_id)
        device = cuda.Device(device_id)
        attribute = cuda.device_attribute
        self.device_id = device_id
        self.name: str = device.name()
        self.compute_capability: Tuple[int, int] = tuple(device.compute_capability())
        self.total_memory: int = device.total_memory()
        self.integrated = bool(device.get_attribute(attribute.INTEGRATED))
        self.can_map_host_memory = bool(device.get_attribute(attribute.CAN_MAP_HOST_MEMORY))
        self._context = device.retain_primary_context()

    @property
    def arch(self) -> str:
        """Target of nvcc for this device, such as 'sm_90' or 'sm_62' (Jetson TX2)."""
        return 'sm_%d%d' % self.compute_capability

    @property
    def closed(self) -> bool:
        """Whether `close` has released the context."""
        return self._context is None

    @contextlib.contextmanager
    def activated(self) -> Iterator['CudaContext']:
        """Make the context current in the calling thread for the duration of the block."""
        if self._context is None:
            raise RuntimeError('CUDA context of device %d (%s) was closed; create a new '
                               'CudaContext' % (self.device_id, self.name))
        self._context.push()
        try:
            yield self
        finally:
            cuda.Context.pop()

    def describe(self) -> Dict[str, str]:
        """Key/value facts for logs and diagnostics."""
        return {
            'cuda_device': '%d: %s' % (self.device_id, self.name),
            'compute_capability': '%d.%d' % self.compute_capability,
            'total_memory_mib': str(self.total_memory // 2 ** 20),
            'integrated': str(self.integrated).lower(),
            'can_map_host_memory': str(self.can_map_host_memory).lower(),
        }

    def close(self) -> None:
        """Release the primary context; safe to call more than once, from any thread."""
        context, self._context = self._context, None
        if context is not None:
            # Detaching the current context releases it from any thread; pycuda would
            # silently skip the release when called outside the creating thread.
            context.push()
            context.detach()

    def __enter__(self) -> 'CudaContext':
        """Return the context itself; `close` runs on exit."""
        return self

    def __exit__(self, *exc) -> None:
        """Release the context."""
        self.close()
