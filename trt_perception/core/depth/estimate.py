# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
One detection's 3D box from the depth pixels of its mask, or of the inner part of its box.

The object's pixels are the valid depths (inside the range, not 0, not NaN) within
``band`` of the object's distance, a percentile of the valid depths.  With a mask, each such
pixel is back-projected with its own depth and the box spans the points; without one,
the box's edges are back-projected at the object's depth (exact for a surface facing the
camera).  Extents along each axis are the span of the object's points with the outer 0.5% on
each side left out, so a few stray depths near the object do not stretch its box.  A large
region is read on a grid of every n-th row and column (at most `MAX_SAMPLES` pixels), each
read pixel standing for the n x n pixels around it, which keeps the cost per object bounded
at the price of about n / 2 pixels of precision at the edges.  A camera sees the front of an
object only: the depth extent is that of the visible surface, and the centre is the middle of
what is seen.
"""

from dataclasses import dataclass
import math
from typing import Optional, Tuple

import numpy as np

from trt_perception.core.depth.image import DepthImage
from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.depth.settings import DepthSettings
from trt_perception.core.detection import Box3D, Detection

TRIM = 0.005
"""Fraction of an object's points left out at each end of every axis."""

MAX_SAMPLES = 8192
"""Depth pixels read per object at most: larger regions are read on a coarser grid."""


@dataclass(frozen=True)
class PairedDepth:
    """A depth frame paired with a colour frame, and how colour pixels map onto it."""

    depth: DepthImage
    intrinsics: CameraIntrinsics
    """Of the depth image, at its own size."""
    scale: Tuple[float, float]
    """Depth pixel u = scale[0] * colour u + shift[0] (v likewise with index 1)."""
    shift: Tuple[float, float]
    offset: float
    """Depth stamp minus colour stamp, seconds."""


class Box3DEstimator:
    """Locates detections in 3D with the settings' range, percentile, band and inner part."""

    def __init__(self, settings: DepthSettings) -> None:
        """Locate with `settings` (DepthStage.apply makes a new estimator for new ones)."""
        self.settings = settings

    def locate(self, detection: Detection, paired: PairedDepth) -> Optional[Box3D]:
        """Return the box in the depth camera's optical frame; None without valid depth."""
        if detection.mask is not None and detection.mask.data.any():
            return self._from_mask(detection, paired)
        return self._from_box(detection, paired)

    def _object(self, z: np.ndarray) -> Optional[np.ndarray]:
        """Boolean selection of the object's depths among `z`; None when there are none."""
        settings = self.settings
        with np.errstate(invalid='ignore'):
            valid = (z > 0) & (z >= settings.min_range) & (z <= settings.max_range)
        if not valid.any():
            return None
        distance = _quantile(z[valid], settings.percentile / 100.0)
        with np.errstate(invalid='ignore'):
            return valid & (np.abs(z - distance) <= settings.band)

    def _from_box(self, detection: Detection, paired: PairedDepth) -> Optional[Box3D]:
        (ax, ay), (bx, by) = paired.scale, paired.shift
        u1, u2 = ax * detection.x1 + bx, ax * detection.x2 + bx
        v1, v2 = ay * detection.y1 + by, ay * detection.y2 + by
        fraction = self.settings.inner_fraction
        cols = _inner(u1, u2, fraction, paired.depth.width)
        rows = _inner(v1, v2, fraction, paired.depth.height)
        if cols is None or rows is None:
            return None
        step = _step(rows, cols)
        z = paired.depth.metres(slice(rows.start, rows.stop, step),
                                slice(cols.start, cols.stop, step)).ravel()
        chosen = self._object(z)
        if chosen is None:
            return None
        near, far = _trimmed(z[chosen])
        depth = (near + far) / 2.0
        k = paired.intrinsics
        x, y = k.ray((u1 + u2) / 2.0, (v1 + v2) / 2.0)
        return Box3D((x * depth, y * depth, depth),
                     ((u2 - u1) / k.fx * depth, (v2 - v1) / k.fy * depth, far - near),
                     k.frame_id)

    def _from_mask(self, detection: Detection, paired: PairedDepth) -> Optional[Box3D]:
        mask = detection.mask
        assert mask is not None
        (ax, ay), (bx, by) = paired.scale, paired.shift
        rows_m, cols_m = mask.data.shape
        # Depth pixels whose centres fall on the mask's region, and the mask pixel of each.
        cols = _covered(mask.x0, cols_m, ax, bx, paired.depth.width)
        rows = _covered(mask.y0, rows_m, ay, by, paired.depth.height)
        if cols is None or rows is None:
            return None
        step = _step(rows, cols)
        u = np.arange(cols.start, cols.stop, step, dtype=np.float64)
        v = np.arange(rows.start, rows.stop, step, dtype=np.float64)
        mask_cols = np.clip(np.rint((u - bx) / ax) - mask.x0, 0, cols_m - 1).astype(np.intp)
        mask_rows = np.clip(np.rint((v - by) / ay) - mask.y0, 0, rows_m - 1).astype(np.intp)
        inside = mask.data[np.ix_(mask_rows, mask_cols)]
        z = paired.depth.metres(slice(rows.start, rows.stop, step),
                                slice(cols.start, cols.stop, step))
        z = np.where(inside, z, 0.0)
        chosen = self._object(z)
        if chosen is None:
            return None
        pick_rows, pick_cols = np.nonzero(chosen)
        z = z[pick_rows, pick_cols]
        k = paired.intrinsics
        u, v = u[pick_cols], v[pick_rows]
        near, far = _trimmed(z)
        left, right = _trimmed((u - k.cx) * z / k.fx)
        top, bottom = _trimmed((v - k.cy) * z / k.fy)
        # Each read pixel stands for the step x step pixels around it: the outermost ones
        # reach half of that further out.
        half = step / 2.0 * (near + far) / 2.0
        left, right = left - half / k.fx, right + half / k.fx
        top, bottom = top - half / k.fy, bottom + half / k.fy
        return Box3D(((left + right) / 2.0, (top + bottom) / 2.0, (near + far) / 2.0),
                     (right - left, bottom - top, far - near), k.frame_id)


def _quantile(values: np.ndarray, fraction: float) -> float:
    """Return the value at `fraction` of the way up `values` sorted (nearest rank)."""
    rank = int(round(fraction * (values.size - 1)))
    return float(np.partition(values, rank)[rank])


def _trimmed(values: np.ndarray) -> Tuple[float, float]:
    """Return (lowest, highest) of `values` once `TRIM` of them is left out at each end."""
    low = int(round(TRIM * (values.size - 1)))
    high = values.size - 1 - low
    ordered = np.partition(values, (low, high))
    return float(ordered[low]), float(ordered[high])


def _step(rows: slice, cols: slice) -> int:
    """Read every n-th row and column so that at most `MAX_SAMPLES` pixels are read."""
    pixels = (rows.stop - rows.start) * (cols.stop - cols.start)
    return max(1, int(math.ceil(math.sqrt(pixels / MAX_SAMPLES))))


def _inner(start: float, stop: float, fraction: float, size: int) -> Optional[slice]:
    """Pixels whose centres lie in the central `fraction` of [start, stop]; at least one."""
    middle, half = (start + stop) / 2.0, (stop - start) * fraction / 2.0
    first, last = max(math.ceil(middle - half), 0), min(math.floor(middle + half), size - 1)
    if first > last:
        first = last = int(round(middle))
        if not 0 <= first < size:
            return None
    return slice(int(first), int(last) + 1)


def _covered(origin: int, count: int, scale: float, shift: float,
             size: int) -> Optional[slice]:
    """Depth pixels whose centres fall on colour pixels origin .. origin + count - 1."""
    first = max(math.ceil(scale * (origin - 0.5) + shift), 0)
    last = min(math.floor(scale * (origin + count - 0.5) + shift), size - 1)
    if first > last:
        return None
    return slice(int(first), int(last) + 1)
