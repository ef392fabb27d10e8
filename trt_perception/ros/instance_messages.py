# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Messages for masks and keypoints, index-aligned with the frame's Detection2DArray.

* `instance_mask_image`: a one-channel sensor_msgs/Image of the frame's size, pixel = index
  of its detection in the Detection2DArray + 1, 0 = background; ``mono8`` while there are
  fewer than 255 detections, else ``16UC1`` (native byte order, flagged in `is_bigendian`).
  rviz shows it as an image; depth projection reads one detection's pixels by value.
* `keypoints_message`: a trt_perception_msgs/Keypoints2DArray, one Keypoints2D per detection
  (empty for a detection without keypoints), with the keypoint names and skeleton.
"""

import sys
from typing import Sequence

import numpy as np
from sensor_msgs.msg import Image

from trt_perception.core.detection import Detection
from trt_perception.core.keypoints import COCO_KEYPOINTS, KeypointLayout
from trt_perception.core.masks import instance_image
from trt_perception_msgs.msg import Keypoints2D, Keypoints2DArray

_ENCODINGS = {np.dtype(np.uint8): 'mono8', np.dtype(np.uint16): '16UC1'}


def instance_mask_image(detections: Sequence[Detection], width: int, height: int,
                        header) -> Image:
    """Render the frame's instance image (see `core.masks.instance_image`) as a message."""
    pixels = instance_image(detections, width, height)
    msg = Image(header=header, height=height, width=width, encoding=_ENCODINGS[pixels.dtype],
                is_bigendian=int(sys.byteorder == 'big'), step=width * pixels.itemsize)
    msg.data = pixels.tobytes()
    return msg


def keypoints_message(detections: Sequence[Detection], layout: KeypointLayout,
                      header) -> Keypoints2DArray:
    """Build the frame's Keypoints2DArray; COCO's names where the layout is COCO's."""
    msg = Keypoints2DArray(header=header)
    if layout.count == len(COCO_KEYPOINTS):
        msg.names = list(COCO_KEYPOINTS)
    msg.skeleton = [index for pair in layout.skeleton for index in pair]
    items = []
    for detection in detections:
        item = Keypoints2D()
        if detection.keypoints is not None:
            xy = np.asarray(detection.keypoints.xy, dtype=np.float32)
            item.x = xy[:, 0].tolist()
            item.y = xy[:, 1].tolist()
            item.scores = np.asarray(detection.keypoints.scores, dtype=np.float32).tolist()
        items.append(item)
    msg.detections = items
    return msg
