# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Pairing one camera's depth frames with its colour frames by stamp.

Depth and camera_info arrive on the executor thread, colour frames are processed on the
worker thread: `DepthPairer` keeps the last few depth frames under a lock held only to append
or to copy references, and never waits for a depth frame that has not come yet.
"""

import collections
import threading
from typing import Deque, Optional, Tuple

from trt_perception.core.depth.estimate import PairedDepth
from trt_perception.core.depth.image import DepthImage
from trt_perception.core.depth.intrinsics import CameraIntrinsics

REASONS = ('no_depth', 'no_camera_info', 'stamp_mismatch', 'size_mismatch')
"""Why a colour frame got no depth (stable diagnostics keys)."""

ASPECT_TOLERANCE = 0.02
"""Relative difference of width and height ratios up to which two images show the same view."""


class PairingError(Exception):
    """A colour frame that could not be paired; `reason` is one of `REASONS`."""

    def __init__(self, reason: str, message: str) -> None:
        """Keep the counter key `reason` beside the human-readable `message`."""
        super().__init__(message)
        self.reason = reason


class DepthPairer:
    """The recent depth frames and latest intrinsics of one camera."""

    def __init__(self, capacity: int) -> None:
        """Keep the last `capacity` depth frames."""
        self._lock = threading.Lock()
        self._frames: Deque[Tuple[float, DepthImage]] = collections.deque(maxlen=capacity)
        self._intrinsics: Optional[CameraIntrinsics] = None

    def add_depth(self, stamp: float, depth: DepthImage) -> None:
        """Keep a depth frame stamped `stamp` seconds (its header's stamp)."""
        with self._lock:
            self._frames.append((stamp, depth))

    def set_intrinsics(self, intrinsics: CameraIntrinsics) -> None:
        """Use `intrinsics` (from the depth's camera_info) from now on."""
        self._intrinsics = intrinsics

    @property
    def intrinsics(self) -> Optional[CameraIntrinsics]:
        """Return the latest camera intrinsics, None before the first camera_info."""
        return self._intrinsics

    def pair(self, stamp: float, width: int, height: int, tolerance: float) -> PairedDepth:
        """Pair the depth frame nearest `stamp` with a `width` x `height` colour frame."""
        with self._lock:
            frames = list(self._frames)
        intrinsics = self._intrinsics
        if not frames:
            raise PairingError('no_depth', 'no depth image has arrived yet')
        if intrinsics is None:
            raise PairingError('no_camera_info', 'no camera_info for the depth image has '
                               'arrived yet')
        depth_stamp, depth = min(frames, key=lambda item: abs(item[0] - stamp))
        offset = depth_stamp - stamp
        if abs(offset) > tolerance:
            raise PairingError(
                'stamp_mismatch', 'the nearest of the last %d depth images is %+.3f s from the '
                'colour frame, over depth.stamp_tolerance=%g s (are both stamped by the same '
                'clock, and is the depth stream running?)' % (len(frames), offset, tolerance))
        if (intrinsics.width, intrinsics.height) != (depth.width, depth.height):
            if not _same_view(intrinsics.width, intrinsics.height, depth.width, depth.height):
                raise PairingError(
                    'size_mismatch', 'the depth image is %dx%d but its camera_info is for '
                    '%dx%d: they are not of the same stream' % (
                        depth.width, depth.height, intrinsics.width, intrinsics.height))
            intrinsics = intrinsics.scaled(depth.width, depth.height)
        if not _same_view(width, height, depth.width, depth.height):
            raise PairingError(
                'size_mismatch', 'the colour frame is %dx%d and the depth image %dx%d, another '
                'shape: the depth is not aligned to this colour image (use the depth aligned to '
                'colour, e.g. aligned_depth_to_color/image_raw)'
                % (width, height, depth.width, depth.height))
        colour = intrinsics.scaled(width, height)
        ax, ay = intrinsics.fx / colour.fx, intrinsics.fy / colour.fy
        return PairedDepth(depth, intrinsics, (ax, ay),
                           (intrinsics.cx - ax * colour.cx, intrinsics.cy - ay * colour.cy),
                           offset)


def _same_view(width: int, height: int, other_width: int, other_height: int) -> bool:
    """Whether two image sizes differ by a scale alone (the same field of view)."""
    sx, sy = other_width / width, other_height / height
    return abs(sx - sy) <= ASPECT_TOLERANCE * max(sx, sy)
