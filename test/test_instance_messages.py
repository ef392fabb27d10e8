# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Instance mask images and keypoint messages, read back through serialisation."""

import numpy as np
from ros_imports import ros_imports

with ros_imports():
    from rclpy.serialization import deserialize_message, serialize_message
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header
    from trt_perception_msgs.msg import Keypoints2DArray

from trt_perception.core.detection import Detection, InstanceMask, Keypoints
from trt_perception.core.keypoints import COCO_SKELETON, KeypointLayout
from trt_perception.ros.instance_messages import instance_mask_image, keypoints_message


def _header():
    header = Header(frame_id='camera_optical')
    header.stamp.sec, header.stamp.nanosec = 12, 345
    return header


def _round_trip(msg, kind):
    return deserialize_message(serialize_message(msg), kind)


def _pixels(msg):
    dtype = np.dtype(np.uint8 if msg.encoding == 'mono8' else np.uint16)
    dtype = dtype.newbyteorder('>' if msg.is_bigendian else '<')
    return np.frombuffer(bytes(msg.data), dtype=dtype).reshape(msg.height, msg.step
                                                               // dtype.itemsize)


def test_instance_image_pixels_are_detection_indices_plus_one():
    masks = [InstanceMask(2, 1, np.ones((2, 3), bool)), None,
             InstanceMask(0, 3, np.array([[True, False]]))]
    detections = [Detection(0, 0, 1, 1, 0.9 - i / 10, 0, 'a', mask=m)
                  for i, m in enumerate(masks)]
    msg = _round_trip(instance_mask_image(detections, 6, 4, _header()), Image)
    assert (msg.encoding, msg.width, msg.height, msg.step) == ('mono8', 6, 4, 6)
    assert msg.header.frame_id == 'camera_optical' and msg.header.stamp.nanosec == 345
    expected = np.zeros((4, 6), np.uint8)
    expected[1:3, 2:5] = 1
    expected[3, 0] = 3
    np.testing.assert_array_equal(_pixels(msg), expected)


def test_many_detections_give_a_16_bit_image():
    pixel = np.ones((1, 1), bool)
    detections = [Detection(0, 0, 1, 1, 0.5, 0, 'a', mask=InstanceMask(i, 0, pixel))
                  for i in range(300)]
    msg = _round_trip(instance_mask_image(detections, 300, 1, _header()), Image)
    assert msg.encoding == '16UC1' and msg.step == 600
    assert _pixels(msg)[0].tolist() == list(range(1, 301))


def test_keypoints_are_index_aligned_with_the_detections():
    points = Keypoints(np.arange(34, dtype=np.float64).reshape(17, 2), np.linspace(0, 1, 17))
    detections = [Detection(0, 0, 1, 1, 0.9, 0, 'person', keypoints=points),
                  Detection(0, 0, 1, 1, 0.8, 1, 'bicycle')]
    msg = _round_trip(keypoints_message(detections, KeypointLayout(), _header()),
                      Keypoints2DArray)
    assert msg.header.stamp.sec == 12 and len(msg.detections) == 2
    assert msg.names[0] == 'nose' and len(msg.names) == 17
    assert list(msg.skeleton) == [i for pair in COCO_SKELETON for i in pair]
    first, second = msg.detections
    np.testing.assert_allclose(first.x, points.xy[:, 0])
    np.testing.assert_allclose(first.y, points.xy[:, 1])
    np.testing.assert_allclose(first.scores, points.scores, rtol=1e-6)
    assert len(second.x) == len(second.y) == len(second.scores) == 0


def test_other_layouts_have_no_names_and_no_skeleton():
    msg = keypoints_message([], KeypointLayout(5, 2), _header())
    assert list(msg.names) == [] and list(msg.skeleton) == [] and list(msg.detections) == []
