# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Best-effort 1080p frames at 30 Hz from another process reach the node (the Fast DDS profile).

test/conftest.py points Fast DDS at config/fastdds_large_images.xml; without it, or with
``FASTDDS_BUILTIN_TRANSPORTS=LARGE_DATA``, almost none arrive (docs/benchmarks.md).
"""

import os
import subprocess
import sys

from ros_imports import ros_imports

with ros_imports():
    import rclpy  # noqa: F401 (the harness runs the node on rclpy)

from test_detector_node import Harness, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRAMES = 240


def test_best_effort_1080p_at_30_hz_reaches_the_node_from_another_process():
    ros = Harness()
    publisher = None
    try:
        node = ros.detector(image_topics=['cam/image'], qos_reliability='best_effort')
        topic = ros.namespace + '/cam/image'
        publisher = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, 'bench', 'dds_delivery.py'), 'publish',
             '--topic', topic, '--frames', str(FRAMES), '--rate', '30'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
        assert publisher.stdout.readline().startswith('matched')
        wait_for(lambda: node.count_publishers(topic) > 0, what='the node matching')
        publisher.stdin.write('go\n')
        publisher.stdin.flush()
        assert publisher.stdout.readline().startswith('sent')
        # The node counts every frame its subscription hands over, whether or not inference
        # keeps up (the mailbox then drops the older one, which is counted apart).
        ros.camera_status(node, 'cam/image',
                          lambda s, v: int(v['frames_received']) >= 0.95 * FRAMES, timeout=20)
    finally:
        if publisher is not None:
            publisher.communicate('done\n', timeout=20)
        ros.close()
