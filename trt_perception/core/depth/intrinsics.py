# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Pinhole intrinsics of a depth camera, from a camera_info's K.

Only K is used: aligned depth from RGB-D drivers is rectified (its camera_info's D is zero or
describes the raw sensor), so distortion is ignored, and a depth image that is not rectified
gives positions off by the lens distortion.  Pixel (u, v) with depth z is the point
((u - cx) z / fx, (v - cy) z / fy, z) in the camera's optical frame (x right, y down, z
forward), pixel centres at whole coordinates as in OpenCV and camera_info.
"""

from dataclasses import dataclass
import math
from typing import Sequence, Tuple


@dataclass(frozen=True)
class CameraIntrinsics:
    """fx, fy, cx, cy (pixels) of an image of `width` x `height`, in optical frame `frame_id`."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    frame_id: str = ''

    def __post_init__(self) -> None:
        """Refuse focal lengths that cannot be a calibrated camera's."""
        for name in ('fx', 'fy', 'cx', 'cy'):
            if not math.isfinite(getattr(self, name)):
                raise ValueError('camera intrinsics %s=%r must be a finite number'
                                 % (name, getattr(self, name)))
        if self.fx <= 0 or self.fy <= 0:
            raise ValueError(
                'camera intrinsics fx=%g, fy=%g must be positive: a camera_info whose K is all '
                'zero comes from an uncalibrated camera; calibrate it or publish its K'
                % (self.fx, self.fy))
        if self.width <= 0 or self.height <= 0:
            raise ValueError('camera intrinsics are for a %dx%d image; both must be positive'
                             % (self.width, self.height))

    @classmethod
    def from_k(cls, k: Sequence[float], width: int, height: int,
               frame_id: str = '') -> 'CameraIntrinsics':
        """Read a camera_info's row-major 3x3 K (fx 0 cx / 0 fy cy / 0 0 1)."""
        if len(k) != 9:
            raise ValueError('K must hold 9 numbers (3x3, row-major); got %d' % len(k))
        return cls(float(k[0]), float(k[4]), float(k[2]), float(k[5]), int(width), int(height),
                   frame_id)

    def scaled(self, width: int, height: int) -> 'CameraIntrinsics':
        """
        Return the same camera for the image resampled to `width` x `height`.

        Resampling maps pixel edges to pixel edges, so a centre coordinate c becomes
        (c + 0.5) s - 0.5 with s the size ratio along that axis.
        """
        sx, sy = width / self.width, height / self.height
        return CameraIntrinsics(self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5,
                                (self.cy + 0.5) * sy - 0.5, width, height, self.frame_id)

    def ray(self, u: float, v: float) -> Tuple[float, float]:
        """(x / z, y / z) of the ray through pixel (u, v)."""
        return (u - self.cx) / self.fx, (v - self.cy) / self.fy

    def pixel(self, x_over_z: float, y_over_z: float) -> Tuple[float, float]:
        """Pixel (u, v) where the ray (x / z, y / z) meets the image."""
        return self.cx + self.fx * x_over_z, self.cy + self.fy * y_over_z
