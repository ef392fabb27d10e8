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
  the size from the file header first (`read_compressed_header`) so a small message claiming a
  huge image is refused before anything is allocated.  Other formats OpenCV could decode
  (BMP, TIFF, WebP, ...) are refused: their decoders are not bounded by a header check.
* `array_to_image` / `array_to_compressed` build messages from arrays as cv2_to_imgmsg and
  image_transport's compressed publisher do.
"""

import sys
from typing import Optional

import cv2
import numpy as np
from sensor_msgs.msg import CompressedImage, Image

from trt_perception.core.image import (check_dimensions, ImageFormatError, RawImage,
                                       read_compressed_header)


def image_to_raw(msg: Image, max_pixels: Optional[int] = None) -> RawImage:
    """Wrap a sensor_msgs/Image as a zero-copy `RawImage`; raise `ImageFormatError`."""
    return RawImage.from_buffer(msg.data, msg.width, msg.height, msg.step, msg.encoding,
                                max_pixels)


def compressed_to_raw(msg: CompressedImage, max_pixels: Optional[int] = None) -> RawImage:
    """Decode a JPEG/PNG sensor_msgs/CompressedImage to a bgr8 `RawImage`."""
    if 'compressedDepth' in msg.format:
        raise ImageFormatError(
            'unsupported_format', 'format %r is a depth image; only colour/mono JPEG or PNG '
            '("compressed" transport) can be detected on' % msg.format)
    data = bytes(msg.data)
    header = read_compressed_header(data)
    check_dimensions(header.width, header.height, max_pixels)
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ImageFormatError(
            'undecodable', 'could not decode %d bytes of %s data (format %r, declaring %dx%d)'
            % (len(data), header.codec.upper(), msg.format, header.width, header.height))
    # EXIF orientation may swap width and height; the pixel count is what was checked.
    if bgr.shape[0] * bgr.shape[1] != header.width * header.height:
        raise ImageFormatError(
            'bad_header', '%s header declares %dx%d but %dx%d was decoded'
            % (header.codec.upper(), header.width, header.height, bgr.shape[1], bgr.shape[0]))
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
