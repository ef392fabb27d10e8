# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Depth Image and CameraInfo messages <-> the depth stage's types, with real messages."""

import numpy as np
import pytest
from ros_imports import ros_imports

with ros_imports():
    from rclpy.serialization import deserialize_message, serialize_message
    from sensor_msgs.msg import CameraInfo, Image
    import std_msgs.msg as std_msgs

from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.image import ImageFormatError
from trt_perception.ros.depth_conversion import (camera_info_to_intrinsics, depth_to_image,
                                                 image_to_depth, intrinsics_to_camera_info)

K = CameraIntrinsics(615.0, 614.0, 321.5, 238.25, 640, 480, 'camera_depth_optical_frame')


@pytest.mark.parametrize('dtype', [np.uint16, np.float32])
def test_depth_arrays_survive_a_message_round_trip(rng, dtype):
    array = (rng.uniform(0, 5000, (48, 64))).astype(dtype)
    msg = deserialize_message(serialize_message(depth_to_image(array, std_msgs.Header())),
                              Image)
    depth = image_to_depth(msg)
    assert depth.encoding == ('16UC1' if dtype == np.uint16 else '32FC1')
    np.testing.assert_array_equal(depth.data, array)


def test_a_big_endian_message_with_row_padding(rng):
    values = rng.integers(0, 65535, (3, 5)).astype('>u2')
    padded = np.zeros((3, 12), np.uint8)
    padded[:, :10] = values.view(np.uint8).reshape(3, 10)
    msg = Image(height=3, width=5, encoding='16UC1', is_bigendian=1, step=12,
                data=padded.tobytes())
    np.testing.assert_array_equal(image_to_depth(msg).data, values.astype(np.uint16))


def test_bad_depth_messages_are_refused():
    msg = Image(height=2, width=2, encoding='bgr8', step=6, data=bytes(12))
    with pytest.raises(ImageFormatError, match='16UC1'):
        image_to_depth(msg)
    msg = Image(height=2, width=2, encoding='16UC1', step=4, data=bytes(7))
    with pytest.raises(ImageFormatError) as caught:
        image_to_depth(msg)
    assert caught.value.reason == 'data_too_short'


def test_camera_info_round_trip():
    msg = deserialize_message(serialize_message(intrinsics_to_camera_info(K)), CameraInfo)
    assert camera_info_to_intrinsics(msg) == K


def test_an_uncalibrated_camera_info_is_refused():
    with pytest.raises(ValueError, match='uncalibrated'):
        camera_info_to_intrinsics(CameraInfo(width=640, height=480))


def test_region_of_interest_and_binning_describe_the_smaller_image():
    msg = intrinsics_to_camera_info(K)
    msg.roi.x_offset, msg.roi.y_offset, msg.roi.width, msg.roi.height = 100, 40, 320, 240
    roi = camera_info_to_intrinsics(msg)
    assert (roi.cx, roi.cy, roi.width, roi.height, roi.fx) == (221.5, 198.25, 320, 240, 615.0)
    msg = intrinsics_to_camera_info(K)
    msg.binning_x = msg.binning_y = 2
    assert camera_info_to_intrinsics(msg) == K.scaled(320, 240)
