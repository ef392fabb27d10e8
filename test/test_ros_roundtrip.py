# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Images and detections cross real rclpy/DDS (Fast DDS) intact, in one process."""

import time
import uuid

import numpy as np
import pytest
from ros_imports import ros_imports

with ros_imports():
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image
    from vision_msgs.msg import Detection2D, Detection2DArray, ObjectHypothesisWithPose

RELIABLE = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
TIMEOUT_S = 20.0


def _rng():
    seed = np.random.SeedSequence().entropy
    return seed, np.random.default_rng(seed)


@pytest.fixture
def ros_pair():
    """Two nodes on a private rclpy Context, spun by one executor."""
    context = rclpy.Context()
    rclpy.init(context=context)
    sender = rclpy.create_node('roundtrip_sender', context=context)
    receiver = rclpy.create_node('roundtrip_receiver', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(sender)
    executor.add_node(receiver)
    try:
        yield sender, receiver, executor
    finally:
        executor.shutdown()
        sender.destroy_node()
        receiver.destroy_node()
        rclpy.shutdown(context=context)


def _send_until_received(ros_pair, msg_type, message, qos):
    """Publish `message` until the subscriber has one (best effort may drop some); return it."""
    sender, receiver, executor = ros_pair
    topic = 'roundtrip_' + uuid.uuid4().hex
    received = []
    receiver.create_subscription(msg_type, topic, received.append, qos)
    publisher = sender.create_publisher(msg_type, topic, qos)
    deadline = time.monotonic() + TIMEOUT_S
    while publisher.get_subscription_count() < 1:
        assert time.monotonic() < deadline, 'subscriber on %s never matched' % topic
        executor.spin_once(timeout_sec=0.05)
    while not received:
        assert time.monotonic() < deadline, 'nothing arrived on %s in %.0f s' % (
            topic, TIMEOUT_S)
        publisher.publish(message)
        executor.spin_once(timeout_sec=0.1)
    return received[0]


def _flatten(message, prefix=''):
    """Map every leaf field of a ROS message to its value, keyed by its dotted path."""
    if not hasattr(message, 'get_fields_and_field_types'):
        if isinstance(message, (list, tuple)):
            items = {}
            for index, item in enumerate(message):
                items.update(_flatten(item, '%s[%d]' % (prefix, index)))
            return items
        if hasattr(message, 'tobytes'):  # array.array and numpy fields compare as bytes
            return {prefix: message.tobytes()}
        return {prefix: message}
    fields = {}
    for name in message.get_fields_and_field_types():
        fields.update(_flatten(getattr(message, name), prefix + '.' + name if prefix else name))
    return fields


def _image(rng, height, width):
    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    message = Image()
    message.header.stamp.sec = int(rng.integers(1, 2 ** 31))
    message.header.stamp.nanosec = int(rng.integers(0, 10 ** 9))
    message.header.frame_id = 'camera_%d' % rng.integers(1000)
    message.height = height
    message.width = width
    message.encoding = 'bgr8'
    message.is_bigendian = 0
    message.step = width * 3
    message.data = pixels.tobytes()
    return pixels, message


@pytest.mark.parametrize('height, width, qos', [
    (480, 640, RELIABLE),
    (1080, 1920, qos_profile_sensor_data),
], ids=['640x480-reliable', '1920x1080-best-effort'])
def test_image_roundtrip(ros_pair, height, width, qos):
    seed, rng = _rng()
    pixels, sent = _image(rng, height, width)

    received = _send_until_received(ros_pair, Image, sent, qos)

    assert _flatten(received) == _flatten(sent), 'seed %d' % seed
    decoded = np.frombuffer(bytes(received.data), dtype=np.uint8).reshape(
        received.height, received.step // 3, 3)
    np.testing.assert_array_equal(decoded, pixels, err_msg='seed %d' % seed)


def _detections(rng, count):
    message = Detection2DArray()
    message.header.stamp.sec = int(rng.integers(1, 2 ** 31))
    message.header.stamp.nanosec = int(rng.integers(0, 10 ** 9))
    message.header.frame_id = 'camera_optical'
    for index in range(count):
        detection = Detection2D()
        detection.header = message.header
        detection.id = 'track-%d' % index
        detection.bbox.center.position.x = float(rng.uniform(0, 1920))
        detection.bbox.center.position.y = float(rng.uniform(0, 1080))
        detection.bbox.center.theta = float(rng.uniform(-np.pi, np.pi))
        detection.bbox.size_x = float(rng.uniform(1, 500))
        detection.bbox.size_y = float(rng.uniform(1, 500))
        for _ in range(int(rng.integers(1, 4))):
            hypothesis = ObjectHypothesisWithPose()
            hypothesis.hypothesis.class_id = str(rng.integers(0, 80))
            hypothesis.hypothesis.score = float(rng.uniform(0, 1))
            pose = hypothesis.pose.pose
            pose.position.x, pose.position.y, pose.position.z = rng.normal(size=3).tolist()
            quaternion = rng.normal(size=4)
            quaternion /= np.linalg.norm(quaternion)
            (pose.orientation.x, pose.orientation.y, pose.orientation.z,
             pose.orientation.w) = quaternion.tolist()
            hypothesis.pose.covariance = rng.normal(size=36)
            detection.results.append(hypothesis)
        message.detections.append(detection)
    return message


def test_detection2darray_roundtrip(ros_pair):
    seed, rng = _rng()
    sent = _detections(rng, count=int(rng.integers(3, 8)))

    received = _send_until_received(ros_pair, Detection2DArray, sent, RELIABLE)

    assert _flatten(received) == _flatten(sent), 'seed %d' % seed
    assert received == sent, 'seed %d' % seed
    assert len(received.detections) == len(sent.detections)
