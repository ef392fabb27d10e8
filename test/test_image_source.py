# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests of the image_source stand-in camera (folders, videos, the executable)."""

import os
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
from ros_imports import ros_imports

with ros_imports():
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import CompressedImage, Image

from trt_perception.ros.image_source import ImageSource
from trt_perception.ros.qos import image_qos

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_publishes_frames_with_headers_and_compressed_copies(photos):
    folder, images = photos
    namespace = '/src_' + uuid.uuid4().hex[:8]
    context = Context()
    rclpy.init(context=context)
    executor = MultiThreadedExecutor(context=context)
    peer = rclpy.create_node('peer', namespace=namespace, context=context)
    raw, compressed = [], []
    peer.create_subscription(Image, 'image', raw.append, image_qos('reliable', 10))
    peer.create_subscription(CompressedImage, 'image/compressed', compressed.append,
                             image_qos('reliable', 10))
    source = ImageSource(context=context, namespace=namespace, parameter_overrides=[
        Parameter('source', value=str(folder)), Parameter('rate', value=30.0),
        Parameter('encoding', value='rgb8'), Parameter('frame_id', value='test_optical'),
        Parameter('publish_compressed', value=True)])
    executor.add_node(peer)
    executor.add_node(source)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(raw) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        executor.shutdown(timeout_sec=5)
        thread.join(10)
        source.destroy_node()
        peer.destroy_node()
        rclpy.shutdown(context=context)
    assert len(raw) >= 8
    by_size = {(img.shape[1], img.shape[0]): name for name, img in images.items()}
    for msg in raw:
        assert msg.encoding == 'rgb8' and msg.header.frame_id == 'test_optical'
        name = by_size[(msg.width, msg.height)]
        pixels = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.width, 3)
        np.testing.assert_array_equal(pixels, images[name][:, :, ::-1])
    stamps = [(m.header.stamp.sec, m.header.stamp.nanosec) for m in raw]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    # The frames cycle through the folder in name order.
    order = [by_size[(m.width, m.height)] for m in raw]
    start = order.index('a.png')
    assert order[start:start + 3] == ['a.png', 'b.png', 'c.png']
    assert compressed and compressed[0].format == 'bgr8; jpeg compressed bgr8'
    stamps_raw = {m.header.stamp.sec * 10 ** 9 + m.header.stamp.nanosec for m in raw}
    assert any(c.header.stamp.sec * 10 ** 9 + c.header.stamp.nanosec in stamps_raw
               for c in compressed)


def _run(*args, timeout=60):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p))
    return subprocess.run([sys.executable, '-m', 'trt_perception.ros.image_source',
                           '--ros-args'] + list(args), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=timeout)


def test_executable_exits_after_the_last_frame_without_loop(photos):
    folder, _ = photos
    done = _run('-p', 'source:=%s' % (folder / 'a.png'), '-p', 'loop:=false',
                '-p', 'rate:=20.0', '--log-level', 'image_source:=debug')
    assert done.returncode == 0, done.stdout
    assert 'published a.png stamp=' in done.stdout
    assert 'published all 1 frames' in done.stdout


def test_executable_refuses_a_missing_source():
    done = _run('-p', 'source:=/no/such/folder')
    assert done.returncode == 1
    assert "source '/no/such/folder' does not exist" in done.stdout
