# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
One camera's instance outputs: its mask image and keypoints publishers, where the model has them.

A segmentation model gets ``<prefix>/instance_mask`` (sensor_msgs/Image), a pose model
``<prefix>/keypoints`` (trt_perception_msgs/Keypoints2DArray); both carry the header of the
frame's Detection2DArray and are index-aligned with it (`instance_messages`).  Like the debug
image, each is rendered and published only while someone subscribes.
"""

from typing import Optional, Sequence

from rclpy.node import Node
from sensor_msgs.msg import Image

from trt_perception.core.detection import Detection
from trt_perception.core.keypoints import KeypointLayout
from trt_perception.ros.instance_messages import instance_mask_image, keypoints_message
from trt_perception.ros.qos import image_qos, QUIET_PUBLISHER
from trt_perception_msgs.msg import Keypoints2DArray


class InstancePublishers:
    """A camera's instance mask publisher (`masks`) and keypoints publisher (`layout`)."""

    def __init__(self, node: Node, prefix: str, masks: bool,
                 layout: Optional[KeypointLayout]) -> None:
        """Advertise under the camera's output `prefix` what the model's detections carry."""
        self._node = node
        self._layout = layout
        self.instance_mask = node.create_publisher(
            Image, prefix + '/instance_mask', image_qos('reliable', 1),
            event_callbacks=QUIET_PUBLISHER) if masks else None
        self.keypoints = node.create_publisher(
            Keypoints2DArray, prefix + '/keypoints', 10,
            event_callbacks=QUIET_PUBLISHER) if layout is not None else None

    def publish(self, header, found: Sequence[Detection], width: int, height: int) -> None:
        """Publish the frame's mask image and keypoints to whoever subscribes to them."""
        if self.instance_mask is not None and self.instance_mask.get_subscription_count() > 0:
            self.instance_mask.publish(instance_mask_image(found, width, height, header))
        if self._layout is not None and self.keypoints is not None \
                and self.keypoints.get_subscription_count() > 0:
            self.keypoints.publish(keypoints_message(found, self._layout, header))

    def destroy(self) -> None:
        """Destroy the publishers."""
        for publisher in (self.instance_mask, self.keypoints):
            if publisher is not None:
                self._node.destroy_publisher(publisher)
