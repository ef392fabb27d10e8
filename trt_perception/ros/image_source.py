# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""A stand-in camera driver: publishes a folder of images or a video at a set rate.

Frames go out as sensor_msgs/Image on ``image`` (and JPEG sensor_msgs/CompressedImage on
``image/compressed`` when asked), stamped with the node clock at publish time and the
configured ``frame_id``; remap or namespace them like any camera driver.  At debug log level
every frame is logged with its file name and stamp, which the demo uses to match detections
to photos.
"""

from __future__ import annotations

import abc
import contextlib
import os
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from rclpy.node import Node
from rclpy.task import Future
from sensor_msgs.msg import CompressedImage, Image

from trt_perception.ros.image_conversion import array_to_compressed, array_to_image
from trt_perception.ros.node_runner import run_node
from trt_perception.ros.parameters import IMAGE_SOURCE_PARAMETERS, declare
from trt_perception.ros.qos import image_qos

IMAGE_EXTENSIONS = ('.bmp', '.jpeg', '.jpg', '.pgm', '.png', '.ppm', '.tif', '.tiff', '.webp')
"""Files a folder source publishes; anything else in the folder is ignored."""

_FROM_BGR = {'bgr8': None, 'rgb8': cv2.COLOR_BGR2RGB, 'mono8': cv2.COLOR_BGR2GRAY}


class FrameReader(abc.ABC):
    """Frames of a source in order; `read` returns None after the last one."""

    @abc.abstractmethod
    def read(self) -> Optional[Tuple[str, np.ndarray]]:
        """Return the next (name, BGR frame), or None at the end."""

    @abc.abstractmethod
    def rewind(self) -> None:
        """Start again from the first frame."""

    def close(self) -> None:
        """Release the source."""


class ImageFolderReader(FrameReader):
    """Image files of a folder (or one file), in name order, read as they are published."""

    def __init__(self, paths: Sequence[str]) -> None:
        """Read `paths` in this order."""
        if not paths:
            raise ValueError('no image files to publish')
        self.paths = list(paths)
        self._next = 0

    @classmethod
    def from_folder(cls, folder: str) -> 'ImageFolderReader':
        """Read every image file (by extension) directly inside `folder`, in name order."""
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS))
        if not names:
            raise ValueError('folder %r holds no image files (%s)'
                             % (folder, ', '.join(IMAGE_EXTENSIONS)))
        return cls([os.path.join(folder, name) for name in names])

    def read(self) -> Optional[Tuple[str, np.ndarray]]:
        """Return the next readable image (unreadable files are skipped), or None."""
        while self._next < len(self.paths):
            path = self.paths[self._next]
            self._next += 1
            frame = cv2.imread(path, cv2.IMREAD_COLOR)
            if frame is not None:
                return os.path.basename(path), frame
        return None

    def rewind(self) -> None:
        """Start again from the first file."""
        self._next = 0


class VideoReader(FrameReader):
    """Frames of a video file decoded by OpenCV."""

    def __init__(self, path: str) -> None:
        """Open `path`; ValueError when OpenCV cannot read it."""
        self.path = path
        self._capture = cv2.VideoCapture(path)
        self._index = 0
        if not self._capture.isOpened():
            raise ValueError('OpenCV cannot open video %r (is it a video file OpenCV was built '
                             'to read?)' % path)

    def read(self) -> Optional[Tuple[str, np.ndarray]]:
        """Return ('<file>#<frame index>', frame), or None after the last frame."""
        ok, frame = self._capture.read()
        if not ok:
            return None
        name = '%s#%d' % (os.path.basename(self.path), self._index)
        self._index += 1
        return name, frame

    def rewind(self) -> None:
        """Seek back to the first frame."""
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._index = 0

    def close(self) -> None:
        """Release the decoder."""
        self._capture.release()


def open_source(path: str) -> FrameReader:
    """Open a reader for a folder, an image file or a video file."""
    if not path:
        raise ValueError('the source parameter is empty: set it to a folder of images, an '
                         'image file or a video file')
    if os.path.isdir(path):
        return ImageFolderReader.from_folder(path)
    if not os.path.isfile(path):
        raise ValueError('source %r does not exist' % path)
    if path.lower().endswith(IMAGE_EXTENSIONS):
        return ImageFolderReader([path])
    return VideoReader(path)


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
        self.done = Future()
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
