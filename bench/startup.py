# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Start-up of detector_node: seconds from launching it to its first diagnostics and detections.

The node runs as its own process on a private domain with the Fast DDS profile; this process
publishes a 640x480 frame at 10 Hz and listens.  Each run is a cold process start (Python, rclpy,
the model load)::

    python bench/startup.py [--runs 3] [-p backend:=onnxruntime ...]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from trt_perception.fastdds_profile import profile_environment  # noqa: E402


def measure(node_args: Sequence[str], timeout: float = 120.0) -> Dict[str, float]:
    """Start one detector_node process; return seconds to first diagnostics and detections."""
    import numpy as np
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from sensor_msgs.msg import Image
    from vision_msgs.msg import Detection2DArray
    rclpy.init()
    node = rclpy.create_node('startup_probe', namespace='/startup')
    seen: Dict[str, float] = {}
    start = time.monotonic()

    def first(key):
        return lambda msg: seen.setdefault(key, time.monotonic() - start)
    node.create_subscription(DiagnosticArray, '/diagnostics', first('diagnostics'), 10)
    node.create_subscription(Detection2DArray, 'detections', first('detections'), 10)
    camera = node.create_publisher(Image, 'image', 10)
    frame = Image(height=480, width=640, encoding='bgr8', step=640 * 3,
                  data=np.full((480, 640, 3), 128, np.uint8).tobytes())
    process = subprocess.Popen(
        [sys.executable, '-m', 'trt_perception.ros.detector_node', '--ros-args', '-r',
         '__ns:=/startup'] + list(node_args), env=dict(os.environ, PYTHONPATH=ROOT),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        next_frame = start
        while len(seen) < 2 and time.monotonic() - start < timeout:
            if time.monotonic() >= next_frame:
                frame.header.stamp = node.get_clock().now().to_msg()
                camera.publish(frame)
                next_frame += 0.1
            rclpy.spin_once(node, timeout_sec=0.02)
    finally:
        process.terminate()
        process.wait(20)
        node.destroy_node()
        rclpy.shutdown()
    return seen


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Measure `--runs` cold starts and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('-p', dest='parameters', action='append', default=[],
                        help='a node parameter, name:=value')
    args = parser.parse_args(argv)
    os.environ.update(profile_environment(os.environ))
    os.environ.setdefault('ROS_DOMAIN_ID', str(random.SystemRandom().randint(1, 101)))
    os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    node_args: List[str] = []
    for parameter in args.parameters:
        node_args += ['-p', parameter]
    runs = [measure(node_args) for _ in range(args.runs)]
    for key in ('diagnostics', 'detections'):
        values = [run[key] for run in runs if key in run]
        print('first %s: median %.1f s over %d runs (%s)' % (
            key, statistics.median(values) if values else float('nan'), len(values),
            ', '.join('%.1f' % v for v in values)))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
