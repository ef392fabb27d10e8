# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
GPU preprocessing benchmark: the fused CUDA path against its floor and its peers.

    python3 bench/gpu_preprocess.py [--repeat 200] [--markdown FILE] [--json FILE]

For bgr8 frames of 640x480, 1280x720, 1920x1080 and 3840x2160 into a 640x640 float32 RGB
input, on one machine:

- ours: `CudaPreprocessor.run` (copy into page-locked memory, host-to-device copy, fused
  kernel), one frame at a time, timed with CUDA events; also frames queued back to back;
- the floor: the bare host-to-device copy of the frame from page-locked memory;
- the kernel alone, for 1, 2 and 4 output pixels per thread;
- OpenCV on the CPU: the project's `CpuPreprocessor` and the usual resize + copyMakeBorder +
  blobFromImage recipe;
- PyTorch on the GPU: copy into pinned memory, non-blocking upload, interpolate (bilinear,
  align_corners=False), pad, normalise, timed with CUDA events.

Frames are random gradients with noise (never zeros), rotated among four per size so the host
cache does not hold one frame.  Prints markdown tables of medians; `--markdown` writes them
as the 'GPU preprocessing (issue 5)' section of docs/benchmarks.md.
"""

import argparse
import json
import platform
import statistics
import time
from typing import Callable, Dict, List, Optional, Tuple

import cv2
import numpy as np
from peers import opencv_letterbox_blob
import pycuda
import pycuda.driver as cuda

from trt_perception.core.image import RawImage
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.preprocess import CpuPreprocessor, PreprocessSpec
from trt_perception.gpu.context import CudaContext
from trt_perception.gpu.preprocess import (CudaPreprocessor, DEFAULT_COPY_CHUNK_BYTES,
                                           DEFAULT_COPY_THREADS, LetterboxKernel)

SIZES = [(640, 480), (1280, 720), (1920, 1080), (3840, 2160)]
INPUT = 640
ROTATION = 4
CHUNKS = [0, 1 << 20, 4 << 20]
THREADS = [1, 2, 4, 8]
PIXELS_PER_THREAD = [1, 2, 4]
# Enough device work queued ahead of a timed region that the launch overhead of what follows
# is hidden and the events time the GPU alone.
PREAMBLE_BYTES = 512 << 20


def make_frames(rng, width: int, height: int) -> List[RawImage]:
    """Bgr8 frames: a colour gradient plus noise."""
    frames = []
    for _ in range(ROTATION):
        ramp = np.add.outer(np.linspace(0, 120, height), np.linspace(0, 120, width))
        base = np.stack([ramp, ramp[::-1], ramp[:, ::-1]], axis=-1)
        noise = rng.integers(0, 135, (height, width, 3))
        frames.append(RawImage.from_array((base + noise).astype(np.uint8), 'bgr8'))
    return frames


def median_of(samples: List[float]) -> float:
    """Median, in milliseconds, of samples in milliseconds."""
    return float(statistics.median(samples))


def host_ms(fn: Callable[[int], object], repeat: int, warmup: int = 5) -> float:
    """Median wall-clock milliseconds of fn(i)."""
    for i in range(warmup):
        fn(i)
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1e3)
    return median_of(samples)


class CudaTimer:
    """Times stream work with CUDA events, optionally behind a device-side preamble."""

    def __init__(self, context: CudaContext, stream: cuda.Stream) -> None:
        """Create the events and the preamble buffer for timing work on `stream`."""
        self.context = context
        self.stream = stream
        with context.activated():
            self.start = cuda.Event()
            self.end = cuda.Event()
            self.preamble = cuda.mem_alloc(PREAMBLE_BYTES)

    def ms(self, fn: Callable[[int], object], repeat: int, gpu_only: bool,
           warmup: int = 10) -> float:
        """Median event time of fn(i); `gpu_only` hides the host's enqueue time."""
        samples = []
        for i in range(warmup + repeat):
            with self.context.activated():
                if gpu_only:
                    cuda.memset_d8_async(self.preamble, i & 0xFF, PREAMBLE_BYTES, self.stream)
                self.start.record(self.stream)
                fn(i)
                self.end.record(self.stream)
                self.end.synchronize()
                if i >= warmup:
                    samples.append(self.start.time_till(self.end))
        return median_of(samples)

    def close(self) -> None:
        """Free the preamble buffer."""
        with self.context.activated():
            self.preamble.free()


class TorchPeer:
    """PyTorch on the GPU doing the same letterbox, as a peer (None when torch lacks CUDA)."""

    @staticmethod
    def create() -> Optional['TorchPeer']:
        """Return a peer, or None where torch or its CUDA support is missing."""
        try:
            import torch
        except ImportError:
            return None
        return TorchPeer(torch) if torch.cuda.is_available() else None

    def __init__(self, torch) -> None:
        """Create the events and the output tensor."""
        self.torch = torch
        self.functional = torch.nn.functional
        self.version = torch.__version__
        self.start = torch.cuda.Event(enable_timing=True)
        self.end = torch.cuda.Event(enable_timing=True)
        self.out = torch.empty((1, 3, INPUT, INPUT), dtype=torch.float32, device='cuda')

    def prepare(self, frames: List[RawImage]) -> None:
        """Pinned staging and device copies of `frames`."""
        torch = self.torch
        shape = frames[0].pixels().shape
        self.pinned = torch.empty(shape, dtype=torch.uint8).pin_memory()
        self.device_frames = [torch.from_numpy(f.pixels()).cuda() for f in frames]

    def kernels(self, frame, box: Letterbox) -> None:
        """Queue the letterbox of a uint8 HWC BGR device tensor into `out`."""
        x = frame.permute(2, 0, 1).unsqueeze(0).flip(1).float()
        x = self.functional.interpolate(x, size=(box.resized_height, box.resized_width),
                                        mode='bilinear', align_corners=False)
        x = self.functional.pad(x, (box.pad_left, box.pad_right, box.pad_top, box.pad_bottom),
                                value=114.0)
        self.torch.mul(x, 1 / 255.0, out=self.out)

    def upload_and_run(self, frame: RawImage, box: Letterbox) -> None:
        """Copy into pinned memory, upload without blocking, queue the kernels."""
        self.pinned.numpy()[...] = frame.pixels()
        self.kernels(self.pinned.to('cuda', non_blocking=True), box)

    def ms(self, fn: Callable[[int], object], repeat: int, gpu_only: bool,
           warmup: int = 10) -> float:
        """Median event time of fn(i) on torch's current stream."""
        samples = []
        for i in range(warmup + repeat):
            if gpu_only:
                self.torch.cuda._sleep(1000000)
            self.start.record()
            fn(i)
            self.end.record()
            self.end.synchronize()
            if i >= warmup:
                samples.append(self.start.elapsed_time(self.end))
        return median_of(samples)


def device_copy_bandwidth(context: CudaContext, timer: CudaTimer) -> float:
    """GB/s of a large device-to-device copy, counting bytes read plus bytes written."""
    nbytes = 256 << 20
    with context.activated():
        a = cuda.mem_alloc(nbytes)
        b = cuda.mem_alloc(nbytes)
    ms = timer.ms(lambda i: cuda.memcpy_dtod_async(b, a, nbytes, timer.stream), 20, True)
    with context.activated():
        a.free()
        b.free()
    return 2 * nbytes / ms / 1e6


def bench_size(context: CudaContext, torch_peer: Optional[TorchPeer], width: int,
               height: int, repeat: int, rng) -> Dict[str, float]:
    """Every measurement for one frame size, in milliseconds."""
    spec = PreprocessSpec(INPUT, INPUT)
    frames = make_frames(rng, width, height)
    nbytes = frames[0].data.nbytes
    row: Dict[str, float] = {}
    cpu = CpuPreprocessor(spec)
    host_batch = cpu.allocate_batch(1)
    box = cpu.letterbox_for(width, height)
    pick = lambda i: frames[i % ROTATION]  # noqa: E731

    pre = CudaPreprocessor(spec, context)
    timer = CudaTimer(context, pre.stream)
    with context.activated():
        pinned = cuda.pagelocked_empty(nbytes, np.uint8)
        device_frame = cuda.mem_alloc(nbytes)
        output = cuda.mem_alloc(3 * INPUT * INPUT * 4)
    row['fused'] = timer.ms(lambda i: pre.run_device(pick(i), None, 0), repeat, False)
    row['fused_wall'] = host_ms(lambda i: (pre.run_device(pick(i), None, 0),
                                           timer.stream.synchronize()), repeat)
    burst = 50
    row['fused_pipelined'] = host_ms(
        lambda i: ([pre.run_device(pick(k), None, 0) for k in range(burst)],
                   timer.stream.synchronize()), max(5, repeat // burst)) / burst
    row['h2d_pinned'] = timer.ms(lambda i: cuda.memcpy_htod_async(
        device_frame, pinned, timer.stream), repeat, True)
    row['h2d_pageable'] = timer.ms(lambda i: cuda.memcpy_htod_async(
        device_frame, pick(i).data, timer.stream), repeat, False)
    row['host_copy'] = host_ms(lambda i: np.copyto(pinned.reshape(pick(i).data.shape),
                                                   pick(i).data), repeat)
    check = np.empty((1, 3, INPUT, INPUT), np.float32)
    pre.run_device(frames[0], None, 0)
    pre.download(check)
    pre.close()

    variants = [('threads_%d' % t, {'copy_threads': t}) for t in THREADS]
    variants += [('chunk_%d' % c, {'copy_chunk_bytes': c}) for c in CHUNKS]
    for name, options in variants:
        with CudaPreprocessor(spec, context, **options) as variant:
            timer.stream = variant.stream
            row[name] = timer.ms(lambda i: variant.run_device(pick(i), None, 0), repeat, False)
    with context.activated():
        kernel_stream = cuda.Stream()
        cuda.memcpy_htod(device_frame, frames[0].data)
    timer.stream = kernel_stream
    for pixels in PIXELS_PER_THREAD:
        with context.activated():
            kernel = LetterboxKernel(spec, context, pixels)
        row['kernel_px%d' % pixels] = timer.ms(lambda i: kernel.launch(
            frames[0], box, int(device_frame), int(output), kernel_stream), repeat, True)
        with context.activated():
            kernel.close()

    cpu_repeat = max(10, repeat // 10)
    row['cpu_preprocessor'] = host_ms(lambda i: cpu.run_host(pick(i), host_batch, 0), cpu_repeat)
    row['cpu_opencv'] = host_ms(lambda i: opencv_letterbox_blob(pick(i).pixels(), box), cpu_repeat)
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    row['cpu_preprocessor_1t'] = host_ms(lambda i: cpu.run_host(pick(i), host_batch, 0),
                                         cpu_repeat)
    cv2.setNumThreads(threads)
    cpu.run_host(frames[0], host_batch, 0)
    row['check_cpu_levels'] = float(np.abs(check - host_batch).max() * 255)

    if torch_peer is not None:
        torch_peer.prepare(frames)
        row['torch'] = torch_peer.ms(lambda i: torch_peer.upload_and_run(pick(i), box),
                                     repeat, False)
        row['torch_kernels'] = torch_peer.ms(lambda i: torch_peer.kernels(
            torch_peer.device_frames[0], box), repeat, True)
        torch_peer.kernels(torch_peer.device_frames[0], box)
        row['check_torch_levels'] = float(
            np.abs(torch_peer.out.cpu().numpy() - check).max() * 255)

    timer.close()
    with context.activated():
        pinned.base.free()
        device_frame.free()
        output.free()
        # Streams are destroyed while the context is current.
        timer.stream = kernel_stream = None
    return row


def ratio(a: float, b: float) -> str:
    """Format a / b as a factor."""
    return '%.2fx' % (a / b)


def tables(results: Dict[Tuple[int, int], Dict[str, float]], facts: Dict[str, str]) -> str:
    """Markdown tables of the medians and ratios."""
    lines = ['## GPU preprocessing (issue 5)', '',
             'Measured by `bench/gpu_preprocess.py` on %s. bgr8 frames into a 640x640 '
             'float32 RGB letterboxed input (pad 114, /255); medians in milliseconds.'
             % facts['machine'], '',
             'Ours is `CudaPreprocessor.run`: copy of the frame into page-locked memory, '
             'host-to-device copy and the fused kernel, one frame at a time, from before the '
             'host copy to the end of the kernel (CUDA events). The floor is the bare '
             'host-to-device copy of the frame from page-locked memory.', '',
             '| frame | ours | floor: H2D pinned | ours / floor | CpuPreprocessor | '
             'CpuPreprocessor / ours | same, 1 thread | cv2 resize+border+blob | cv2 / ours | '
             'torch GPU | torch / ours |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for (w, h), r in results.items():
        torch_cells = (['%.3f' % r['torch'], ratio(r['torch'], r['fused'])]
                       if 'torch' in r else ['n/a', 'n/a'])
        lines.append('| %dx%d | %.3f | %.3f | %s | %.2f | %s | %.2f | %.2f | %s | %s |' % (
            w, h, r['fused'], r['h2d_pinned'], ratio(r['fused'], r['h2d_pinned']),
            r['cpu_preprocessor'], ratio(r['cpu_preprocessor'], r['fused']),
            r['cpu_preprocessor_1t'], r['cpu_opencv'], ratio(r['cpu_opencv'], r['fused']),
            ' | '.join(torch_cells)))
    lines += ['', 'Where the time goes (ms): the host copy into page-locked memory, the '
              'host-to-device copy from page-locked and from pageable memory, the kernel '
              'alone with 1, 2 and 4 output pixels per thread (GPU time behind queued '
              "work), torch's kernels alone, ours with frames queued back to back (wall "
              'clock per frame).', '',
              '| frame | host copy, 1 thread | H2D pinned | H2D pageable | kernel px1 | px2 | '
              'px4 | torch kernels | ours queued |',
              '|---|---|---|---|---|---|---|---|---|']
    for (w, h), r in results.items():
        cells = [r['host_copy'], r['h2d_pinned'], r['h2d_pageable']]
        cells += [r['kernel_px%d' % p] for p in PIXELS_PER_THREAD]
        cells += [r.get('torch_kernels', float('nan')), r['fused_pipelined']]
        lines.append('| %dx%d | %s |' % (w, h, ' | '.join('%.3f' % c for c in cells)))
    lines += ['', 'Ours by most copy threads (one per 2 MiB of frame; pieces of at most %d KiB)'
              ' and by largest piece (%d threads; unlimited: two pieces per thread), ms:' % (
                  DEFAULT_COPY_CHUNK_BYTES >> 10, DEFAULT_COPY_THREADS), '',
              '| frame | %s | %s |' % (
                  ' | '.join('%d thread%s' % (t, 's' if t > 1 else '') for t in THREADS),
                  ' | '.join('piece %s' % ('%d KiB' % (c >> 10) if c else 'unlimited')
                             for c in CHUNKS)),
              '|---|%s' % ('---|' * (len(THREADS) + len(CHUNKS)))]
    for (w, h), r in results.items():
        cells = [r['threads_%d' % t] for t in THREADS] + [r['chunk_%d' % c] for c in CHUNKS]
        lines.append('| %dx%d | %s |' % (w, h, ' | '.join('%.3f' % c for c in cells)))
    lines += ['', 'Agreement at every size: ours vs CpuPreprocessor at most %.2f pixel '
              'levels, ours vs torch at most %.2f.' % (
                  max(r['check_cpu_levels'] for r in results.values()),
                  max(r.get('check_torch_levels', float('nan')) for r in results.values())),
              'Device-to-device copy: %s GB/s (read + write). %s.' % (
                  facts['d2d_gbps'], facts['software']),
              '`ours` uses the defaults: %d copy threads, pieces of at most %d KiB.' % (
                  DEFAULT_COPY_THREADS, DEFAULT_COPY_CHUNK_BYTES >> 10), '']
    return '\n'.join(lines)


def main() -> None:
    """Run every measurement and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--repeat', type=int, default=200)
    parser.add_argument('--markdown', help='write the docs/benchmarks.md section here')
    parser.add_argument('--json', help='write the raw medians here')
    args = parser.parse_args()
    rng = np.random.default_rng()
    context = CudaContext(0)
    torch_peer = TorchPeer.create()
    with context.activated():
        stream = cuda.Stream()
    timer = CudaTimer(context, stream)
    cpu_model = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo')
                      if line.startswith('model name')), platform.processor())
    facts = {
        'machine': '%s (driver API, sm_%d%d) with %s, %d OpenCV threads' % (
            context.name, context.compute_capability[0], context.compute_capability[1],
            cpu_model, cv2.getNumThreads()),
        'd2d_gbps': '%.0f' % device_copy_bandwidth(context, timer),
        'software': 'OpenCV %s, numpy %s, pycuda %s, torch %s' % (
            cv2.__version__, np.__version__, pycuda.VERSION_TEXT,
            torch_peer.version if torch_peer else 'not available'),
    }
    timer.close()
    results = {}
    for width, height in SIZES:
        results[(width, height)] = bench_size(context, torch_peer, width, height,
                                              args.repeat, rng)
        print('%dx%d %s' % (width, height, json.dumps(results[(width, height)])), flush=True)
    text = tables(results, facts)
    print(text)
    if args.markdown:
        with open(args.markdown, 'w') as out:
            out.write(text)
    if args.json:
        with open(args.json, 'w') as out:
            json.dump({'facts': facts, 'results': {'%dx%d' % k: v for k, v in results.items()}},
                      out, indent=1)
    with context.activated():
        timer.stream = stream = None
    context.close()


if __name__ == '__main__':
    main()
