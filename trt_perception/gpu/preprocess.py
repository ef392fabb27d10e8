# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
GPU preprocessing: raw camera bytes to the engine's NCHW input in one fused CUDA kernel.

The frame's bytes are copied into page-locked host memory by a few threads, piece by piece,
and each finished piece is queued for the GPU on the pipeline's CUDA stream while the rest
are still being copied (on integrated GPUs the kernel reads the staging memory in place),
then `letterbox.cu` converts colour, resizes, pads, normalises and writes NCHW in one pass.
Nothing in `CudaPreprocessor.run_device` waits for the GPU: a staging buffer is only reused once
the event recorded after its last reader has completed, two buffers alternating.
"""

import abc
from concurrent.futures import ThreadPoolExecutor
import os
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

import numpy as np
import pycuda.driver as cuda

from trt_perception.core.checks import is_int, positive_int
from trt_perception.core.image import ENCODINGS, RawImage
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.preprocess import DevicePreprocessor, PreprocessSpec
from trt_perception.gpu.context import CudaContext
from trt_perception.gpu.kernels import compiled

_SOURCE = Path(__file__).with_name('letterbox.cu')
_LAYOUTS = tuple(sorted({encoding.layout for encoding in ENCODINGS.values()}))
_TYPE_SUFFIX = {'float32': 'f32', 'float16': 'f16'}
# src, step, width, height, dst, dst width, dst height, pad left, pad top, resized width,
# resized height, sample scale x, y, sample offset, gain x3, bias x3, padded output x3.
_ARG_FORMAT = 'PiiiPiiiiiifff' + 'f' * 9
_BLOCK = (32, 8, 1)
_STAGING_SLOTS = 2
_ALLOCATION_GRANULE = 1 << 20

DEFAULT_COPY_CHUNK_BYTES = 4 << 20
"""Largest piece of a frame copied and uploaded at once: the upload of one piece overlaps the
host copy of the next (4 MiB beat 1 MiB by a quarter at 4K on the lent H100 host and tied
below; see docs/benchmarks.md)."""

DEFAULT_COPY_THREADS = min(4, os.cpu_count() or 1)
"""Most threads copying one frame into page-locked memory: one core's memcpy (about 10 GB/s
on a server, less on Jetson) is slower than the host-to-device copy."""

# Handing a piece to a pool thread costs about 0.1 ms of wake-up and GIL hand-over (measured
# on the lent H100 host), what copying 1 MiB costs, so smaller frames are copied by the
# calling thread alone and larger ones get one thread per this many bytes.
_BYTES_PER_COPY_THREAD = 2 << 20


def compiled_letterbox(arch: str, pixels_per_thread: int) -> bytes:
    """Return the cubin of letterbox.cu for `arch`, compiled once per process and options."""
    return compiled(_SOURCE, arch, ('-DPIXELS_PER_THREAD=%d' % pixels_per_thread,))


def _round_up(nbytes: int) -> int:
    return -(-nbytes // _ALLOCATION_GRANULE) * _ALLOCATION_GRANULE


class LetterboxKernel:
    """
    The fused letterbox kernels for one `PreprocessSpec`, loaded into one CUDA context.

    Construct, `launch` and `close` with the context active.  `pixels_per_thread` adjacent
    outputs per thread (1, 2 or 4, dividing the input width) are stored as one vector per
    plane; None picks the widest that divides the width.
    """

    def __init__(self, spec: PreprocessSpec, context: CudaContext,
                 pixels_per_thread: Optional[int] = None) -> None:
        """Load the kernels of every source layout for `spec` (context active)."""
        if pixels_per_thread is None:
            pixels_per_thread = next(n for n in (4, 2, 1) if spec.width % n == 0)
        if pixels_per_thread not in (1, 2, 4) or spec.width % pixels_per_thread:
            raise ValueError('pixels_per_thread must be 1, 2 or 4 and divide the input width %d,'
                             ' got %r' % (spec.width, pixels_per_thread))
        self.pixels_per_thread = pixels_per_thread
        self.alignment = pixels_per_thread * spec.numpy_dtype.itemsize
        """Byte alignment every output slot must have (one vector store)."""
        self._module = cuda.module_from_buffer(
            compiled_letterbox(context.arch, pixels_per_thread))
        self._functions = {}
        for layout in _LAYOUTS:
            name = 'letterbox_%s_to_%s_%s' % (layout, spec.channel_order,
                                              _TYPE_SUFFIX[spec.dtype])
            self._functions[layout] = self._module.get_function(name).prepare(_ARG_FORMAT)
        gain, bias = spec.per_channel_affine()
        pad = spec.pad_value * gain + bias
        self._affine = tuple(float(v) for v in np.concatenate([gain, bias, pad]))
        self._size = (spec.width, spec.height)
        self._sample_offset = 0.0 if spec.sampling == 'tf_legacy' else 0.5
        threads_x = spec.width // pixels_per_thread
        self._grid = (-(-threads_x // _BLOCK[0]), -(-spec.height // _BLOCK[1]))

    def launch(self, image: RawImage, box: Letterbox, source: int, destination: int,
               stream: Optional[cuda.Stream]) -> None:
        """
        Queue the kernel reading `image`'s bytes at device address `source`.

        `destination` is the device address of one NCHW image in the spec's dtype.
        """
        self._functions[image.encoding.layout].prepared_async_call(
            self._grid, _BLOCK, stream, source, image.step, image.width, image.height,
            destination, self._size[0], self._size[1], box.pad_left, box.pad_top,
            box.resized_width, box.resized_height, box.sample_scale_x, box.sample_scale_y,
            self._sample_offset, *self._affine)

    def close(self) -> None:
        """Unload the module (with the context active)."""
        self._functions = {}
        self._module = None


class _PinnedSlot:
    """One page-locked host buffer and the event after which the GPU no longer reads it."""

    def __init__(self, mem_flags: int) -> None:
        self._mem_flags = mem_flags
        self.host: Optional[np.ndarray] = None
        self.device_pointer = 0
        """Where the GPU sees `host` (mapped memory only)."""
        self.event = cuda.Event(cuda.event_flags.DISABLE_TIMING)

    def acquire(self, shape: Tuple[int, int]) -> np.ndarray:
        """Return a (rows, step) view to fill, once the GPU is done with the last contents."""
        self.event.synchronize()
        nbytes = shape[0] * shape[1]
        if self.host is None or self.host.size < nbytes:
            self.free()
            host = cuda.pagelocked_empty(_round_up(nbytes), np.uint8, 'C', self._mem_flags)
            if self._mem_flags & cuda.host_alloc_flags.DEVICEMAP:
                self.device_pointer = int(_allocation(host).get_device_pointer())
            self.host = host
        return self.host[:nbytes].reshape(shape)

    def free(self) -> None:
        """Release the host buffer."""
        if self.host is not None:
            _allocation(self.host).free()
            self.host = None
            self.device_pointer = 0


def _allocation(pinned: np.ndarray) -> Any:
    """Return the pycuda HostAllocation behind an array from `cuda.pagelocked_empty`."""
    return pinned.base


class _RowCopier:
    """
    Copies frame rows into staging memory, in pieces, handing each finished one on in order.

    Each finished piece is handed to a callback in the calling thread, so uploading it starts
    while later pieces are still being copied.  Large frames are copied by up to `threads`
    pool threads (numpy releases the GIL while copying).
    """

    def __init__(self, threads: int, piece_bytes: int) -> None:
        self._threads = threads
        self._piece_bytes = piece_bytes
        self._pool: Optional[ThreadPoolExecutor] = None
        if threads > 1:
            self._pool = ThreadPoolExecutor(threads, thread_name_prefix='trt_perception_copy')

    def plan(self, rows: int, step: int) -> Tuple[List[Tuple[int, int]], bool]:
        """Row ranges to copy and whether the pool copies them (else the calling thread)."""
        nbytes = rows * step
        threads = min(self._threads, nbytes // _BYTES_PER_COPY_THREAD)
        count = 2 * threads if threads > 1 else 1
        if self._piece_bytes > 0:
            count = max(count, -(-nbytes // self._piece_bytes))
        count = max(1, min(count, rows))
        bounds = [rows * k // count for k in range(count + 1)]
        return list(zip(bounds[:-1], bounds[1:])), threads > 1

    def copy(self, dst: np.ndarray, src: np.ndarray, done: Callable[[int, int], None]) -> None:
        """Copy the (rows, step) `src` into `dst`, calling done(first, last) per piece."""
        pieces, in_pool = self.plan(*src.shape)
        if in_pool and self._pool is not None:
            pool = self._pool
            copies = [pool.submit(np.copyto, dst[first:last], src[first:last])
                      for first, last in pieces]
            for copy, (first, last) in zip(copies, pieces):
                copy.result()
                done(first, last)
        else:
            for first, last in pieces:
                np.copyto(dst[first:last], src[first:last])
                done(first, last)

    def close(self) -> None:
        """Stop the copy threads."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def _nothing_to_queue(first: int, last: int) -> None:
    """Do nothing: the GPU reads mapped staging memory where it is."""


class _FrameStaging(abc.ABC):
    """Double-buffered page-locked staging of frame bytes; subclasses say how the GPU reads."""

    mem_flags = 0

    def __init__(self, copier: _RowCopier) -> None:
        self._copier = copier
        self._slots = [_PinnedSlot(self.mem_flags) for _ in range(_STAGING_SLOTS)]
        self._current = 0

    def stage(self, image: RawImage, stream: cuda.Stream) -> int:
        """Queue `image`'s bytes for the GPU and return their device address."""
        slot = self._slots[self._current]
        host = slot.acquire(image.data.shape)
        return self._transfer(image.data, host, slot, stream)

    def release(self, stream: cuda.Stream) -> None:
        """Mark the staged frame reusable once `stream` reaches this point; switch slots."""
        self._slots[self._current].event.record(stream)
        self._current = (self._current + 1) % _STAGING_SLOTS

    @abc.abstractmethod
    def _transfer(self, data: np.ndarray, host: np.ndarray, slot: _PinnedSlot,
                  stream: cuda.Stream) -> int:
        """Fill `host` from `data`, queue what the GPU needs, return the frame's address."""

    def close(self) -> None:
        """Free the host buffers and events (with the context active)."""
        self._copier.close()
        for slot in self._slots:
            slot.free()
        self._slots = []


class _CopiedFrames(_FrameStaging):
    """Discrete GPUs: pinned staging, then asynchronous copies into device memory."""

    def __init__(self, copier: _RowCopier) -> None:
        super().__init__(copier)
        self._device: Optional[cuda.DeviceAllocation] = None
        self._device_bytes = 0

    def _transfer(self, data: np.ndarray, host: np.ndarray, slot: _PinnedSlot,
                  stream: cuda.Stream) -> int:
        rows, step = data.shape
        if self._device_bytes < rows * step:
            # A kernel queued for the previous frame may still read the old buffer.
            stream.synchronize()
            self.free_device()
            self._device_bytes = _round_up(rows * step)
            self._device = cuda.mem_alloc(self._device_bytes)
        device = int(self._device)  # type: ignore[arg-type]  # allocated just above

        def upload(first: int, last: int) -> None:
            cuda.memcpy_htod_async(device + first * step, host[first:last], stream)

        self._copier.copy(host, data, upload)
        return device

    def free_device(self) -> None:
        """Release the device copy of the frame."""
        if self._device is not None:
            self._device.free()
            self._device = None
            self._device_bytes = 0

    def close(self) -> None:
        """Free host and device buffers (with the context active)."""
        self.free_device()
        super().close()


class _MappedFrames(_FrameStaging):
    """Integrated GPUs (Jetson): the kernel reads the mapped staging memory, no copy."""

    mem_flags = cuda.host_alloc_flags.DEVICEMAP

    def _transfer(self, data: np.ndarray, host: np.ndarray, slot: _PinnedSlot,
                  stream: cuda.Stream) -> int:
        self._copier.copy(host, data, _nothing_to_queue)
        return slot.device_pointer


class CudaPreprocessor(DevicePreprocessor):
    """
    Letterbox and normalise on the GPU into a device NCHW batch, on one CUDA stream.

    `stream` is the stream to queue on (pass the TensorRT backend's so inference follows
    without synchronisation); None creates one.  `zero_copy` None picks mapped host memory on
    integrated GPUs that support it and copies elsewhere; True or False forces either.
    `copy_threads` threads copy each frame into page-locked memory in pieces of at most
    `copy_chunk_bytes` (0: no limit), each uploaded as soon as it is copied.
    Use from one thread at a time (any thread); close before closing `context`.
    """

    def __init__(self, spec: PreprocessSpec, context: CudaContext, max_batch: int = 1,
                 stream: Optional[cuda.Stream] = None, zero_copy: Optional[bool] = None,
                 copy_chunk_bytes: int = DEFAULT_COPY_CHUNK_BYTES,
                 copy_threads: int = DEFAULT_COPY_THREADS) -> None:
        """Compile or fetch the kernels and allocate the batch, staging and stream."""
        super().__init__(spec)
        max_batch = positive_int('max_batch', max_batch)
        copy_threads = positive_int('copy_threads', copy_threads)
        if zero_copy is None:
            zero_copy = context.integrated and context.can_map_host_memory
        if zero_copy and not context.can_map_host_memory:
            raise ValueError('zero_copy=True but %s cannot map host memory; pass zero_copy=None'
                             % context.name)
        self.max_batch = max_batch
        self.zero_copy = bool(zero_copy)
        self._context = context
        self._image_bytes = 3 * spec.width * spec.height * spec.numpy_dtype.itemsize
        with context.activated():
            copier = _RowCopier(copy_threads, int(copy_chunk_bytes))
            self._gpu: Optional[_GpuResources] = _GpuResources(
                LetterboxKernel(spec, context),
                _MappedFrames(copier) if self.zero_copy else _CopiedFrames(copier),
                stream if stream is not None else cuda.Stream(),
                cuda.mem_alloc(self.max_batch * self._image_bytes))
        self.pixels_per_thread = self._gpu.kernel.pixels_per_thread
        """Adjacent outputs each kernel thread writes."""

    @property
    def stream(self) -> cuda.Stream:
        """CUDA stream all work is queued on."""
        return self._require_open().stream

    @property
    def device_batch(self) -> int:
        """Device address of the preprocessor's own (max_batch, 3, H, W) batch."""
        return int(self._require_open().batch)

    def run_device(self, image: RawImage, address: Optional[int] = None,
                   slot: int = 0) -> Letterbox:
        """
        Queue `image` into batch slot `slot` of `address` and return its geometry.

        `address` is the device address of an NCHW batch in the spec's dtype with at least
        ``slot + 1`` images (a TensorRT input binding), or None for `device_batch`.  Returns
        without waiting for the GPU.
        """
        if not isinstance(image, RawImage):
            raise TypeError('image must be a RawImage (wrap message bytes with '
                            'RawImage.from_buffer), got %s' % type(image).__name__)
        gpu = self._require_open()
        destination = self._destination(gpu, address, slot)
        box = self.letterbox_for(image.width, image.height)
        with self._context.activated():
            source = gpu.frames.stage(image, gpu.stream)
            gpu.kernel.launch(image, box, source, destination, gpu.stream)
            gpu.frames.release(gpu.stream)
        return box

    def download(self, host: np.ndarray) -> np.ndarray:
        """
        Wait for queued work, copy the first ``len(host)`` images of `device_batch` to `host`.

        `host` is a C-contiguous (N, 3, H, W) array of the spec's dtype, N <= max_batch.
        """
        spec = self.spec
        want = (3, spec.height, spec.width)
        if not isinstance(host, np.ndarray) or host.ndim != 4 or host.shape[1:] != want \
                or not 1 <= host.shape[0] <= self.max_batch or host.dtype != spec.numpy_dtype \
                or not host.flags.c_contiguous or not host.flags.writeable:
            raise ValueError(
                'host must be a writeable C-contiguous %s array of shape (N, %d, %d, %d) with '
                '1 <= N <= %d, got %s %s' % ((spec.dtype,) + want + (self.max_batch,) + (
                    getattr(host, 'dtype', type(host).__name__), getattr(host, 'shape', ''))))
        gpu = self._require_open()
        with self._context.activated():
            cuda.memcpy_dtoh_async(host, gpu.batch, gpu.stream)
            gpu.stream.synchronize()
        return host

    def _require_open(self) -> '_GpuResources':
        if self._gpu is None:
            raise RuntimeError('CudaPreprocessor was closed; create a new one')
        return self._gpu

    def _destination(self, gpu: '_GpuResources', address: Optional[int], slot: int) -> int:
        if not is_int(slot) or slot < 0:
            raise IndexError('slot must be a non-negative integer, got %r' % (slot,))
        if address is None:
            if slot >= self.max_batch:
                raise IndexError('slot %d is out of range for max_batch=%d (valid: 0..%d)'
                                 % (slot, self.max_batch, self.max_batch - 1))
            base = int(gpu.batch)
        elif isinstance(address, np.ndarray):
            raise TypeError('address must be a device address (int) or None, not a numpy '
                            'array; use address=None and download() to get host data')
        else:
            base = int(address)
        destination = base + int(slot) * self._image_bytes
        if destination % gpu.kernel.alignment:
            raise ValueError('output slot address 0x%x is not aligned to %d bytes; allocate the '
                             'batch with cudaMalloc / mem_alloc' % (destination,
                                                                    gpu.kernel.alignment))
        return destination

    def close(self) -> None:
        """Wait for queued work and free staging, device buffers and the kernels."""
        gpu, self._gpu = self._gpu, None
        if gpu is None:
            return
        with self._context.activated():
            gpu.close()
            # Drop the stream while the context is current, so an owned one is destroyed.
            del gpu
        self._letterboxes.clear()


class _GpuResources:
    """What a CudaPreprocessor holds on the GPU: kernels, frame staging, stream, batch."""

    def __init__(self, kernel: LetterboxKernel, frames: _FrameStaging, stream: cuda.Stream,
                 batch: cuda.DeviceAllocation) -> None:
        self.kernel = kernel
        self.frames = frames
        self.stream = stream
        self.batch = batch

    def close(self) -> None:
        """Wait for queued work, then free staging, the kernels and the batch."""
        self.stream.synchronize()
        self.frames.close()
        self.kernel.close()
        self.batch.free()
