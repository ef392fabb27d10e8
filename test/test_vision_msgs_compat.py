# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Tests for building and reading Detection2DArray in both vision_msgs layouts.

The 4.x layout is tested with the real vision_msgs messages; 2.x/3.x (Foxy/Galactic) cannot
be installed here, so `FakeVisionMsgs2` mirrors their field layout (from their .msg files)
to check that the layout is detected and filled; it proves nothing about real 2.x messages.
"""

import dataclasses
import types

import numpy as np
import pytest
from ros_imports import ros_imports

with ros_imports():
    import std_msgs.msg as std_msgs
    import vision_msgs.msg  # noqa: F401 (VisionMsgsLayout reads the real 4.x layout)

from trt_perception.core.detection import Detection
from trt_perception.ros.vision_msgs_compat import VisionMsgsLayout


def _detections(rng, count):
    out = []
    for _ in range(count):
        x1, y1 = rng.uniform(0, 500, 2)
        w, h = rng.uniform(1, 200, 2)
        class_id = int(rng.integers(0, 80))
        out.append(Detection(float(x1), float(y1), float(x1 + w), float(y1 + h),
                             float(rng.uniform(0, 1)), class_id, 'class%d' % class_id))
    return out


def _header():
    header = std_msgs.Header(frame_id='camera_optical')
    header.stamp.sec, header.stamp.nanosec = 1712345678, 987654321
    return header


def test_real_messages_use_the_4x_layout(rng):
    layout = VisionMsgsLayout()
    assert (layout.hypothesis_layout, layout.center_layout) == (
        'hypothesis.class_id', 'center.position')
    dets = _detections(rng, int(rng.integers(1, 20)))
    msg = layout.to_message(_header(), dets)
    assert msg.header == _header()
    assert len(msg.detections) == len(dets)
    for det, item in zip(dets, msg.detections):
        assert item.header == _header()
        assert item.bbox.center.position.x == pytest.approx((det.x1 + det.x2) / 2)
        assert item.bbox.center.position.y == pytest.approx((det.y1 + det.y2) / 2)
        assert item.bbox.size_x == pytest.approx(det.x2 - det.x1)
        assert item.bbox.size_y == pytest.approx(det.y2 - det.y1)
        assert item.results[0].hypothesis.class_id == det.label
        assert item.results[0].hypothesis.score == pytest.approx(det.score)
    back = layout.from_message(msg)
    for det, hyp in zip(dets, back):
        assert hyp.class_id == det.label
        np.testing.assert_allclose([hyp.x1, hyp.y1, hyp.x2, hyp.y2], det.box, atol=1e-9)


def test_empty_detections_still_carry_the_header():
    msg = VisionMsgsLayout().to_message(_header(), [])
    assert msg.header == _header() and len(msg.detections) == 0


class FakePoint:

    def __init__(self):
        self.x = 0.0
        self.y = 0.0
        self.theta = 0.0


class FakeBoundingBox2D:
    """vision_msgs 2.x/3.x BoundingBox2D: geometry_msgs/Pose2D center (x, y, theta)."""

    def __init__(self):
        self.center = FakePoint()
        self.size_x = 0.0
        self.size_y = 0.0


class FakeObjectHypothesisWithPose:
    """vision_msgs 2.x: string id, float64 score, pose (3.0 nested them in hypothesis)."""

    def __init__(self):
        self.id = ''
        self.score = 0.0

    @staticmethod
    def get_fields_and_field_types():
        return {'id': 'string', 'score': 'double',
                'pose': 'geometry_msgs/PoseWithCovariance'}


class FakeDetection2D:
    """vision_msgs 2.x Detection2D: results, bbox, source_img, is_tracking, tracking_id."""

    def __init__(self, header=None):
        self.header = header
        self.results = []
        self.bbox = FakeBoundingBox2D()
        self.is_tracking = False
        self.tracking_id = ''

    @staticmethod
    def get_fields_and_field_types():
        return {'header': 'std_msgs/Header', 'results': 'sequence<ObjectHypothesisWithPose>',
                'bbox': 'vision_msgs/BoundingBox2D', 'source_img': 'sensor_msgs/Image',
                'is_tracking': 'boolean', 'tracking_id': 'string'}


class FakeDetection2DArray:

    def __init__(self, header=None):
        self.header = header
        self.detections = []


FakeVisionMsgs2 = types.SimpleNamespace(
    Detection2DArray=FakeDetection2DArray, Detection2D=FakeDetection2D,
    ObjectHypothesisWithPose=FakeObjectHypothesisWithPose, BoundingBox2D=FakeBoundingBox2D)


def test_2x_layout_is_detected_and_filled(rng):
    layout = VisionMsgsLayout(FakeVisionMsgs2)
    assert (layout.hypothesis_layout, layout.center_layout) == ('id', 'center')
    dets = _detections(rng, 5)
    msg = layout.to_message('header', dets)
    for det, item in zip(dets, msg.detections):
        assert item.results[0].id == det.label
        assert item.results[0].score == pytest.approx(det.score)
        assert item.bbox.center.x == pytest.approx((det.x1 + det.x2) / 2)
    assert [h.class_id for h in layout.from_message(msg)] == [d.label for d in dets]


def _with_track_ids(detections):
    return [dataclasses.replace(d, track_id=None if i % 3 == 0 else 10 * i)
            for i, d in enumerate(detections)]


def test_track_ids_go_in_detection2d_id_in_the_4x_layout(rng):
    layout = VisionMsgsLayout()
    assert layout.track_id_layout == 'id'
    dets = _with_track_ids(_detections(rng, 7))
    msg = layout.to_message(_header(), dets)
    expected = ['' if d.track_id is None else str(d.track_id) for d in dets]
    assert [item.id for item in msg.detections] == expected
    assert [h.track_id for h in layout.from_message(msg)] == expected


def test_track_ids_go_in_tracking_id_in_the_2x_layout(rng):
    layout = VisionMsgsLayout(FakeVisionMsgs2)
    assert layout.track_id_layout == 'tracking_id'
    dets = _with_track_ids(_detections(rng, 7))
    msg = layout.to_message('header', dets)
    assert [(item.is_tracking, item.tracking_id) for item in msg.detections] == [
        (False, '') if d.track_id is None else (True, str(d.track_id)) for d in dets]
    assert [h.track_id for h in layout.from_message(msg)] == [
        '' if d.track_id is None else str(d.track_id) for d in dets]


def test_a_detection2d_without_a_track_id_field_is_refused():
    class Bare(FakeDetection2D):

        @staticmethod
        def get_fields_and_field_types():
            return {'header': 'std_msgs/Header', 'bbox': 'vision_msgs/BoundingBox2D'}

    bare = types.SimpleNamespace(**dict(vars(FakeVisionMsgs2), Detection2D=Bare))
    with pytest.raises(ImportError, match='tracking_id'):
        VisionMsgsLayout(bare)


def test_unknown_layout_is_refused():
    class Odd(FakeObjectHypothesisWithPose):

        @staticmethod
        def get_fields_and_field_types():
            return {'label': 'string'}

    odd = types.SimpleNamespace(**dict(vars(FakeVisionMsgs2), ObjectHypothesisWithPose=Odd))
    with pytest.raises(ImportError, match='hypothesis'):
        VisionMsgsLayout(odd)
