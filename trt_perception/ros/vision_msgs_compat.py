# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Detection2DArray for both vision_msgs layouts, chosen once from the installed messages.

vision_msgs 3.0 (Galactic) and later nest the class and score in
``ObjectHypothesisWithPose.hypothesis.{class_id, score}``; 2.x (Foxy) keeps
``ObjectHypothesisWithPose.{id, score}``.  4.0 (Humble and later) centres boxes on a
``vision_msgs/Pose2D`` (``center.position.{x, y}``); 2.x and 3.x on a ``geometry_msgs/Pose2D``
(``center.{x, y}``) (vision_msgs CHANGELOG, 3.0.0 and 4.0.0).  A track id goes in
``Detection2D.id`` (3.x and later) or in ``tracking_id`` with ``is_tracking`` set (2.x).
`VisionMsgsLayout` inspects the message classes' fields at construction and binds the
matching accessors, so nothing is decided per detection.
"""

from dataclasses import dataclass
import importlib
from typing import Any, Callable, List, Sequence, Tuple

from trt_perception.core.detection import Detection


@dataclass(frozen=True)
class Hypothesis:
    """A detection as read back from a message: class string, score and corner box."""

    class_id: str
    score: float
    x1: float
    y1: float
    x2: float
    y2: float
    track_id: str = ''
    """The detection's track id ('' when it has none)."""


def _set_hypothesis_4(result, class_id: str, score: float) -> None:
    result.hypothesis.class_id = class_id
    result.hypothesis.score = score


def _get_hypothesis_4(result) -> Tuple[str, float]:
    return result.hypothesis.class_id, result.hypothesis.score


def _set_hypothesis_2(result, class_id: str, score: float) -> None:
    result.id = class_id
    result.score = score


def _get_hypothesis_2(result) -> Tuple[str, float]:
    return result.id, result.score


def _set_track_id(item, track_id: str) -> None:
    item.id = track_id


def _get_track_id(item) -> str:
    return item.id


def _set_tracking_id_2(item, track_id: str) -> None:
    item.is_tracking = True
    item.tracking_id = track_id


def _get_tracking_id_2(item) -> str:
    return item.tracking_id if item.is_tracking else ''


def _set_center_4(bbox, x: float, y: float) -> None:
    bbox.center.position.x = x
    bbox.center.position.y = y


def _get_center_4(bbox) -> Tuple[float, float]:
    return bbox.center.position.x, bbox.center.position.y


def _set_center_2(bbox, x: float, y: float) -> None:
    bbox.center.x = x
    bbox.center.y = y


def _get_center_2(bbox) -> Tuple[float, float]:
    return bbox.center.x, bbox.center.y


# (fields the message must have, layout name, setter, getter), the first that fits wins.
Accessors = Tuple[str, Callable, Callable]
_HYPOTHESIS_LAYOUTS = (
    (('hypothesis',), 'hypothesis.class_id', _set_hypothesis_4, _get_hypothesis_4),
    (('id', 'score'), 'id', _set_hypothesis_2, _get_hypothesis_2),
)
_TRACK_ID_LAYOUTS = (
    (('id',), 'id', _set_track_id, _get_track_id),
    (('tracking_id', 'is_tracking'), 'tracking_id', _set_tracking_id_2, _get_tracking_id_2),
)


def _layout_of(message_type, name: str, layouts, expected: str) -> Accessors:
    """Return (layout, setter, getter) of the first of `layouts` whose fields the type has."""
    fields = message_type.get_fields_and_field_types()
    for needed, layout, setter, getter in layouts:
        if all(field in fields for field in needed):
            return layout, setter, getter
    raise ImportError('vision_msgs %s has fields %s; expected %s'
                      % (name, sorted(fields), expected))


class VisionMsgsLayout:
    """Builds and reads Detection2DArray messages in the layout the installed package has."""

    def __init__(self, messages: Any = None) -> None:
        """Inspect `messages` (a module like `vision_msgs.msg`, imported when None)."""
        if messages is None:
            messages = importlib.import_module('vision_msgs.msg')
        self.array_type = messages.Detection2DArray
        self._detection_type = messages.Detection2D
        self._result_type = messages.ObjectHypothesisWithPose
        self.hypothesis_layout, self._set_hypothesis, self._get_hypothesis = _layout_of(
            self._result_type, 'ObjectHypothesisWithPose', _HYPOTHESIS_LAYOUTS,
            'hypothesis (3.x/4.x) or id/score (2.x)')
        self.track_id_layout, self._set_track_id, self._get_track_id = _layout_of(
            self._detection_type, 'Detection2D', _TRACK_ID_LAYOUTS,
            'id (3.x and later) or is_tracking/tracking_id (2.x)')
        center = messages.BoundingBox2D().center
        if hasattr(center, 'position'):
            self.center_layout = 'center.position'
            self._set_center: Callable = _set_center_4
            self._get_center: Callable = _get_center_4
        else:
            self.center_layout = 'center'
            self._set_center = _set_center_2
            self._get_center = _get_center_2

    def to_message(self, header, detections: Sequence[Detection]):
        """
        Build a Detection2DArray with `header` on the array and on every detection.

        A detection's track id, where a tracker set one, goes out as its decimal text.
        """
        array = self.array_type(header=header)
        for det in detections:
            item = self._detection_type(header=header)
            self._set_center(item.bbox, (det.x1 + det.x2) / 2.0, (det.y1 + det.y2) / 2.0)
            item.bbox.size_x = float(det.x2 - det.x1)
            item.bbox.size_y = float(det.y2 - det.y1)
            if det.track_id is not None:
                self._set_track_id(item, str(det.track_id))
            result = self._result_type()
            self._set_hypothesis(result, det.label, float(det.score))
            item.results.append(result)
            array.detections.append(item)
        return array

    def from_message(self, array) -> List[Hypothesis]:
        """Read the best hypothesis of every detection, boxes back as corners, with track ids."""
        out = []
        for item in array.detections:
            if not item.results:
                continue
            class_id, score = self._get_hypothesis(item.results[0])
            cx, cy = self._get_center(item.bbox)
            half_w, half_h = item.bbox.size_x / 2.0, item.bbox.size_y / 2.0
            out.append(Hypothesis(class_id, score, cx - half_w, cy - half_h, cx + half_w,
                                  cy + half_h, self._get_track_id(item)))
        return out

    def fill_hypothesis(self, result, class_id: str, score: float) -> None:
        """Set an ObjectHypothesisWithPose's class and score (also for Detection3D results)."""
        self._set_hypothesis(result, class_id, score)
