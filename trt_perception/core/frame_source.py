# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Frames from files: a folder of images, one image, or a video, read in order with OpenCV.

Used by the image_source stand-in camera, the offline runner and INT8 calibration; no ROS.
"""

import abc
import os
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

IMAGE_EXTENSIONS = ('.bmp', '.dib', '.exr', '.hdr', '.jp2', '.jpe', '.jpeg', '.jpg', '.pbm',
                    '.pfm', '.pgm', '.pic', '.png', '.pnm', '.ppm', '.pxm', '.ras', '.sr',
                    '.tif', '.tiff', '.webp')
"""Files read as still images (the formats cv2.imread reads); any other file is a video."""


def list_images(folder: str) -> List[str]:
    """Paths of the image files (by extension) directly inside `folder`, in name order."""
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder))
            if name.lower().endswith(IMAGE_EXTENSIONS)]


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
    """Image files of a folder (or one file), in name order, each decoded when it is read."""

    def __init__(self, paths: Sequence[str]) -> None:
        """Read `paths` in this order."""
        if not paths:
            raise ValueError('no image files to read')
        self.paths = list(paths)
        self._next = 0

    @classmethod
    def from_folder(cls, folder: str) -> 'ImageFolderReader':
        """Read every image file (by extension) directly inside `folder`, in name order."""
        paths = list_images(folder)
        if not paths:
            raise ValueError('folder %r holds no image files (%s)'
                             % (folder, ', '.join(IMAGE_EXTENSIONS)))
        return cls(paths)

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

    def seconds(self) -> float:
        """Video time of the frame last read: its index over the file's frame rate."""
        # A file without a frame rate (some MJPEG streams report 0) plays at 30 Hz.
        rate = self._capture.get(cv2.CAP_PROP_FPS) or 30.0
        return max(self._index - 1, 0) / rate

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
        raise ValueError('the source is empty: give a folder of images, an image file or a '
                         'video file')
    if os.path.isdir(path):
        return ImageFolderReader.from_folder(path)
    if not os.path.isfile(path):
        raise ValueError('source %r does not exist' % path)
    if path.lower().endswith(IMAGE_EXTENSIONS):
        return ImageFolderReader([path])
    return VideoReader(path)
