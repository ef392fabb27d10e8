# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Mask assembly benchmark: the masks of one frame's kept detections, in camera pixels.

    python3 bench/masks.py [--repeat 30] [--gpu]

A 1920x1080 camera into a 640x640 segmentation network (32 prototypes of 160x160), 10 and 50
instances with boxes of 5-40% of the frame's width and 10-60% of its height (seeded).  Rows:

- ours on the CPU: `core.masks.MaskAssembler` (numpy), what `SegmentationDecoder` runs;
- the peer: Ultralytics' own ``process_mask_native`` (its ``retina_masks`` path, torch on the
  CPU) on the same inputs, when ultralytics and torch import;
- the instance image the node renders from those masks for ``<camera>/detections/
  instance_mask`` while someone subscribes (`core.masks.instance_image`, CPU, either path);
- with ``--gpu``: `gpu.masks.CudaMaskAssembler` (coefficients up, kernels, packed windows
  down, waiting for them), timed on the host around the call, which is what the worker waits.

Prints a markdown table of medians (ms) with the machine, the Python and the load average.
"""

import argparse
import os
import platform
import statistics
import time
from typing import Callable, List

import numpy as np

from trt_perception.core.detection import Detection
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.masks import instance_image, MaskAssembler

CAMERA = (1920, 1080)
NETWORK = 640
PROTOS = (32, 160, 160)
INSTANCES = (10, 50)


def scene(rng, count: int):
    """Smooth prototypes (trained heads' are smooth), coefficients and source boxes."""
    raw = rng.normal(size=PROTOS).astype(np.float32)
    # A cheap blur: the mean of shifted copies, so the masks have blobs, not noise.
    protos = sum(np.roll(np.roll(raw, dy, 1), dx, 2) for dy in range(-2, 3)
                 for dx in range(-2, 3)).astype(np.float32)
    coefficients = rng.normal(size=(count, PROTOS[0])).astype(np.float32)
    width, height = CAMERA
    w = rng.uniform(0.05, 0.4, count) * width
    h = rng.uniform(0.1, 0.6, count) * height
    x1 = rng.uniform(0, width - w)
    y1 = rng.uniform(0, height - h)
    boxes = np.stack([x1, y1, x1 + w, y1 + h], axis=1)
    return protos, coefficients, boxes


def median_ms(run: Callable[[], object], repeat: int, warmup: int = 3) -> float:
    """Median wall time of `run` in milliseconds."""
    for _ in range(warmup):
        run()
    times: List[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def ultralytics_runner(protos, coefficients, boxes):
    """Ultralytics' retina-mask assembly on the same inputs, or None when it is missing."""
    try:
        import torch
        from ultralytics.utils import ops
    except ImportError:
        return None
    tensors = (torch.from_numpy(protos), torch.from_numpy(coefficients),
               torch.from_numpy(boxes.astype(np.float32)))
    return lambda: ops.process_mask_native(*tensors, (CAMERA[1], CAMERA[0]))


def gpu_runner(protos, coefficients, boxes, letterbox):
    """Our CUDA assembler on prototypes uploaded once, as an engine would leave them."""
    import pycuda.driver as cuda

    from trt_perception.gpu.context import CudaContext
    from trt_perception.gpu.masks import CudaMaskAssembler, DeviceTensor

    context = CudaContext(0)
    with context.activated():
        device = cuda.mem_alloc(protos.nbytes)
        cuda.memcpy_htod(device, protos)
    assembler = CudaMaskAssembler(context, protos.shape, protos.dtype, len(coefficients))
    tensor = DeviceTensor(int(device), protos.shape, protos.dtype)
    return context.name, lambda: assembler.assemble(tensor, coefficients, boxes, letterbox)


def main() -> None:
    """Run every row and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--repeat', type=int, default=30)
    parser.add_argument('--gpu', action='store_true', help='also time CudaMaskAssembler')
    args = parser.parse_args()
    letterbox = Letterbox.fit(CAMERA[0], CAMERA[1], NETWORK, NETWORK)
    rows = []
    gpu_name = ''
    for count in INSTANCES:
        protos, coefficients, boxes = scene(np.random.default_rng(count), count)
        cpu = MaskAssembler()
        masks = cpu.assemble(protos, coefficients, boxes, letterbox)
        pixels = sum(m.data.size for m in masks)
        found = [Detection(*box, 0.5, 0, 'thing', mask=mask) for box, mask in zip(boxes, masks)]
        image_ms = median_ms(lambda: instance_image(found, *CAMERA), args.repeat)
        ours = median_ms(lambda: cpu.assemble(protos, coefficients, boxes, letterbox),
                         args.repeat)
        peer = ultralytics_runner(protos, coefficients, boxes)
        theirs = median_ms(peer, args.repeat) if peer is not None else float('nan')
        gpu = float('nan')
        if args.gpu:
            gpu_name, run = gpu_runner(protos, coefficients, boxes, letterbox)
            gpu = median_ms(run, args.repeat)
        rows.append((count, pixels, ours, theirs, gpu, image_ms))
    print('%s, %d cores visible, Python %s, numpy %s; load average %s; GPU: %s'
          % (platform.processor() or platform.machine(), os.cpu_count() or 0,
             platform.python_version(), np.__version__,
             ' '.join('%.2f' % v for v in os.getloadavg()), gpu_name or 'not run'))
    print()
    print('| instances (1920x1080 camera, 640x640 input) | mask pixels | ours, CPU (ms) '
          '| Ultralytics process_mask_native, CPU (ms) | ours, GPU (ms) '
          '| instance image, CPU (ms) |')
    print('| ---: | ---: | ---: | ---: | ---: | ---: |')
    for count, pixels, ours, theirs, gpu, image_ms in rows:
        print('| %d | %.1f M | %.1f | %.1f | %s | %.1f |' % (
            count, pixels / 1e6, ours, theirs, '-' if gpu != gpu else '%.2f' % gpu, image_ms))


if __name__ == '__main__':
    main()
