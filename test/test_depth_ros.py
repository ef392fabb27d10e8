# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The depth path across real rclpy/DDS (Fast DDS), in one process.

A rendered scene's depth Image and CameraInfo are published and received as the node's
subscriptions will receive them, converted, fed to the depth stage with a perfect detector's
boxes, and the Detection3DArray and MarkerArray built from the result are published and
received again: the boxes land on the plates, in metres, in the depth camera's frame.
"""

from depth_scene import detections, encode, Plate, render, spoil
import numpy as np
import pytest
from ros_imports import ros_imports

with ros_imports():
    from rclpy.qos import qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image
    import std_msgs.msg as std_msgs
    from vision_msgs.msg import Detection3DArray
    from visualization_msgs.msg import Marker, MarkerArray

from test_ros_roundtrip import _send_until_received, ros_pair  # noqa: F401 (fixture)
from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.depth.settings import DepthSettings
from trt_perception.core.depth.stage import make_depth_stage
from trt_perception.core.stages import FrameInfo
from trt_perception.ros.depth_conversion import (camera_info_to_intrinsics, depth_to_image,
                                                 image_to_depth, intrinsics_to_camera_info)
from trt_perception.ros.detection3d import Detection3DLayout
from trt_perception.ros.markers import BoxMarkers

RELIABLE = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
K = CameraIntrinsics(600.0, 600.0, 319.5, 239.5, 640, 480, 'camera_depth_optical_frame')
PLATES = [Plate((0.0, 0.0, 2.0), 0.5, 0.8), Plate((-0.9, 0.2, 2.5), 0.4, 0.4)]


@pytest.mark.parametrize('encoding', ['16UC1', '32FC1'])
def test_depth_in_3d_boxes_out_over_dds(ros_pair, rng, encoding):  # noqa: F811
    half = K.scaled(320, 240)
    depth, _ = render(half, PLATES)
    _, seen = render(K, PLATES)
    header = std_msgs.Header(frame_id='camera_depth_optical_frame')
    header.stamp.sec, header.stamp.nanosec = 1712345678, 500000000
    image = _send_until_received(ros_pair, Image,
                                 depth_to_image(encode(spoil(depth, rng), encoding), header),
                                 qos_profile_sensor_data)
    info = _send_until_received(ros_pair, CameraInfo, intrinsics_to_camera_info(K, header),
                                RELIABLE)

    stage = make_depth_stage(DepthSettings(topics=('aligned_depth_to_color/image_raw',)))
    camera_key = '/camera/color/image_raw'
    stamp = image.header.stamp.sec + image.header.stamp.nanosec * 1e-9
    stage.add_depth(camera_key, stamp, image_to_depth(image))
    stage.set_camera_info(camera_key, camera_info_to_intrinsics(info))
    colour_header = std_msgs.Header(stamp=header.stamp, frame_id='camera_color_optical_frame')
    found = stage.process(FrameInfo(camera_key, stamp, 640, 480, colour_header.frame_id),
                          detections(K, PLATES, seen, masks=True))

    frame_id = stage.frame_id(camera_key)
    boxes = _send_until_received(
        ros_pair, Detection3DArray,
        Detection3DLayout().to_message(colour_header, frame_id, found), RELIABLE)
    assert boxes.header.frame_id == 'camera_depth_optical_frame'
    assert boxes.header.stamp == header.stamp
    for plate, item in zip(PLATES, boxes.detections):
        center, size = plate.true_box()
        position = item.bbox.center.position
        np.testing.assert_allclose([position.x, position.y, position.z], center, atol=0.01)
        np.testing.assert_allclose([item.bbox.size.x, item.bbox.size.y], size[:2], rtol=0.03)
    markers = _send_until_received(
        ros_pair, MarkerArray, BoxMarkers().to_message(colour_header, frame_id, camera_key,
                                                       found), RELIABLE)
    assert [m.type for m in markers.markers[1:]] == [Marker.CUBE, Marker.TEXT_VIEW_FACING] * 2
    assert markers.markers[1].pose.position.z == pytest.approx(2.0, abs=0.01)
    assert stage.health()['located'] == 2
