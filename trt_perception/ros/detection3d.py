# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Detection3DArray of the depth stage's boxes, for both vision_msgs layouts.

The class and score go where `VisionMsgsLayout` puts them (``hypothesis.class_id`` in 4.x,
``id`` in 2.x/3.x).  A track id goes in ``Detection3D.id`` (3.x, 4.x) or in
``tracking_id`` with ``is_tracking`` set (2.x, Foxy); which one is decided once, from the
installed message's fields.  Boxes are axis-aligned in the depth camera's optical frame.
"""

import importlib
from typing import Any, Callable, Sequence

from trt_perception.core.detection import Detection
from trt_perception.ros.vision_msgs_compat import VisionMsgsLayout


def _set_track_id(item, track_id: int) -> None:
    item.id = str(track_id)


def _set_tracking_id_2(item, track_id: int) -> None:
    item.is_tracking = True
    item.tracking_id = str(track_id)


class Detection3DLayout:
    """Builds Detection3DArray messages in the layout the installed package has."""

    def __init__(self, messages: Any = None) -> None:
        """Inspect `messages` (a module like `vision_msgs.msg`, imported when None)."""
        if messages is None:
            messages = importlib.import_module('vision_msgs.msg')
        self._hypotheses = VisionMsgsLayout(messages)
        self.array_type = messages.Detection3DArray
        self._detection_type = messages.Detection3D
        self._result_type = messages.ObjectHypothesisWithPose
        detection_fields = self._detection_type.get_fields_and_field_types()
        if 'id' in detection_fields:
            self.track_layout = 'id'
            self._set_track: Callable = _set_track_id
        elif 'tracking_id' in detection_fields:
            self.track_layout = 'tracking_id'
            self._set_track = _set_tracking_id_2
        else:
            raise ImportError('vision_msgs Detection3D has fields %s; expected id (3.x, 4.x) '
                              'or tracking_id (2.x)' % sorted(detection_fields))

    def to_message(self, header, frame_id: str, detections: Sequence[Detection]):
        """
        Build a Detection3DArray of the detections that have a 3D box.

        Its header (and every detection's) has `header`'s stamp, the colour frame's, and
        `frame_id`, the depth camera_info's frame.
        """
        stamped = type(header)(stamp=header.stamp, frame_id=frame_id)
        array = self.array_type(header=stamped)
        for det in detections:
            box = det.box3d
            if box is None:
                continue
            item = self._detection_type(header=stamped)
            center = item.bbox.center
            center.position.x, center.position.y, center.position.z = box.center
            center.orientation.w = 1.0
            item.bbox.size.x, item.bbox.size.y, item.bbox.size.z = box.size
            result = self._result_type()
            self._hypotheses.fill_hypothesis(result, det.label, float(det.score))
            result.pose.pose.position.x, result.pose.pose.position.y, \
                result.pose.pose.position.z = box.center
            result.pose.pose.orientation.w = 1.0
            item.results.append(result)
            if det.track_id is not None:
                self._set_track(item, det.track_id)
            array.detections.append(item)
        return array
