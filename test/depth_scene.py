# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Synthetic RGB-D scenes rendered in float64 by ray casting: the reference for the depth stage.

A scene is flat rectangles (`Plate`) in front of a wall, in a camera's optical frame (x right,
y down, z forward, metres), seen by a pinhole camera (a `CameraIntrinsics`, used for its
numbers only: the projection is written out here).  Every pixel's ray through its centre is
intersected with each plate; the nearest hit gives the pixel's depth and which plate it sees,
so each plate's true centre, extent, 2D box and mask are known exactly, independently of the
code under test.
"""

from dataclasses import dataclass
import math
from typing import List, Sequence, Tuple

import numpy as np

from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.detection import Detection, InstanceMask


@dataclass(frozen=True)
class Plate:
    """A width x height rectangle centred at `center`, turned `yaw` radians about the y axis."""

    center: Tuple[float, float, float]
    width: float
    height: float
    yaw: float = 0.0

    def axes(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return unit vectors along its width, along its height, and its normal."""
        along = np.array([math.cos(self.yaw), 0.0, -math.sin(self.yaw)])
        down = np.array([0.0, 1.0, 0.0])
        return along, down, np.cross(along, down)

    def corners(self) -> np.ndarray:
        """(4, 3) corners."""
        along, down, _ = self.axes()
        c = np.array(self.center)
        return np.array([c + sx * self.width / 2 * along + sy * self.height / 2 * down
                         for sx in (-1, 1) for sy in (-1, 1)])

    def true_box(self) -> Tuple[Tuple[float, ...], Tuple[float, ...]]:
        """(centre, size) of its axis-aligned 3D bounds."""
        corners = self.corners()
        low, high = corners.min(axis=0), corners.max(axis=0)
        return tuple((low + high) / 2), tuple(high - low)


def project(camera: CameraIntrinsics, points: np.ndarray) -> np.ndarray:
    """Return the (N, 2) pixels of (N, 3) points: the pinhole model, written out here."""
    return np.stack([camera.cx + camera.fx * points[:, 0] / points[:, 2],
                     camera.cy + camera.fy * points[:, 1] / points[:, 2]], axis=1)


def render(camera: CameraIntrinsics, plates: Sequence[Plate],
           wall: float = 4.0) -> Tuple[np.ndarray, np.ndarray]:
    """(depth in metres float64, index of the plate each pixel sees or -1 for the wall)."""
    u, v = np.meshgrid(np.arange(camera.width, dtype=np.float64),
                       np.arange(camera.height, dtype=np.float64))
    rays = np.stack([(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy,
                     np.ones_like(u)], axis=-1)
    depth = np.full(u.shape, wall)
    seen = np.full(u.shape, -1, dtype=np.int64)
    for index, plate in enumerate(plates):
        along, down, normal = plate.axes()
        c = np.array(plate.center)
        t = (c @ normal) / (rays @ normal)
        hit = rays * t[..., None] - c
        inside = ((np.abs(hit @ along) <= plate.width / 2)
                  & (np.abs(hit @ down) <= plate.height / 2) & (t > 0) & (t < depth))
        depth[inside] = t[inside]  # the rays have z = 1, so t is the depth
        seen[inside] = index
    return depth, seen


def detections(camera: CameraIntrinsics, plates: Sequence[Plate], seen: np.ndarray,
               masks: bool) -> List[Detection]:
    """Return a perfect detector's output: each plate's projected box, its mask if `masks`."""
    out = []
    for index, plate in enumerate(plates):
        pixels = project(camera, plate.corners())
        (x1, y1), (x2, y2) = pixels.min(axis=0), pixels.max(axis=0)
        mask = None
        if masks:
            x0, y0 = int(math.floor(x1)), int(math.floor(y1))
            mask = InstanceMask(x0, y0, seen[y0:int(math.ceil(y2)) + 1,
                                             x0:int(math.ceil(x2)) + 1] == index)
        out.append(Detection(float(x1), float(y1), float(x2), float(y2), 0.9, index,
                             'plate%d' % index, mask=mask))
    return out


def spoil(depth: np.ndarray, rng: np.random.Generator, holes: float = 0.05,
          outliers: float = 0.01) -> np.ndarray:
    """Return a copy with `holes` of the pixels at 0, `outliers` at random 0.3 .. 10 m."""
    out = depth.copy()
    out[rng.random(depth.shape) < holes] = 0.0
    stray = rng.random(depth.shape) < outliers
    out[stray] = rng.uniform(0.3, 10.0, int(stray.sum()))
    return out


def encode(depth: np.ndarray, encoding: str) -> np.ndarray:
    """Metres (float64) as a 16UC1 (millimetres, uint16) or 32FC1 (metres, float32) array."""
    if encoding == '16UC1':
        return np.rint(depth * 1000.0).astype(np.uint16)
    return depth.astype(np.float32)
