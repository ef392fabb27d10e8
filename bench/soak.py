# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Soak benchmark: detector_node under sustained overload, watching memory and latency drift.

    .venv/bin/python bench/soak.py [--minutes 5] [--overload 2] [--size 640x480]

Starts the detector_node executable (ONNX Runtime on the CPU unless --backend says otherwise)
with reliable image QoS, measures how many frames per second it detects, then publishes
`--overload` times that rate for `--minutes`.  Every minute it prints the rates sent, received
by the node and detected, the receipt-to-publish latency (p50/p95, from the node's timing
topic) and the node's resident memory; at the end it compares the later half of the minutes
with the earlier (medians) and exits 1 when memory grew by more than --max-rss-growth-mb or
the median latency by more than --max-latency-growth (a fraction).  Prints markdown for
docs/benchmarks.md.
"""

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# As in test/conftest.py: a private DDS domain on the loopback, and (below, once the package
# is imported) the Fast DDS profile that delivers large images.
os.environ.setdefault('ROS_DOMAIN_ID', str(random.SystemRandom().randint(1, 101)))
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')

import cv2  # noqa: E402
from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402
import rclpy  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_msgs.msg import Float64MultiArray  # noqa: E402

from trt_perception.fastdds_profile import profile_environment  # noqa: E402
from trt_perception.ros.camera_stream import TIMING_FIELDS  # noqa: E402
from trt_perception.ros.image_conversion import array_to_image  # noqa: E402

TOTAL = TIMING_FIELDS.index('total_ms')

os.environ.update(profile_environment(os.environ))


def rss_mb(pid: int, field: str = 'VmRSS') -> float:
    """Return the resident memory of process `pid` in MB (`field`: VmRSS now, VmHWM peak)."""
    with open('/proc/%d/status' % pid) as status:
        for line in status:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError('no %s in /proc/%d/status' % (field, pid))


class Load:
    """Publishes one frame at a set rate and collects the node's timing messages."""

    def __init__(self, node, namespace: str, frame: Image) -> None:
        """Publish `frame` on <namespace>/image; listen on <namespace>/detections/timing."""
        self._publisher = node.create_publisher(Image, namespace + '/image', 10)
        node.create_subscription(Float64MultiArray, namespace + '/detections/timing',
                                 self._on_timing, 100)
        node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 10)
        self._hardware_id = namespace + '/detector_node'
        self.camera = {}
        self._frame = frame
        self._clock = node.get_clock()
        self._lock = threading.Lock()
        self._totals: List[float] = []
        self.sent = 0
        self.rate = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _on_timing(self, msg: Float64MultiArray) -> None:
        with self._lock:
            self._totals.append(msg.data[TOTAL])

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.hardware_id == self._hardware_id and status.name.endswith('camera image'):
                self.camera = {kv.key: kv.value for kv in status.values}

    def take(self) -> List[float]:
        """Return and forget the total latencies (ms) received since the last call."""
        with self._lock:
            totals, self._totals = self._totals, []
        return totals

    def _run(self) -> None:
        next_time = time.monotonic()
        while not self._stop.is_set():
            if self.rate <= 0:
                next_time = time.monotonic()
                self._stop.wait(0.05)
                continue
            now = time.monotonic()
            if now < next_time:
                self._stop.wait(next_time - now)
                continue
            self._frame.header.stamp = self._clock.now().to_msg()
            self._publisher.publish(self._frame)
            self.sent += 1
            next_time = max(next_time + 1.0 / self.rate, now - 1.0)

    def stop(self) -> None:
        """Stop publishing."""
        self._stop.set()
        self._thread.join()


def percentile(values: List[float], q: float) -> float:
    """Return the nearest-rank value below which q % (0..100) of `values` lie; NaN if none."""
    if not values:
        return float('nan')
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100.0 * (len(ordered) - 1))))]


def main(argv: Optional[List[str]] = None) -> int:
    """Run the soak; return 0 when memory and latency held, 1 when they drifted."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--minutes', type=float, default=5.0)
    parser.add_argument('--overload', type=float, default=2.0,
                        help='input rate as a multiple of the measured detection rate')
    parser.add_argument('--size', default='640x480', help='frame size, WIDTHxHEIGHT')
    parser.add_argument('--backend', default='onnxruntime')
    parser.add_argument('--model', default='')
    parser.add_argument('--max-rss-growth-mb', type=float, default=50.0)
    parser.add_argument('--max-latency-growth', type=float, default=0.5)
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split('x'))
    from skimage import data
    frame = array_to_image(cv2.resize(data.astronaut(), (width, height)), 'rgb8')

    namespace = '/soak_%d' % os.getpid()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p))
    log = tempfile.NamedTemporaryFile('w+', prefix='soak-node-', suffix='.log', delete=False)
    command = [sys.executable, '-m', 'trt_perception.ros.detector_node', '--ros-args',
               '-r', '__ns:=' + namespace, '-p', 'backend:=' + args.backend,
               # Best-effort delivery of large frames loses most of them on a loaded machine;
               # reliable delivery brings the overload to the node, whose mailbox drops it.
               '-p', 'qos_reliability:=reliable']
    if args.model:
        command += ['-p', 'model:=' + args.model]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    rclpy.init()
    node = rclpy.create_node('soak_load')
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    load = Load(node, namespace, frame)
    rows = []
    try:
        # Capacity: publish far faster than any CPU detects, count what comes out.
        load.rate = 200.0
        deadline = time.monotonic() + 120
        while not load.take() and time.monotonic() < deadline:
            time.sleep(0.5)
            if process.poll() is not None:
                raise RuntimeError('detector_node exited; see %s' % log.name)
        time.sleep(5)
        load.take()
        start = time.monotonic()
        time.sleep(20)
        capacity = len(load.take()) / (time.monotonic() - start)
        load.rate = args.overload * capacity
        print('capacity %.1f fps; soaking at %.1f fps (%.1fx) for %.1f min with %dx%d rgb8'
              % (capacity, load.rate, args.overload, args.minutes, width, height))
        sent = load.sent
        received = int(load.camera.get('frames_received', 0))
        minute_start = time.monotonic()
        end = minute_start + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(max(0.0, min(60.0, end - time.monotonic())))
            now = time.monotonic()
            totals = load.take()
            span = now - minute_start
            now_received = int(load.camera.get('frames_received', 0))
            rows.append((len(rows) + 1, (load.sent - sent) / span,
                         (now_received - received) / span, len(totals) / span,
                         percentile(totals, 50), percentile(totals, 95), rss_mb(process.pid)))
            received = now_received
            print('minute %d: sent %.1f fps, node received %.1f fps, detected %.1f fps, total '
                  'p50 %.1f ms p95 %.1f ms, RSS %.0f MB' % rows[-1])
            sent, minute_start = load.sent, now
            if process.poll() is not None:
                raise RuntimeError('detector_node exited; see %s' % log.name)
        peak = rss_mb(process.pid, 'VmHWM')
    finally:
        load.stop()
        process.terminate()
        process.wait(60)
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown()
    # Drift is the second half of the minutes against the first (medians), so that one noisy
    # minute on a shared machine is not read as a trend.
    half = len(rows) // 2
    early, late = rows[:max(1, half)], rows[half:]
    rss_growth = (statistics.median(row[6] for row in late)
                  - statistics.median(row[6] for row in early))
    latency_growth = (statistics.median(row[4] for row in late)
                      / statistics.median(row[4] for row in early) - 1.0)
    held = rss_growth <= args.max_rss_growth_mb and latency_growth <= args.max_latency_growth
    print()
    print('%s, %d cores, Python %s; backend %s; %dx%d rgb8 at %.1fx the %.1f fps capacity'
          % (platform.processor() or platform.machine(), os.cpu_count(),
             platform.python_version(), args.backend, width, height, args.overload, capacity))
    print()
    print('| minute | sent fps | received fps | detected fps | total p50 (ms) | total p95 (ms) '
          '| RSS (MB) |')
    print('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for row in rows:
        print('| %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f |' % row)
    print()
    print('RSS %+.1f MB (limit %.0f), median latency %+.0f%% (limit %+.0f%%), peak RSS %.0f MB: '
          '%s' % (rss_growth, args.max_rss_growth_mb, 100 * latency_growth,
                  100 * args.max_latency_growth, peak, 'held' if held else 'DRIFTED'))
    median_out = statistics.median(row[3] for row in rows)
    print('frames detected per second over the soak (median of minutes): %.1f' % median_out)
    return 0 if held else 1


if __name__ == '__main__':
    sys.exit(main())
