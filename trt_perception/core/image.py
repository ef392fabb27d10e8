# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Raw camera frames as they arrive in a sensor_msgs/Image, with cv_bridge's encoding rules.

A `RawImage` is a zero-copy view of the message bytes: `height` rows of `step` bytes, of which
the first `width * bytes_per_pixel` hold pixels and the rest is row padding.  Both the CPU and
the GPU preprocessors read this layout directly, so no conversion happens before them.
"""

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np


@dataclass(frozen=True)
class Encoding:
    """How the bytes of one pixel are laid out for a sensor_msgs/Image encoding string."""

    name: str
    bytes_per_pixel: int
    layout: str
    """One of 'bgr', 'rgb', 'bgra', 'rgba', 'mono', 'uyvy', 'yuyv'."""

    @property
    def is_yuv422(self) -> bool:
        """Whether two horizontally adjacent pixels share one U and one V sample."""
        return self.layout in ('uyvy', 'yuyv')


def _table() -> Dict[str, Encoding]:
    entries = [
        ('bgr8', 3, 'bgr'),
        ('rgb8', 3, 'rgb'),
        ('bgra8', 4, 'bgra'),
        ('rgba8', 4, 'rgba'),
        ('mono8', 1, 'mono'),
        # cv_bridge treats the OpenCV type names as BGR-ordered / grey data.
        ('8UC1', 1, 'mono'),
        ('8UC3', 3, 'bgr'),
        ('8UC4', 4, 'bgra'),
        # sensor_msgs/image_encodings: YUV422 is UYVY byte order, YUV422_YUY2 is YUYV.
        ('yuv422', 2, 'uyvy'),
        ('uyvy', 2, 'uyvy'),
        ('yuv422_yuy2', 2, 'yuyv'),
        ('yuyv', 2, 'yuyv'),
    ]
    return {name: Encoding(name, bpp, layout) for name, bpp, layout in entries}


ENCODINGS: Dict[str, Encoding] = _table()
"""Every encoding the pipeline accepts, by its sensor_msgs/Image name."""


class ImageFormatError(ValueError):
    """
    A frame whose size, step, encoding or data length cannot be trusted.

    `reason` is a short stable key (used as a diagnostics counter name); the message says
    which value was wrong and what a well-formed message would look like.
    """

    def __init__(self, reason: str, message: str) -> None:
        """Keep the counter key `reason` beside the human-readable `message`."""
        super().__init__(message)
        self.reason = reason


def lookup_encoding(name: str) -> Encoding:
    """Return the `Encoding` for a sensor_msgs/Image encoding string, or raise."""
    try:
        return ENCODINGS[name]
    except KeyError:
        raise ImageFormatError(
            'unknown_encoding',
            'unsupported image encoding %r; supported: %s (convert the camera output, e.g. '
            'with image_proc, to one of these)' % (name, ', '.join(sorted(ENCODINGS)))) from None


@dataclass(frozen=True)
class RawImage:
    """One frame: `height` rows of `step` bytes in `data` (uint8, shape (height, step))."""

    data: np.ndarray
    width: int
    height: int
    encoding: Encoding

    @property
    def step(self) -> int:
        """Bytes from the start of one row to the start of the next."""
        return int(self.data.shape[1])

    @property
    def row_bytes(self) -> int:
        """Bytes of pixel data in one row, without padding."""
        return self.width * self.encoding.bytes_per_pixel

    def pixels(self) -> np.ndarray:
        """Zero-copy (height, width, bytes_per_pixel) view without row padding."""
        return self.data[:, :self.row_bytes].reshape(
            self.height, self.width, self.encoding.bytes_per_pixel)

    @classmethod
    def from_buffer(cls, buffer, width: int, height: int, step: int, encoding: str,
                    max_pixels: Optional[int] = None) -> 'RawImage':
        """
        Wrap message bytes without copying, validating them as cv_bridge would.

        `buffer` is anything exposing the buffer protocol (bytes, bytearray, array.array,
        memoryview, a uint8 ndarray).  Raises `ImageFormatError` naming the bad field.
        """
        enc = lookup_encoding(encoding)
        check_dimensions(width, height, max_pixels)
        if enc.is_yuv422 and width % 2:
            raise ImageFormatError(
                'odd_width', '%s frames carry pixels in pairs; width %d is odd'
                % (enc.name, width))
        min_step = width * enc.bytes_per_pixel
        if step < min_step:
            raise ImageFormatError(
                'step_too_small', 'step %d is smaller than width %d x %d bytes per pixel = %d'
                ' for %s' % (step, width, enc.bytes_per_pixel, min_step, enc.name))
        try:
            flat = np.frombuffer(buffer, dtype=np.uint8)
        except (TypeError, ValueError) as exc:
            raise ImageFormatError(
                'bad_buffer', 'image data is not one contiguous byte buffer: %s' % exc) from None
        expected = height * step
        if flat.size != expected:
            reason = 'data_too_short' if flat.size < expected else 'data_too_long'
            raise ImageFormatError(
                reason, 'data holds %d bytes but height %d x step %d = %d'
                % (flat.size, height, step, expected))
        return cls(flat.reshape(height, step), width, height, enc)

    @classmethod
    def from_array(cls, array: np.ndarray, encoding: str) -> 'RawImage':
        """Wrap an (H, W[, C]) uint8 array; contiguous rows become the step without copying."""
        enc = lookup_encoding(encoding)
        if array.dtype != np.uint8:
            raise ImageFormatError(
                'bad_dtype', 'expected a uint8 array for %s, got %s' % (enc.name, array.dtype))
        shape: Tuple[int, ...] = array.shape
        per_pixel = 1 if array.ndim == 2 else shape[2]
        if array.ndim not in (2, 3) or per_pixel != enc.bytes_per_pixel:
            raise ImageFormatError(
                'bad_shape', 'array of shape %s does not hold %s pixels (%d bytes each)'
                % (shape, enc.name, enc.bytes_per_pixel))
        height, width = shape[0], shape[1]
        rows = np.ascontiguousarray(array).reshape(height, width * per_pixel)
        return cls.from_buffer(rows, width, height, width * per_pixel, enc.name)


def check_dimensions(width: int, height: int, max_pixels: Optional[int] = None) -> None:
    """Raise `ImageFormatError` for empty frames or frames over `max_pixels`."""
    if width <= 0 or height <= 0:
        raise ImageFormatError(
            'empty', 'image is %dx%d; width and height must both be positive' % (width, height))
    if max_pixels is not None and width * height > max_pixels:
        raise ImageFormatError(
            'too_large', 'image is %dx%d = %d pixels, over max_image_pixels=%d (raise the '
            'parameter if this camera really is that large)'
            % (width, height, width * height, max_pixels))
