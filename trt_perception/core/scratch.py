# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Reusable numpy work buffers, kept within a byte budget.

A steady stream needs the same few buffers every frame, so they are allocated once and reused;
a camera whose resolution keeps changing would otherwise leave one set of buffers per size
behind.  Least recently used buffers are released first, the newest always stays.
"""

from collections import OrderedDict
from typing import Hashable, Tuple

import numpy as np


class ScratchBuffers:
    """Buffers by (name, shape, dtype), at most `max_bytes` in all (plus the newest one)."""

    def __init__(self, max_bytes: int) -> None:
        """Keep at most `max_bytes` of buffers between calls."""
        if max_bytes < 0:
            raise ValueError('max_bytes=%r must not be negative' % (max_bytes,))
        self.max_bytes = max_bytes
        self._buffers = OrderedDict()  # type: OrderedDict
        self._bytes = 0

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        return self._bytes

    def get(self, name: Hashable, shape: Tuple[int, ...], dtype=np.uint8) -> np.ndarray:
        """Return the buffer for (name, shape, dtype), allocating it if new (contents stale)."""
        key = (name, tuple(shape), np.dtype(dtype).str)
        buf = self._buffers.get(key)
        if buf is not None:
            self._buffers.move_to_end(key)
            return buf
        buf = np.empty(shape, dtype=dtype)
        self._buffers[key] = buf
        self._bytes += buf.nbytes
        while self._bytes > self.max_bytes and len(self._buffers) > 1:
            _, old = self._buffers.popitem(last=False)
            self._bytes -= old.nbytes
        return buf

    def clear(self) -> None:
        """Release every buffer."""
        self._buffers.clear()
        self._bytes = 0
