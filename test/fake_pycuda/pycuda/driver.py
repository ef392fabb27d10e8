# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
pycuda.driver in host memory: "device" allocations are numpy byte arrays keyed by address.

Copies happen when queued and events only keep their order, so a queued batch is complete at
once; enough to run the slot protocol's checks and data flow, never to measure or overlap.
"""

import itertools

import numpy as np

_memory = {}
_addresses = itertools.count(0x1000, 0x1000)


class Error(Exception):
    """pycuda.driver.Error."""


class Stream:
    """A stream on which everything has already happened."""

    handle = 0

    def synchronize(self):
        """Return at once: the work was done when queued."""


class Event:
    """An event that records nothing; every interval is 0 ms."""

    def __init__(self, flags=0):
        """Take pycuda's flags and ignore them."""

    def record(self, stream=None):
        """Mark nothing."""

    def synchronize(self):
        """Return at once."""

    def time_till(self, other):
        """Return 0.0 ms."""
        return 0.0


class DeviceAllocation:
    """`size` bytes of host memory standing for device memory, at a made-up address."""

    def __init__(self, size):
        """Allocate zeroed bytes."""
        self.address = next(_addresses)
        _memory[self.address] = np.zeros(size, np.uint8)

    def __int__(self):
        """Return the address."""
        return self.address

    def free(self):
        """Forget the bytes."""
        _memory.pop(self.address, None)


class host_alloc_flags:  # noqa: N801 (pycuda's name)
    """pycuda.driver.host_alloc_flags."""

    PORTABLE = 1
    DEVICEMAP = 2


class event_flags:  # noqa: N801 (pycuda's name)
    """pycuda.driver.event_flags."""

    DISABLE_TIMING = 2


class Context:
    """pycuda.driver.Context (never made current here)."""


class Device:
    """pycuda.driver.Device: there is none."""

    @staticmethod
    def count():
        """Return 0."""
        return 0


def init():
    """Do nothing: there is no driver."""


def mem_alloc(size):
    """Return a `DeviceAllocation` of `size` bytes."""
    return DeviceAllocation(size)


def pagelocked_empty(shape, dtype, mem_flags=0):
    """Return an ordinary numpy array."""
    return np.empty(shape, dtype)


def memcpy_htod_async(dest, src, stream=None):
    """Copy host array `src` to the allocation at `dest` now."""
    data = np.ascontiguousarray(src).reshape(-1).view(np.uint8)
    _memory[int(dest)][:data.size] = data


def memcpy_dtoh_async(dest, src, stream=None):
    """Copy from the allocation at `src` into contiguous host array `dest` now."""
    view = dest.reshape(-1).view(np.uint8)
    view[:] = _memory[int(src)][:view.size]


def device_array(address, dtype):
    """Return the allocation at `address` as an array of `dtype` (tests read and write it)."""
    return _memory[int(address)].view(dtype)
