# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
CPU preprocessing cost of the two resize samplings: half-pixel (cv2.resize) and TensorFlow 1's.

    python3 bench/resize_sampling.py [--repeat 100]

For rgb8 frames of 640x480, 1280x720 and 1920x1080 stretched into the bundled SSD's 300x300
float32 input (and letterboxed into 640x640), times `CpuPreprocessor.run_host` with
`sampling='half_pixel'` (OpenCV's fixed-point resize) and `sampling='tf_legacy'` (numpy
gathers and float32 interpolation), median of `--repeat` runs after a warm-up, one thread.
Prints a markdown table.
"""

import argparse
import platform
import statistics
import time

import cv2
import numpy as np

from trt_perception.core.image import RawImage
from trt_perception.core.preprocess import CpuPreprocessor, PreprocessSpec

SIZES = ((640, 480), (1280, 720), (1920, 1080))
TARGETS = (('stretch', 300, 300), ('letterbox', 640, 640))


def frame(width: int, height: int) -> RawImage:
    """Make a gradient with noise, never all zeros."""
    rng = np.random.default_rng(width)
    ramp = np.add.outer(np.arange(height), np.arange(width)) % 256
    pixels = np.dstack([ramp, ramp[::-1], ramp[:, ::-1]]).astype(np.uint8)
    pixels ^= rng.integers(0, 16, pixels.shape, dtype=np.uint8)
    return RawImage.from_array(pixels, 'rgb8')


def median_ms(spec: PreprocessSpec, image: RawImage, repeat: int) -> float:
    """Time `run_host` of one frame: median milliseconds of `repeat` runs after a warm-up."""
    with CpuPreprocessor(spec) as pre:
        out = pre.allocate_batch(1)
        for _ in range(5):
            pre.run_host(image, out)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            pre.run_host(image, out)
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.strip().split('\n\n')[0])
    parser.add_argument('--repeat', type=int, default=100)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print('Machine: %s, Python %s, OpenCV %s, numpy %s; one thread; median of %d runs.\n'
          % (platform.processor() or platform.machine(), platform.python_version(),
             cv2.__version__, np.__version__, args.repeat))
    print('| frame | input | half_pixel (ms) | tf_legacy (ms) |')
    print('| --- | --- | --- | --- |')
    for width, height in SIZES:
        image = frame(width, height)
        for resize, dst_w, dst_h in TARGETS:
            ms = [median_ms(PreprocessSpec(width=dst_w, height=dst_h, resize=resize,
                                           sampling=sampling), image, args.repeat)
                  for sampling in ('half_pixel', 'tf_legacy')]
            print('| %dx%d | %s %dx%d | %.2f | %.2f |'
                  % (width, height, resize, dst_w, dst_h, ms[0], ms[1]))


if __name__ == '__main__':
    main()
