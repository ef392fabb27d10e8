# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Raw camera frames as they arrive in a sensor_msgs/Image, with cv_bridge's encoding rules.

A `RawImage` is a zero-copy view of the message bytes: `height` rows of `step` bytes, of which
the first `width * bytes_per_pixel` hold pixels and the rest is row padding.  Both the CPU and
the GPU preprocessors read this layout directly, so no conversion happens before them.

`read_compressed_header` reads the format and declared size of a JPEG or PNG file the way the
decoders will, so a compressed frame's size is checked before a single pixel is decoded.
"""

from dataclasses import dataclass
import struct
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


@dataclass(frozen=True)
class CompressedHeader:
    """The codec ('jpeg' or 'png') and declared size of a compressed frame."""

    codec: str
    width: int
    height: int


_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
# OpenCV hands data starting with these bytes to libjpeg.
_JPEG_SIGNATURE = b'\xff\xd8\xff'
# JPEG start-of-frame markers (SOF0..SOF15 without DHT, JPG and DAC) carry the frame size.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field: TEM and the restart markers.
_JPEG_STANDALONE = frozenset([0x01]) | frozenset(range(0xD0, 0xD8))
_JPEG_SOI, _JPEG_EOI, _JPEG_SOS = 0xD8, 0xD9, 0xDA
# Formats OpenCV would also decode, named in the refusal so the publisher knows what it sent.
_OTHER_FORMATS = ((b'BM', 'BMP'), (b'GIF8', 'GIF'), (b'II*\x00', 'TIFF'), (b'MM\x00*', 'TIFF'),
                  (b'RIFF', 'WebP'), (b'\x00\x00\x00\x0cjP', 'JPEG 2000'),
                  (b'\xffO\xffQ', 'JPEG 2000'), (b'v/1\x01', 'OpenEXR'), (b'#?RADIANCE', 'HDR'),
                  (b'P1', 'PBM'), (b'P2', 'PGM'), (b'P3', 'PPM'), (b'P4', 'PBM'),
                  (b'P5', 'PGM'), (b'P6', 'PPM'), (b'P7', 'PAM'), (b'PF', 'PFM'),
                  (b'\x59\xa6\x6a\x95', 'Sun raster'))


def read_compressed_header(data: bytes) -> CompressedHeader:
    """
    Read a JPEG or PNG frame's codec and declared size; raise `ImageFormatError` else.

    The JPEG reader walks the markers as libjpeg does, skipping stray bytes between segments,
    and takes the first start-of-frame; a frame header libjpeg would not reach is refused, so
    the size checked is the size that would be decoded.
    """
    if data[:8] == _PNG_SIGNATURE:
        return _png_header(data)
    if data[:3] == _JPEG_SIGNATURE:
        return _jpeg_header(data)
    if not data:
        raise ImageFormatError('undecodable', 'compressed image data is empty')
    named = [name for signature, name in _OTHER_FORMATS if data.startswith(signature)]
    raise ImageFormatError(
        'unsupported_format', 'compressed data starting %s%s is neither JPEG nor PNG; only '
        'those two are decoded (publish with image_transport\'s "compressed" plugin)'
        % (data[:8].hex(), ' (%s)' % named[0] if named else ''))


def _png_header(data: bytes) -> CompressedHeader:
    # The PNG specification (and libpng) requires IHDR as the first chunk.
    if len(data) < 24 or data[12:16] != b'IHDR':
        raise ImageFormatError(
            'bad_header', 'PNG data of %d bytes has no IHDR chunk after its signature, so its '
            'size is unknown' % len(data))
    width, height = struct.unpack('>II', data[16:24])
    return CompressedHeader('png', width, height)


def _jpeg_header(data: bytes) -> CompressedHeader:
    offset = 2
    end = len(data)
    while True:
        # libjpeg's next_marker: skip anything up to an 0xFF, then fill bytes (more 0xFF);
        # an 0xFF followed by 0x00 is not a marker and is skipped too.
        while offset < end and data[offset] != 0xFF:
            offset += 1
        while offset < end and data[offset] == 0xFF:
            offset += 1
        if offset >= end:
            break
        marker = data[offset]
        offset += 1
        if marker == 0x00 or marker in _JPEG_STANDALONE:
            continue
        if marker in (_JPEG_SOI, _JPEG_EOI, _JPEG_SOS):
            raise ImageFormatError(
                'bad_header', 'JPEG data reaches marker 0x%02X at byte %d before any frame '
                'header (SOF), so its size is unknown' % (marker, offset - 1))
        if offset + 2 > end:
            break
        length = struct.unpack('>H', data[offset:offset + 2])[0]
        if length < 2:
            raise ImageFormatError(
                'bad_header', 'JPEG segment 0x%02X at byte %d has length %d (at least 2)'
                % (marker, offset - 1, length))
        if marker in _JPEG_SOF:
            if offset + 7 > end:
                break
            height, width = struct.unpack('>HH', data[offset + 3:offset + 7])
            return CompressedHeader('jpeg', width, height)
        offset += length
    raise ImageFormatError(
        'bad_header', 'JPEG data of %d bytes ends before its frame header (SOF), so its size '
        'is unknown' % len(data))
