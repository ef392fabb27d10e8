# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Depth frames as they arrive in a sensor_msgs/Image, checked like colour frames.

REP 118 fixes two depth encodings: ``16UC1`` holds millimetres in unsigned 16-bit integers
and ``32FC1`` metres in 32-bit floats; 0 (and NaN in ``32FC1``) means "no measurement".  A
`DepthImage` is a zero-copy view of the message bytes: the rows are read with the message's
`step` and the byte order its ``is_bigendian`` flag declares, so nothing is converted until
the pixels of one detection are read (`metres`).
"""

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np

from trt_perception.core.image import check_dimensions, ImageFormatError

DEPTH_ENCODINGS: Dict[str, Tuple[str, float]] = {
    '16UC1': ('u2', 0.001),
    '32FC1': ('f4', 1.0),
}
"""Encoding -> (numpy kind, metres per stored unit)."""


@dataclass(frozen=True)
class DepthImage:
    """One depth frame: `data` (height x width, stored units) and `scale` metres per unit."""

    data: np.ndarray
    scale: float
    encoding: str

    @property
    def width(self) -> int:
        """Pixels per row."""
        return int(self.data.shape[1])

    @property
    def height(self) -> int:
        """Rows."""
        return int(self.data.shape[0])

    def metres(self, rows, cols) -> np.ndarray:
        """Return the depth at `data[rows, cols]` in float64 metres; 0 or NaN where unmeasured."""
        return self.data[rows, cols].astype(np.float64) * self.scale

    @classmethod
    def from_buffer(cls, buffer, width: int, height: int, step: int, encoding: str,
                    bigendian: bool = False, max_pixels: Optional[int] = None) -> 'DepthImage':
        """
        Wrap message bytes without copying, after the checks cv_bridge makes.

        Raises `ImageFormatError` (its `reason` a counter key) naming the bad field.
        """
        if encoding not in DEPTH_ENCODINGS:
            raise ImageFormatError(
                'unknown_encoding', 'depth encoding %r is not supported; use 16UC1 '
                '(millimetres) or 32FC1 (metres) as REP 118 specifies (most RGB-D drivers '
                'publish one of these for their aligned depth)' % (encoding,))
        kind, scale = DEPTH_ENCODINGS[encoding]
        dtype = np.dtype(('>' if bigendian else '<') + kind)
        check_dimensions(width, height, max_pixels)
        if step < width * dtype.itemsize:
            raise ImageFormatError(
                'step_too_small', 'depth step %d is smaller than width %d x %d bytes per pixel '
                '= %d for %s' % (step, width, dtype.itemsize, width * dtype.itemsize, encoding))
        try:
            flat = np.frombuffer(buffer, dtype=np.uint8)
        except (TypeError, ValueError) as exc:
            raise ImageFormatError(
                'bad_buffer', 'depth data is not one contiguous byte buffer: %s' % exc) from None
        if flat.size != height * step:
            reason = 'data_too_short' if flat.size < height * step else 'data_too_long'
            raise ImageFormatError(
                reason, 'depth data holds %d bytes but height %d x step %d = %d'
                % (flat.size, height, step, height * step))
        # A step that is not a multiple of the pixel size still works: numpy reads
        # unaligned rows through the strides.
        data = np.ndarray((height, width), dtype=dtype, buffer=flat,
                          strides=(step, dtype.itemsize))
        return cls(data, scale, encoding)

    @classmethod
    def from_array(cls, array: np.ndarray) -> 'DepthImage':
        """Wrap an (H, W) uint16 array of millimetres or float32 array of metres."""
        if array.ndim != 2:
            raise ImageFormatError(
                'bad_shape', 'a depth array must be (height, width); got shape %s'
                % (array.shape,))
        for encoding, (kind, scale) in DEPTH_ENCODINGS.items():
            if array.dtype.kind + str(array.dtype.itemsize) == kind:
                check_dimensions(array.shape[1], array.shape[0])
                return cls(array, scale, encoding)
        raise ImageFormatError(
            'bad_dtype', 'a depth array must be uint16 (millimetres) or float32 (metres); got '
            '%s' % array.dtype)
