# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Print every Detection2DArray on ``detections`` and save the annotated debug images.

One line per message on stdout::

    detections stamp=<sec>.<nanosec> frame_id=<id> count=<n>: <class> <score> [x1 y1 x2 y2]; ...

and, with ``output_dir`` set, one ``saved <path> stamp=<sec>.<nanosec>`` line per debug image
written (named after its stamp), so the output can be matched to the source frames.
"""

import os
import sys
from typing import Optional, Sequence

import cv2
from rclpy.node import Node
from sensor_msgs.msg import Image

from trt_perception.core.annotate import to_bgr
from trt_perception.core.image import ImageFormatError
from trt_perception.ros.image_conversion import image_to_raw
from trt_perception.ros.node_runner import run_node
from trt_perception.ros.parameters import declare, DETECTION_LISTENER_PARAMETERS
from trt_perception.ros.qos import image_qos
from trt_perception.ros.vision_msgs_compat import VisionMsgsLayout


def stamp_text(stamp) -> str:
    """Format a builtin_interfaces/Time as '<sec>.<nanosec, 9 digits>'."""
    return '%d.%09d' % (stamp.sec, stamp.nanosec)


class DetectionListener(Node):
    """Subscribes to detections (and debug images when saving) and reports them."""

    def __init__(self, **kwargs) -> None:
        """Declare parameters and subscribe."""
        super().__init__('detection_listener', **kwargs)
        p = declare(self, DETECTION_LISTENER_PARAMETERS)
        self._layout = VisionMsgsLayout()
        self._output_dir = p['output_dir']
        self._extension = p['image_format']
        self.create_subscription(self._layout.array_type, 'detections', self._on_detections,
                                 10)
        if self._output_dir:
            os.makedirs(self._output_dir, exist_ok=True)
            self.create_subscription(Image, 'detections/debug_image', self._on_image,
                                     image_qos('reliable', 5))

    def _on_detections(self, msg) -> None:
        found = self._layout.from_message(msg)
        items = '; '.join('%s %.2f [%.1f %.1f %.1f %.1f]' % (h.class_id, h.score, h.x1, h.y1,
                                                             h.x2, h.y2) for h in found)
        self._say('detections stamp=%s frame_id=%s count=%d: %s' % (
            stamp_text(msg.header.stamp), msg.header.frame_id, len(found), items))

    def _on_image(self, msg: Image) -> None:
        stamp = stamp_text(msg.header.stamp)
        try:
            bgr = to_bgr(image_to_raw(msg))
        except ImageFormatError as error:
            self.get_logger().warning('cannot save debug image %s: %s' % (stamp, error))
            return
        path = os.path.join(self._output_dir, '%s.%s' % (stamp, self._extension))
        if not cv2.imwrite(path, bgr):
            self.get_logger().error('could not write %s' % path)
            return
        self._say('saved %s stamp=%s' % (path, stamp))

    @staticmethod
    def _say(line: str) -> None:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


def main(args: Optional[Sequence[str]] = None) -> int:
    """Run detection_listener until Ctrl-C."""
    return run_node(DetectionListener, 'detection_listener', args)


if __name__ == '__main__':
    raise SystemExit(main())
