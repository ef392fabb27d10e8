# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""rviz markers of 3D boxes, built with the real visualization_msgs and serialised."""

import pytest
from ros_imports import ros_imports

with ros_imports():
    from rclpy.serialization import deserialize_message, serialize_message
    import std_msgs.msg as std_msgs
    from visualization_msgs.msg import Marker, MarkerArray

from trt_perception.core.annotate import colour_for
from trt_perception.core.detection import Box3D, Detection
from trt_perception.ros.markers import BoxMarkers, label_text, MIN_THICKNESS

PERSON = Detection(10.0, 20.0, 50.0, 90.0, 0.91, 0, 'person', track_id=7,
                   box3d=Box3D((0.1, -0.2, 2.0), (0.5, 1.7, 0.0), 'depth_frame'))
FLAT = Detection(1.0, 2.0, 3.0, 4.0, 0.5, 3, 'car')


def test_a_box_and_a_label_per_object_after_a_reset():
    header = std_msgs.Header(frame_id='camera_color_optical_frame')
    header.stamp.sec = 42
    msg = BoxMarkers(lifetime=1.5).to_message(header, 'depth_frame', '/camera', [PERSON, FLAT])
    msg = deserialize_message(serialize_message(msg), MarkerArray)
    reset, cube, text = msg.markers
    assert (reset.action, reset.ns) == (Marker.DELETEALL, '/camera')
    for marker in (cube, text):
        assert (marker.header.frame_id, marker.header.stamp.sec) == ('depth_frame', 42)
        assert (marker.lifetime.sec, marker.lifetime.nanosec) == (1, 500000000)
        assert marker.action == Marker.ADD and marker.ns == '/camera'
    assert (cube.type, cube.id, text.type, text.id) == (Marker.CUBE, 0, Marker.TEXT_VIEW_FACING, 1)
    assert (cube.pose.position.x, cube.pose.position.y, cube.pose.position.z) == pytest.approx(
        PERSON.box3d.center)
    assert (cube.scale.x, cube.scale.y, cube.scale.z) == pytest.approx((0.5, 1.7, MIN_THICKNESS))
    blue, green, red = colour_for(0)
    assert (cube.color.r, cube.color.g, cube.color.b) == pytest.approx(
        (red / 255, green / 255, blue / 255), abs=1e-6)
    assert 0 < cube.color.a < 1 and text.color.a == 1
    assert text.pose.position.y < PERSON.box3d.center[1] - 1.7 / 2  # above: y points down
    assert text.text == 'person 0.91 #7 2.00 m'


def test_label_text_without_track_or_depth():
    assert label_text(FLAT) == 'car 0.50'
