# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Cost of the depth stage per frame: pairing plus a 3D box for each detection.

    .venv/bin/python bench/depth3d.py [--repeat 50]

A scene of plates in front of a wall is ray-cast (test/depth_scene.py) at each depth size,
with 5% holes and 1% outliers; the colour frame has the depth's size.  Detections are boxes
of 3 to 25% of the image width, with and without an elliptical mask.  Prints a markdown
table of the median, 90th-percentile and least milliseconds per frame, and the machine.
"""

import argparse
import os
import platform
import subprocess
import sys
import time
from typing import List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, 'test')):
    if path not in sys.path:
        sys.path.insert(0, path)

from depth_scene import encode, Plate, render, spoil  # noqa: E402
import numpy as np  # noqa: E402
from trt_perception.core.depth.image import DepthImage  # noqa: E402
from trt_perception.core.depth.intrinsics import CameraIntrinsics  # noqa: E402
from trt_perception.core.depth.settings import DepthSettings  # noqa: E402
from trt_perception.core.depth.stage import DepthStage  # noqa: E402
from trt_perception.core.detection import Detection, InstanceMask  # noqa: E402
from trt_perception.core.stages import FrameInfo  # noqa: E402


def make_detections(rng: np.random.Generator, count: int, width: int, height: int,
                    masks: bool) -> List[Detection]:
    """Return `count` random boxes of 3 to 25% of the width, with elliptical masks if asked."""
    out = []
    for index in range(count):
        w = rng.uniform(0.03, 0.25) * width
        h = min(w * rng.uniform(0.5, 2.0), height - 2.0)
        x1, y1 = rng.uniform(0, width - w - 1), rng.uniform(0, height - h - 1)
        mask = None
        if masks:
            x0, y0 = int(x1), int(y1)
            rows, cols = int(np.ceil(y1 + h)) - y0 + 1, int(np.ceil(x1 + w)) - x0 + 1
            v, u = np.ogrid[:rows, :cols]
            mask = InstanceMask(x0, y0, ((u - cols / 2) / (cols / 2)) ** 2
                                + ((v - rows / 2) / (rows / 2)) ** 2 <= 1.0)
        out.append(Detection(x1, y1, x1 + w, y1 + h, 0.9, index % 80, 'c', mask=mask))
    return out


def main() -> None:
    """Time the stage for each depth size, detection count, encoding and mask choice."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--repeat', type=int, default=50, help='frames timed per case')
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for width, height in ((640, 480), (1280, 720)):
        k = CameraIntrinsics(0.9 * width, 0.9 * width, (width - 1) / 2, (height - 1) / 2,
                             width, height, 'depth')
        plates = [Plate((rng.uniform(-1, 1), rng.uniform(-0.6, 0.6), rng.uniform(1, 3.5)),
                        rng.uniform(0.2, 0.8), rng.uniform(0.2, 1.2)) for _ in range(8)]
        metres = spoil(render(k, plates)[0], rng)
        for encoding in ('16UC1', '32FC1'):
            depth = DepthImage.from_array(encode(metres, encoding))
            for count in (10, 50):
                for masks in (False, True):
                    detections = make_detections(rng, count, width, height, masks)
                    stage = DepthStage(DepthSettings(topics=('depth',)))
                    stage.set_camera_info('cam', k)
                    times = []
                    for index in range(args.repeat + 3):
                        stage.add_depth('cam', float(index), depth)
                        start = time.perf_counter()
                        stage.process(FrameInfo('cam', float(index), width, height), detections)
                        times.append((time.perf_counter() - start) * 1000.0)
                    times = times[3:]
                    rows.append('| %dx%d | %s | %d | %s | %.2f | %.2f | %.2f |' % (
                        width, height, encoding, count, 'mask' if masks else 'box',
                        float(np.median(times)), float(np.percentile(times, 90)),
                        min(times)))
    # The minimum is the figure least disturbed by other processes on a shared machine.
    print('| depth | encoding | detections | region | median ms | p90 ms | min ms |')
    print('|---|---|---|---|---|---|---|')
    print('\n'.join(rows))
    load = subprocess.run(['uptime'], stdout=subprocess.PIPE, universal_newlines=True).stdout
    print('\n%s, %d CPUs, Python %s, numpy %s; %s' % (
        platform.processor() or platform.machine(), os.cpu_count() or 0,
        platform.python_version(), np.__version__, load.strip()))


if __name__ == '__main__':
    main()
