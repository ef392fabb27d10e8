# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Detection3DArray of 3D boxes in both vision_msgs layouts.

4.x is tested with the real messages (serialised and read back); the 2.x (Foxy) layout, which
cannot be installed here, with fakes mirroring its Detection3D fields (tracking_id,
is_tracking) from its .msg file: they prove the layout is detected and filled, nothing more.
"""

import types

import pytest
from ros_imports import ros_imports

with ros_imports():
    from rclpy.serialization import deserialize_message, serialize_message
    import std_msgs.msg as std_msgs
    from vision_msgs.msg import Detection3DArray

from test_vision_msgs_compat import FakeVisionMsgs2
from trt_perception.core.detection import Box3D, Detection
from trt_perception.ros.detection3d import Detection3DLayout

BOXES = [
    Detection(10.0, 20.0, 50.0, 90.0, 0.91, 0, 'person', track_id=7,
              box3d=Box3D((0.1, -0.2, 2.0), (0.5, 1.7, 0.3), 'depth_frame')),
    Detection(60.0, 20.0, 80.0, 40.0, 0.5, 2, 'car'),
    Detection(5.0, 5.0, 9.0, 9.0, 0.66, 56, 'chair',
              box3d=Box3D((-1.0, 0.4, 3.5), (0.6, 0.9, 0.0), 'depth_frame')),
]


def _header():
    header = std_msgs.Header(frame_id='camera_color_optical_frame')
    header.stamp.sec, header.stamp.nanosec = 1712345678, 987654321
    return header


def test_boxes_with_class_score_track_and_the_depth_frame():
    layout = Detection3DLayout()
    assert layout.track_layout == 'id'
    msg = layout.to_message(_header(), 'depth_frame', BOXES)
    msg = deserialize_message(serialize_message(msg), Detection3DArray)
    assert msg.header.stamp == _header().stamp and msg.header.frame_id == 'depth_frame'
    assert len(msg.detections) == 2  # the car has no 3D box
    for det, item in zip([BOXES[0], BOXES[2]], msg.detections):
        assert item.header == msg.header
        position = item.bbox.center.position
        assert (position.x, position.y, position.z) == pytest.approx(det.box3d.center)
        assert item.bbox.center.orientation.w == 1.0
        size = item.bbox.size
        assert (size.x, size.y, size.z) == pytest.approx(det.box3d.size)
        (result,) = item.results
        assert result.hypothesis.class_id == det.label
        assert result.hypothesis.score == pytest.approx(det.score)
        assert result.pose.pose.position.z == pytest.approx(det.box3d.center[2])
    assert [item.id for item in msg.detections] == ['7', '']


def test_no_boxes_still_carry_the_stamp():
    msg = Detection3DLayout().to_message(_header(), 'depth_frame', [BOXES[1]])
    assert msg.header.stamp == _header().stamp and len(msg.detections) == 0


class _Vector:

    def __init__(self):
        self.x = self.y = self.z = 0.0


class _Quaternion(_Vector):

    def __init__(self):
        super().__init__()
        self.w = 0.0


class _Pose:

    def __init__(self):
        self.position = _Vector()
        self.orientation = _Quaternion()


class FakeBoundingBox3D:

    def __init__(self):
        self.center = _Pose()
        self.size = _Vector()


class FakeDetection3D:
    """vision_msgs 2.x Detection3D: results, bbox, source_cloud, is_tracking, tracking_id."""

    def __init__(self, header=None):
        self.header = header
        self.results = []
        self.bbox = FakeBoundingBox3D()
        self.is_tracking = False
        self.tracking_id = ''

    @staticmethod
    def get_fields_and_field_types():
        return {'header': 'std_msgs/Header', 'results': 'sequence<ObjectHypothesisWithPose>',
                'bbox': 'vision_msgs/BoundingBox3D', 'source_cloud': 'sensor_msgs/PointCloud2',
                'is_tracking': 'boolean', 'tracking_id': 'string'}


class FakeResult2(FakeVisionMsgs2.ObjectHypothesisWithPose):
    """2.x ObjectHypothesisWithPose with its pose (PoseWithCovariance)."""

    def __init__(self):
        super().__init__()
        self.pose = types.SimpleNamespace(pose=_Pose())


class FakeDetection3DArray:

    def __init__(self, header=None):
        self.header = header
        self.detections = []


class FakeHeader:

    def __init__(self, stamp=None, frame_id=''):
        self.stamp = stamp
        self.frame_id = frame_id


def test_2x_layout_sets_tracking_id():
    messages = types.SimpleNamespace(**dict(
        vars(FakeVisionMsgs2), ObjectHypothesisWithPose=FakeResult2,
        Detection3D=FakeDetection3D, Detection3DArray=FakeDetection3DArray))
    layout = Detection3DLayout(messages)
    assert layout.track_layout == 'tracking_id'
    msg = layout.to_message(FakeHeader('t'), 'depth_frame', BOXES)
    first, second = msg.detections
    assert (first.is_tracking, first.tracking_id) == (True, '7')
    assert (second.is_tracking, second.tracking_id) == (False, '')
    assert (first.results[0].id, first.results[0].score) == ('person', 0.91)
    assert first.header.frame_id == 'depth_frame' and first.header.stamp == 't'


def test_unknown_layout_is_refused():
    class Odd(FakeDetection3D):

        @staticmethod
        def get_fields_and_field_types():
            return {'bbox': 'vision_msgs/BoundingBox3D'}

    messages = types.SimpleNamespace(**dict(vars(FakeVisionMsgs2), Detection3D=Odd,
                                            Detection3DArray=FakeDetection3DArray))
    with pytest.raises(ImportError, match='tracking_id'):
        Detection3DLayout(messages)
