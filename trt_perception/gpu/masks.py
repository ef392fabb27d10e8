# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Instance-mask assembly on the GPU, where the engine left the prototype masks.

`CudaMaskAssembler` is the GPU twin of `core.masks.MaskAssembler` (same windows, same
resampling, same threshold): the kept detections' coefficients and box windows go up (a few
hundred bytes), `masks.cu` computes their logits and thresholds every pixel of every window
on the backend's stream, and only the packed windows (one byte per pixel) come back.
`SegmentationDecoder` takes it as its assembler; its prototypes output is then a
`DeviceTensor` (the engine's output binding) instead of a host array.
"""

from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
import pycuda.driver as cuda

from trt_perception.core.checks import positive_int
from trt_perception.core.detection import InstanceMask
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.masks import check_inputs, resampling, windows
from trt_perception.gpu.context import CudaContext
from trt_perception.gpu.kernels import compiled

_SOURCE = Path(__file__).with_name('masks.cu')
MAX_MASKS = 256
"""Most prototype masks the kernel holds per detection (the MAX_MASKS of masks.cu)."""
_LOGITS_BLOCK = (256, 1, 1)
_PIXELS_BLOCK = (32, 8, 1)
_KERNEL_TYPES = {np.dtype(np.float32): 'f32', np.dtype(np.float16): 'f16'}
_ALLOCATION_GRANULE = 1 << 20


class DeviceTensor:
    """A tensor in GPU memory that someone else owns: address, shape and element type."""

    def __init__(self, pointer: int, shape: Sequence[int], dtype) -> None:
        """Describe `shape` elements of `dtype`, C-contiguous from device address `pointer`."""
        self.pointer = int(pointer)
        self.shape: Tuple[int, ...] = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)

    @property
    def ndim(self) -> int:
        """Return the number of dimensions."""
        return len(self.shape)

    def __getitem__(self, index: int) -> 'DeviceTensor':
        """Return item `index` along the first axis (one image of a batch)."""
        if not 0 <= index < self.shape[0]:
            raise IndexError('index %d is outside the first axis of %s' % (index, self.shape))
        step = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize
        return DeviceTensor(self.pointer + index * step, self.shape[1:], self.dtype)


def _free_pinned(pinned: np.ndarray) -> None:
    """Free the page-locked memory behind an array from `cuda.pagelocked_empty`."""
    allocation: Any = pinned.base
    allocation.free()


def _round_up(nbytes: int) -> int:
    return max(1, -(-nbytes // _ALLOCATION_GRANULE)) * _ALLOCATION_GRANULE


class CudaMaskAssembler:
    """
    Builds `InstanceMask`s from prototypes in GPU memory, on one CUDA stream.

    `protos` is the (M, H, W) shape and `dtype` (float32 or float16) of one image's
    prototypes; the buffers hold `max_detections` masks, and a call with more assembles them
    in turns of that many.  `stream` is the backend's stream,
    so assembly follows inference without synchronisation (None creates one).  Buffers are
    allocated here, once; the output buffer grows to the largest total of window pixels seen.
    Use from one thread at a time; close before closing `context`.
    """

    def __init__(self, context: CudaContext, protos: Sequence[int], dtype,
                 max_detections: int, stream: Optional[cuda.Stream] = None) -> None:
        """Load the kernels and allocate the per-detection buffers (context need not be active)."""
        masks, height, width = (positive_int('prototype shape', d) for d in protos)
        if masks > MAX_MASKS:
            raise ValueError('%d prototype masks is more than the %d masks.cu holds per '
                             'detection' % (masks, MAX_MASKS))
        dtype = np.dtype(dtype)
        if dtype not in _KERNEL_TYPES:
            raise ValueError('prototypes of type %s are not supported: the engine output must '
                             'be float32 or float16' % dtype)
        self.max_detections = positive_int('max_detections', max_detections)
        self.protos: Tuple[int, int, int] = (masks, height, width)
        self.dtype = dtype
        self._context = context
        with context.activated():
            self._module = cuda.module_from_buffer(compiled(_SOURCE, context.arch,
                                                            ('-DMAX_MASKS=%d' % MAX_MASKS,)))
            self._logits_kernel = self._module.get_function(
                'mask_logits_' + _KERNEL_TYPES[dtype]).prepare('PiiPP')
            self._pixels_kernel = self._module.get_function('mask_pixels').prepare(
                'PiiPiiifiifP')
            self.stream = stream if stream is not None else cuda.Stream()
            self._coefficients = cuda.pagelocked_empty((self.max_detections, masks), np.float32)
            self._windows = cuda.pagelocked_empty((self.max_detections, 5), np.int32)
            self._device_coefficients = cuda.mem_alloc(self._coefficients.nbytes)
            self._device_windows = cuda.mem_alloc(self._windows.nbytes)
            self._device_logits = cuda.mem_alloc(self.max_detections * height * width * 4)
            # The packed windows; grown by `_reserve` before the first use.
            self._out_bytes = 0
            self._device_out = cuda.mem_alloc(1)
            self._host_out = np.empty(0, np.uint8)

    def assemble(self, protos: DeviceTensor, coefficients: np.ndarray, boxes: np.ndarray,
                 letterbox: Letterbox) -> List[InstanceMask]:
        """
        Return one mask per row of `coefficients` [n, M] over its source box in `boxes`.

        Queues the work on `stream` and waits for the packed masks to arrive.
        """
        if self._module is None:
            raise RuntimeError('CudaMaskAssembler was closed; create a new one')
        if not isinstance(protos, DeviceTensor) or protos.shape != self.protos \
                or protos.dtype != self.dtype:
            raise ValueError('protos must be a DeviceTensor %s of %s (one image of the '
                             "engine's prototype output), got %r"
                             % (self.protos, self.dtype, getattr(protos, 'shape', protos)))
        coefficients, boxes = check_inputs(self.protos[0], coefficients, boxes)
        out: List[InstanceMask] = []
        # max_detections changes at run time (up to 10000): the buffers stay their size.
        for start in range(0, coefficients.shape[0], self.max_detections):
            turn = slice(start, start + self.max_detections)
            out.extend(self._assemble(protos, coefficients[turn], boxes[turn], letterbox))
        return out

    def _assemble(self, protos: DeviceTensor, coefficients: np.ndarray, boxes: np.ndarray,
                  letterbox: Letterbox) -> List[InstanceMask]:
        packed = windows(boxes, letterbox)
        total = int((packed[:, 2] * packed[:, 3]).sum())
        if total:
            self._run(protos, coefficients, packed, letterbox, total)
        out = []
        for x0, y0, width, height, offset in packed.tolist():
            data = np.zeros((height, width), dtype=bool)
            if width and height:
                data[:] = self._host_out[offset:offset + width * height].reshape(height, width)
            out.append(InstanceMask(x0, y0, data))
        return out

    def _run(self, protos: DeviceTensor, coefficients: np.ndarray, packed: np.ndarray,
             letterbox: Letterbox, total: int) -> None:
        masks, height, width = self.protos
        count = coefficients.shape[0]
        grid_x, grid_y = resampling(letterbox, width, height)
        with self._context.activated():
            self._reserve(total)
            self._coefficients[:count] = coefficients
            self._windows[:count] = packed
            cuda.memcpy_htod_async(self._device_coefficients, self._coefficients[:count],
                                   self.stream)
            cuda.memcpy_htod_async(self._device_windows, self._windows[:count], self.stream)
            plane = height * width
            self._logits_kernel.prepared_async_call(
                (-(-plane // _LOGITS_BLOCK[0]), count), _LOGITS_BLOCK, self.stream,
                protos.pointer, masks, plane, int(self._device_coefficients),
                int(self._device_logits))
            widest, tallest = int(packed[:, 2].max()), int(packed[:, 3].max())
            self._pixels_kernel.prepared_async_call(
                (-(-widest // _PIXELS_BLOCK[0]), -(-tallest // _PIXELS_BLOCK[1]), count),
                _PIXELS_BLOCK, self.stream, int(self._device_logits), width, height,
                int(self._device_windows), grid_x.factor, grid_x.top, grid_x.span, grid_x.ratio,
                grid_y.top, grid_y.span, grid_y.ratio, int(self._device_out))
            cuda.memcpy_dtoh_async(self._host_out[:total], self._device_out, self.stream)
            self.stream.synchronize()

    def _reserve(self, nbytes: int) -> None:
        """Grow the packed output buffers to hold `nbytes` (context active)."""
        if nbytes <= self._out_bytes:
            return
        self.stream.synchronize()
        self._free_out()
        self._out_bytes = _round_up(nbytes)
        self._device_out = cuda.mem_alloc(self._out_bytes)
        self._host_out = cuda.pagelocked_empty(self._out_bytes, np.uint8)

    def _free_out(self) -> None:
        self._device_out.free()
        if self._out_bytes:
            _free_pinned(self._host_out)
        self._out_bytes = 0

    def close(self) -> None:
        """Free the buffers and unload the kernels; safe to call more than once."""
        if self._module is None:
            return
        with self._context.activated():
            self.stream.synchronize()
            self._free_out()
            for allocation in (self._device_coefficients, self._device_windows,
                               self._device_logits):
                allocation.free()
            for pinned in (self._coefficients, self._windows):
                _free_pinned(pinned)
        self._module = None

    def __enter__(self) -> 'CudaMaskAssembler':
        """Return the assembler itself; `close` runs on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Free the buffers."""
        self.close()
