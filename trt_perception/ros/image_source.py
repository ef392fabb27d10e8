# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
A stand-in camera driver: publishes a folder of images or a video at a set rate.

Frames go out as sensor_msgs/Image on ``image`` (and JPEG sensor_msgs/CompressedImage on
``image/compressed`` when asked), stamped with the node clock at publish time and the
configured ``frame_id``; remap or namespace them like any camera driver.  At debug log level
every frame is logged with its file name and stamp, which the demo uses to match detections
to photos.
"""

import contextlib
from typing import Optional, Sequence

import cv2
from rclpy.node import Node
from rclpy.task import Future
from sensor_msgs.msg import CompressedImage, Image

from trt_perception.core.frame_source import open_source
from trt_perception.ros.image_conversion import array_to_compressed, array_to_image
from trt_perception.ros.node_runner import run_node
from trt_perception.ros.parameters import declare, IMAGE_SOURCE_PARAMETERS
from trt_perception.ros.qos import image_qos

_FROM_BGR = {'bgr8': None, 'rgb8': cv2.COLOR_BGR2RGB, 'mono8': cv2.COLOR_BGR2GRAY}


class ImageSource(Node):
    """Publishes the frames of a `FrameReader` on a timer."""

    def __init__(self, **kwargs) -> None:
        """Declare parameters, open the source and start the timer."""
        # Set before Node.__init__: rclpy's context shutdown destroys even a node whose
        # construction failed half way.
        self._resources = contextlib.ExitStack()
        super().__init__('image_source', **kwargs)
        p = declare(self, IMAGE_SOURCE_PARAMETERS)
        self._reader = open_source(p['source'])
        self._resources.callback(self._reader.close)
        self._frame_id = p['frame_id']
        self._loop = p['loop']
        self._encoding = p['encoding']
        qos = image_qos(p['qos_reliability'], p['qos_depth'])
        self._image = self.create_publisher(Image, 'image', qos)
        self._compressed = (self.create_publisher(CompressedImage, 'image/compressed', qos)
                            if p['publish_compressed'] else None)
        self.done: Future = Future()
        self.frames_published = 0
        self._timer = self.create_timer(1.0 / p['rate'], self._tick)

    def _tick(self) -> None:
        frame = self._reader.read()
        if frame is None and self._loop:
            self._reader.rewind()
            frame = self._reader.read()
        if frame is None:
            self._timer.cancel()
            self.get_logger().info('published all %d frames' % self.frames_published)
            self.done.set_result(self.frames_published)
            return
        name, bgr = frame
        stamp = self.get_clock().now().to_msg()
        code = _FROM_BGR[self._encoding]
        pixels = bgr if code is None else cv2.cvtColor(bgr, code)
        msg = array_to_image(pixels, self._encoding)
        msg.header.stamp = stamp
        msg.header.frame_id = self._frame_id
        self._image.publish(msg)
        if self._compressed is not None:
            self._compressed.publish(array_to_compressed(bgr, msg.header))
        self.frames_published += 1
        self.get_logger().debug('published %s stamp=%d.%09d' % (name, stamp.sec,
                                                                stamp.nanosec))

    def destroy_node(self) -> None:
        """Release the source, then the ROS entities."""
        self._resources.close()
        super().destroy_node()


def main(args: Optional[Sequence[str]] = None) -> int:
    """Run image_source until Ctrl-C, or until the last frame when loop is false."""
    return run_node(ImageSource, 'image_source', args)


if __name__ == '__main__':
    raise SystemExit(main())
