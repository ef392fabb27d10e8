# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Detection2DArray for both vision_msgs layouts, chosen once from the installed messages.

vision_msgs 3.0 (Galactic) and later nest the class and score in
``ObjectHypothesisWithPose.hypothesis.{class_id, score}``; 2.x (Foxy) keeps
``ObjectHypothesisWithPose.{id, score}``.  4.0 (Humble and later) centres boxes on a
``vision_msgs/Pose2D`` (``center.position.{x, y}``); 2.x and 3.x on a ``geometry_msgs/Pose2D``
(``center.{x, y}``) (vision_msgs CHANGELOG, 3.0.0 and 4.0.0).  `VisionMsgsLayout` inspects
the message classes' fields at construction and binds the matching accessors, so nothing is
decided per detection.
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


class VisionMsgsLayout:
    """Builds and reads Detection2DArray messages in the layout the installed package has."""

    def __init__(self, messages: Any = None) -> None:
        """Inspect `messages` (a module like `vision_msgs.msg`, imported when None)."""
        if messages is None:
            messages = importlib.import_module('vision_msgs.msg')
        self.array_type = messages.Detection2DArray
        self._detection_type = messages.Detection2D
        self._result_type = messages.ObjectHypothesisWithPose
        result_fields = self._result_type.get_fields_and_field_types()
        if 'hypothesis' in result_fields:
            self.hypothesis_layout = 'hypothesis.class_id'
            self._set_hypothesis: Callable = _set_hypothesis_4
            self._get_hypothesis: Callable = _get_hypothesis_4
        elif 'id' in result_fields and 'score' in result_fields:
            self.hypothesis_layout = 'id'
            self._set_hypothesis = _set_hypothesis_2
            self._get_hypothesis = _get_hypothesis_2
        else:
            raise ImportError('vision_msgs ObjectHypothesisWithPose has fields %s; expected '
                              'hypothesis (3.x/4.x) or id/score (2.x)' % sorted(result_fields))
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
        """Build a Detection2DArray with `header` on the array and on every detection."""
        array = self.array_type(header=header)
        for det in detections:
            item = self._detection_type(header=header)
            self._set_center(item.bbox, (det.x1 + det.x2) / 2.0, (det.y1 + det.y2) / 2.0)
            item.bbox.size_x = float(det.x2 - det.x1)
            item.bbox.size_y = float(det.y2 - det.y1)
            result = self._result_type()
            self._set_hypothesis(result, det.label, float(det.score))
            item.results.append(result)
            array.detections.append(item)
        return array

    def from_message(self, array) -> List[Hypothesis]:
        """Read the best hypothesis of every detection, boxes back as corners."""
        out = []
        for item in array.detections:
            if not item.results:
                continue
            class_id, score = self._get_hypothesis(item.results[0])
            cx, cy = self._get_center(item.bbox)
            half_w, half_h = item.bbox.size_x / 2.0, item.bbox.size_y / 2.0
            out.append(Hypothesis(class_id, score, cx - half_w, cy - half_h, cx + half_w,
                                  cy + half_h))
        return out
