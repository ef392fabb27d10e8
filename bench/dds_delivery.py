# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Best-effort bgr8 image delivery between two processes over Fast DDS, with and without the profile.

The profile is config/fastdds_large_images.xml; without it, FASTDDS_BUILTIN_TRANSPORTS=LARGE_DATA.
For each size (640x480, 1280x720, 1920x1080) and set-up, a subscriber process and a publisher
process start on a private ROS domain; once each has matched the other, the publisher sends
`--frames` frames at `--rate` Hz (keep-last 1, best effort: what camera drivers do), and the
subscriber reports how many arrived and their latency (publish stamp to callback, one
clock)::

    python bench/dds_delivery.py [--frames 240] [--rate 30]

`publish` and `subscribe` run one side each (test/test_dds_delivery.py uses `publish`).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from trt_perception.fastdds_profile import profile_environment  # noqa: E402

SIZES = ((640, 480), (1280, 720), (1920, 1080))
SETUPS = ('LARGE_DATA', 'profile')


def _qos():
    from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                      reliability=ReliabilityPolicy.BEST_EFFORT)


def _wait_for(node, condition, timeout: float) -> bool:
    import rclpy
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        rclpy.spin_once(node, timeout_sec=0.05)
    return True


def publish(topic: str, width: int, height: int, frames: int, rate: float,
            match_timeout: float = 30.0) -> int:
    """Publish `frames` bgr8 images once a subscriber matched; return how many were sent."""
    import numpy as np
    import rclpy
    from sensor_msgs.msg import Image
    rclpy.init()
    node = rclpy.create_node('delivery_publisher')
    publisher = node.create_publisher(Image, topic, _qos())
    try:
        if not _wait_for(node, lambda: publisher.get_subscription_count() > 0, match_timeout):
            raise SystemExit('no subscriber on %s within %.0f s' % (topic, match_timeout))
        print('matched', flush=True)
        # Waits for the other side to match this publisher too (a line on stdin) when run
        # by the benchmark; the test starts publishing once the node has matched.
        if not sys.stdin.isatty():
            sys.stdin.readline()
        pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), np.uint8)
        msg = Image(height=height, width=width, encoding='bgr8', step=width * 3,
                    data=pixels.tobytes())
        start = time.monotonic()
        for index in range(frames):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            msg.header.stamp = node.get_clock().now().to_msg()
            msg.header.frame_id = str(index)
            publisher.publish(msg)
        print('sent %d' % frames, flush=True)
        # Best effort keeps nothing for a late reader: stay up until the subscriber says it
        # has what will come.
        if not sys.stdin.isatty():
            sys.stdin.readline()
        return frames
    finally:
        node.destroy_node()
        rclpy.shutdown()


def subscribe(topic: str) -> Dict[str, float]:
    """Count frames on `topic` until a line arrives on stdin; print and return the figures."""
    import rclpy
    from sensor_msgs.msg import Image
    rclpy.init()
    node = rclpy.create_node('delivery_subscriber')
    latencies: List[float] = []

    def on_image(msg) -> None:
        now = node.get_clock().now().nanoseconds
        stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
        latencies.append((now - stamp) / 1e6)

    node.create_subscription(Image, topic, on_image, _qos())
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    try:
        _wait_for(node, lambda: node.count_publishers(topic) > 0, 30.0)
        print('matched', flush=True)
        while not stop.is_set():
            rclpy.spin_once(node, timeout_sec=0.05)
    finally:
        node.destroy_node()
        rclpy.shutdown()
    latencies.sort()
    figures = {'received': len(latencies),
               'p50_ms': latencies[len(latencies) // 2] if latencies else float('nan')}
    print(json.dumps(figures), flush=True)
    return figures


def setup_environment(setup: str, domain: int) -> Dict[str, str]:
    """Return the environment of both processes for a set-up: 'LARGE_DATA' or 'profile'."""
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain), ROS_AUTOMATIC_DISCOVERY_RANGE='LOCALHOST',
               PYTHONUNBUFFERED='1')
    for name in ('FASTDDS_BUILTIN_TRANSPORTS', 'FASTRTPS_DEFAULT_PROFILES_FILE',
                 'FASTDDS_DEFAULT_PROFILES_FILE'):
        env.pop(name, None)
    if setup == 'LARGE_DATA':
        env['FASTDDS_BUILTIN_TRANSPORTS'] = 'LARGE_DATA'
        return env
    return profile_environment(env)


def _start(role: Sequence[str], env: Dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, os.path.abspath(__file__)] + list(role), env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            universal_newlines=True)


def _expect(process: subprocess.Popen, word: str) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith(word):
        raise RuntimeError('expected %r, got %r' % (word, line))
    return line


def _say(process: subprocess.Popen) -> None:
    assert process.stdin is not None
    process.stdin.write('\n')
    process.stdin.flush()


def measure(width: int, height: int, setup: str, frames: int, rate: float) -> Dict[str, float]:
    """Run one subscriber and one publisher process; return the subscriber's figures."""
    env = setup_environment(setup, random.SystemRandom().randint(1, 101))
    size = ['--width', str(width), '--height', str(height)]
    subscriber = _start(['subscribe'], env)
    publisher = _start(['publish', '--frames', str(frames), '--rate', str(rate)] + size, env)
    try:
        _expect(publisher, 'matched')
        _expect(subscriber, 'matched')
        _say(publisher)
        _expect(publisher, 'sent')
        # The last frames may still be on their way: the figures come after a last spin.
        time.sleep(0.5)
        _say(subscriber)
        figures = json.loads(_expect(subscriber, '{'))
        _say(publisher)
    finally:
        for process in (publisher, subscriber):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
    return figures


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one side, or the whole table (the default)."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('role', nargs='?', default='table',
                        choices=('table', 'publish', 'subscribe'))
    parser.add_argument('--topic', default='image')
    parser.add_argument('--width', type=int, default=1920)
    parser.add_argument('--height', type=int, default=1080)
    parser.add_argument('--frames', type=int, default=240)
    parser.add_argument('--rate', type=float, default=30.0)
    args = parser.parse_args(argv)
    if args.role == 'publish':
        publish(args.topic, args.width, args.height, args.frames, args.rate)
        return 0
    if args.role == 'subscribe':
        subscribe(args.topic)
        return 0
    print('| size | transport | received | p50 latency |')
    print('|---|---|---|---|')
    for width, height in SIZES:
        for setup in SETUPS:
            figures = measure(width, height, setup, args.frames, args.rate)
            print('| %dx%d | %s | %d / %d | %s |' % (
                width, height, setup, figures['received'], args.frames,
                '%.1f ms' % figures['p50_ms'] if figures['received'] else '-'), flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
