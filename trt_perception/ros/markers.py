# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
rviz markers of the depth stage's 3D boxes: a translucent box and a label per object.

Each MarkerArray starts with a DELETEALL of its namespace, so boxes of objects no longer
seen disappear with the next frame instead of lingering or blinking; a lifetime removes the
last ones when frames stop.  A box seen face-on has no depth extent: it is drawn at least
`MIN_THICKNESS` thick so rviz shows it.
"""

from typing import Sequence, Tuple

from trt_perception.core.annotate import colour_for
from trt_perception.core.detection import Detection
from visualization_msgs.msg import Marker, MarkerArray

MIN_THICKNESS = 0.02
"""Metres; the thinnest a drawn box is along any axis."""

LABEL_HEIGHT = 0.08
"""Metres; height of a label's letters."""


def class_colour(class_id: int) -> Tuple[float, float, float]:
    """Return (red, green, blue) 0..1 of `class_id`: the debug image's colour for it."""
    blue, green, red = colour_for(class_id)
    return red / 255.0, green / 255.0, blue / 255.0


def label_text(det: Detection) -> str:
    """Return 'person 0.91 #7 2.04 m': label, score, track id where set, distance."""
    track = ' #%d' % det.track_id if det.track_id is not None else ''
    distance = ' %.2f m' % det.box3d.center[2] if det.box3d is not None else ''
    return '%s %.2f%s%s' % (det.label, det.score, track, distance)


class BoxMarkers:
    """Builds MarkerArray messages of detections' 3D boxes."""

    def __init__(self, lifetime: float = 1.0, alpha: float = 0.4) -> None:
        """Markers vanish `lifetime` seconds after their frame; boxes drawn with `alpha`."""
        self.lifetime = lifetime
        self.alpha = alpha

    def to_message(self, header, frame_id: str, namespace: str,
                   detections: Sequence[Detection]) -> MarkerArray:
        """Build the markers of the detections with a 3D box, in `frame_id`, after a reset."""
        stamped = type(header)(stamp=header.stamp, frame_id=frame_id)
        array = MarkerArray()
        array.markers.append(Marker(header=stamped, ns=namespace, action=Marker.DELETEALL))
        for index, det in enumerate(d for d in detections if d.box3d is not None):
            box = det.box3d
            assert box is not None
            red, green, blue = class_colour(det.class_id)
            cube = self._marker(stamped, namespace, 2 * index, Marker.CUBE, box.center)
            cube.scale.x, cube.scale.y, cube.scale.z = (max(s, MIN_THICKNESS) for s in box.size)
            cube.color.r, cube.color.g, cube.color.b, cube.color.a = red, green, blue, self.alpha
            # The label floats above the box: optical frames have y pointing down.
            above = (box.center[0], box.center[1] - box.size[1] / 2.0 - LABEL_HEIGHT,
                     box.center[2])
            text = self._marker(stamped, namespace, 2 * index + 1, Marker.TEXT_VIEW_FACING,
                                above)
            text.scale.z = LABEL_HEIGHT
            text.color.r, text.color.g, text.color.b, text.color.a = red, green, blue, 1.0
            text.text = label_text(det)
            array.markers.extend((cube, text))
        return array

    def _marker(self, header, namespace: str, marker_id: int, kind: int, position) -> Marker:
        marker = Marker(header=header, ns=namespace, id=marker_id, type=kind,
                        action=Marker.ADD)
        marker.pose.position.x, marker.pose.position.y, marker.pose.position.z = position
        marker.pose.orientation.w = 1.0
        marker.lifetime.sec = int(self.lifetime)
        marker.lifetime.nanosec = int(round((self.lifetime - int(self.lifetime)) * 1e9))
        return marker
