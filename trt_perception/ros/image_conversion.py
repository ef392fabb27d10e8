# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
sensor_msgs Image/CompressedImage <-> frames, with cv_bridge's semantics.

* `image_to_raw` wraps the message bytes without copying (a `RawImage` view of `data` as
  `height` rows of `step` bytes), after the checks cv_bridge makes: known encoding, positive
  size, `step` >= width x bytes per pixel, `data` exactly height x step bytes.  Every supported
  encoding has one byte per channel, so `is_bigendian` cannot change the pixels (cv_bridge
  byte-swaps only multi-byte channels) and is ignored.
* `compressed_to_raw` decodes JPEG/PNG (image_transport's "compressed" format) to bgr8, reading
  the size from the file header first so a small message claiming a huge image is refused
  before anything is allocated.
* `array_to_image` / `array_to_compressed` build messages from arrays as cv2_to_imgmsg and
  image_transport's compressed publisher do.
"""

import struct
import sys
from typing import Optional, Tuple

import cv2
import numpy as np
from sensor_msgs.msg import CompressedImage, Image

from trt_perception.core.image import check_dimensions, ImageFormatError, RawImage

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
# JPEG start-of-frame markers (SOF0..SOF15 without DHT, JPG and DAC) carry the frame size.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_to_raw(msg: Image, max_pixels: Optional[int] = None) -> RawImage:
    """Wrap a sensor_msgs/Image as a zero-copy `RawImage`; raise `ImageFormatError`."""
    return RawImage.from_buffer(msg.data, msg.width, msg.height, msg.step, msg.encoding,
                                max_pixels)


def compressed_size(data: bytes) -> Optional[Tuple[int, int]]:
    """Read (width, height) from a PNG or JPEG header; None for other or truncated data."""
    if data[:8] == _PNG_SIGNATURE and data[12:16] == b'IHDR' and len(data) >= 24:
        return struct.unpack('>II', data[16:24])
    if data[:2] != b'\xff\xd8':
        return None
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:
            offset += 1
            continue
        length = struct.unpack('>H', data[offset + 2:offset + 4])[0]
        if marker in _JPEG_SOF:
            if offset + 9 > len(data):
                return None
            height, width = struct.unpack('>HH', data[offset + 5:offset + 9])
            return width, height
        offset += 2 + length
    return None


def compressed_to_raw(msg: CompressedImage, max_pixels: Optional[int] = None) -> RawImage:
    """Decode a JPEG/PNG sensor_msgs/CompressedImage to a bgr8 `RawImage`."""
    if 'compressedDepth' in msg.format:
        raise ImageFormatError(
            'unsupported_format', 'format %r is a depth image; only colour/mono JPEG or PNG '
            '("compressed" transport) can be detected on' % msg.format)
    data = bytes(msg.data)
    size = compressed_size(data)
    if size is not None:
        check_dimensions(size[0], size[1], max_pixels)
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR) if data else None
    if bgr is None:
        raise ImageFormatError(
            'undecodable', 'could not decode %d bytes of compressed image (format %r); the '
            'publisher must send JPEG or PNG data' % (len(data), msg.format))
    check_dimensions(bgr.shape[1], bgr.shape[0], max_pixels)
    return RawImage.from_array(bgr, 'bgr8')


def array_to_image(array: np.ndarray, encoding: str, header=None) -> Image:
    """Build a sensor_msgs/Image of an (H, W[, C]) uint8 array, rows packed (no padding)."""
    raw = RawImage.from_array(array, encoding)
    msg = Image(height=raw.height, width=raw.width, encoding=raw.encoding.name,
                is_bigendian=int(sys.byteorder == 'big'), step=raw.step)
    if header is not None:
        msg.header = header
    msg.data = raw.data.tobytes()
    return msg


def array_to_compressed(bgr: np.ndarray, header=None, quality: int = 90) -> CompressedImage:
    """Build a JPEG sensor_msgs/CompressedImage of a BGR (or mono) array."""
    ok, encoded = cv2.imencode('.jpg', bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError('OpenCV could not JPEG-encode an array of shape %s' % (bgr.shape,))
    encoding = 'mono8' if bgr.ndim == 2 else 'bgr8'
    msg = CompressedImage(format='%s; jpeg compressed %s' % (encoding, encoding))
    if header is not None:
        msg.header = header
    msg.data = encoded.tobytes()
    return msg
