# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for sensor_msgs Image/CompressedImage conversion (cv_bridge semantics)."""

import struct

import cv2
import numpy as np
import pytest
from ros_imports import ros_imports

with ros_imports():
    import sensor_msgs.msg as sensor_msgs

from trt_perception.core.image import ENCODINGS, ImageFormatError
from trt_perception.ros.image_conversion import (
    array_to_compressed, array_to_image, compressed_size, compressed_to_raw, image_to_raw)


def _message(rng, encoding, width, height, padding):
    """Build a sensor_msgs/Image of random pixels whose rows end in `padding` bytes."""
    bpp = ENCODINGS[encoding].bytes_per_pixel
    step = width * bpp + padding
    data = rng.integers(0, 256, height * step, dtype=np.uint8).tobytes()
    return sensor_msgs.Image(width=width, height=height, step=step, encoding=encoding,
                             is_bigendian=int(rng.integers(0, 2)), data=data)


def _decode_by_hand(msg):
    """Pixels read byte by byte from the message, independently of numpy views."""
    bpp = ENCODINGS[msg.encoding].bytes_per_pixel
    data = bytes(msg.data)
    return [[list(data[r * msg.step + c * bpp:r * msg.step + (c + 1) * bpp])
             for c in range(msg.width)] for r in range(msg.height)]


@pytest.mark.parametrize('encoding', sorted(ENCODINGS))
def test_image_to_raw_reads_every_encoding_with_padding_without_copying(rng, encoding):
    width = 2 * int(rng.integers(1, 12))
    height = int(rng.integers(1, 10))
    msg = _message(rng, encoding, width, height, int(rng.integers(0, 7)))
    raw = image_to_raw(msg)
    assert raw.pixels().tolist() == _decode_by_hand(msg)
    assert (raw.width, raw.height, raw.step, raw.encoding.name) == (
        width, height, msg.step, encoding)
    assert np.shares_memory(raw.data, np.frombuffer(msg.data, dtype=np.uint8))


def _bad(msg, **fields):
    for name, value in fields.items():
        setattr(msg, name, value)
    return msg


@pytest.mark.parametrize('reason, change', [
    ('unknown_encoding', {'encoding': 'bayer_rggb8'}),
    ('unknown_encoding', {'encoding': ''}),
    ('empty', {'width': 0, 'step': 0, 'data': b''}),
    ('empty', {'height': 0, 'data': b''}),
    ('step_too_small', {'step': 3 * 16 - 1}),
    ('data_too_short', {'data': bytes(3 * 16 * 8 - 1)}),
    ('data_too_long', {'data': bytes(3 * 16 * 8 + 1)}),
])
def test_bad_images_raise_with_a_reason(rng, reason, change):
    msg = _bad(_message(rng, 'bgr8', 16, 8, 0), **change)
    with pytest.raises(ImageFormatError) as info:
        image_to_raw(msg)
    assert info.value.reason == reason


def test_max_pixels_refuses_absurd_sizes_before_touching_data(rng):
    msg = sensor_msgs.Image(width=100000, height=100000, step=300000, encoding='bgr8')
    with pytest.raises(ImageFormatError) as info:
        image_to_raw(msg, max_pixels=4096 * 4096)
    assert info.value.reason == 'too_large'
    small = _message(rng, 'mono8', 10, 10, 0)
    assert image_to_raw(small, max_pixels=100).width == 10
    with pytest.raises(ImageFormatError):
        image_to_raw(small, max_pixels=99)


@pytest.mark.parametrize('encoding, channels', [('bgr8', 3), ('rgb8', 3), ('mono8', None),
                                                ('bgra8', 4)])
def test_array_to_image_round_trips(rng, encoding, channels):
    shape = (int(rng.integers(1, 30)), int(rng.integers(1, 30)))
    shape += (channels,) if channels else ()
    array = rng.integers(0, 256, shape, dtype=np.uint8)
    header = sensor_msgs.Image().header
    header.frame_id = 'cam'
    msg = array_to_image(array, encoding, header)
    assert msg.step == shape[1] * (channels or 1) and msg.header.frame_id == 'cam'
    assert msg.is_bigendian in (0, 1)
    np.testing.assert_array_equal(image_to_raw(msg).pixels().reshape(shape), array)


def test_png_compressed_image_decodes_losslessly(rng):
    bgr = rng.integers(0, 256, (int(rng.integers(1, 60)), int(rng.integers(1, 60)), 3),
                       dtype=np.uint8)
    ok, png = cv2.imencode('.png', bgr)
    msg = sensor_msgs.CompressedImage(format='png', data=png.tobytes())
    raw = compressed_to_raw(msg)
    assert raw.encoding.name == 'bgr8'
    np.testing.assert_array_equal(raw.pixels(), bgr)


def test_jpeg_compressed_image_matches_pillow(rng):
    pil = pytest.importorskip('PIL.Image')
    import io
    smooth = cv2.GaussianBlur(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), (9, 9), 3)
    msg = array_to_compressed(smooth)
    assert msg.format == 'bgr8; jpeg compressed bgr8'
    reference = np.asarray(pil.open(io.BytesIO(bytes(msg.data))).convert('RGB'))[:, :, ::-1]
    decoded = compressed_to_raw(msg).pixels()
    assert decoded.shape == reference.shape
    # Two JPEG decoders may round the inverse DCT differently, by a level or two.
    assert np.abs(decoded.astype(int) - reference.astype(int)).max() <= 3


def test_compressed_size_reads_png_and_jpeg_headers(rng):
    for extension in ('.png', '.jpg'):
        height, width = int(rng.integers(1, 300)), int(rng.integers(1, 300))
        ok, data = cv2.imencode(extension, np.zeros((height, width, 3), np.uint8))
        assert compressed_size(data.tobytes()) == (width, height)
    assert compressed_size(b'not an image') is None
    assert compressed_size(b'\xff\xd8\xff') is None


def _png_claiming(width, height):
    """Build a PNG signature and IHDR chunk for a huge image, with no pixels behind it."""
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + struct.pack('>I', len(ihdr)) + b'IHDR' + ihdr + bytes(4)


@pytest.mark.parametrize('reason, fmt, data', [
    ('undecodable', 'jpeg', b'\xff\xd8\xff\xe0 definitely not a jpeg'),
    ('undecodable', 'png', b''),
    ('too_large', 'png', _png_claiming(100000, 100000)),
    ('empty', 'png', _png_claiming(0, 10)),
    ('unsupported_format', '16UC1; compressedDepth png', b'\x00' * 40),
])
def test_bad_compressed_images_raise_with_a_reason(reason, fmt, data):
    with pytest.raises(ImageFormatError) as info:
        compressed_to_raw(sensor_msgs.CompressedImage(format=fmt, data=data),
                          max_pixels=4096 * 4096)
    assert info.value.reason == reason


def test_results_equal_ros2_cv_bridge_where_installed(rng):
    cv_bridge = pytest.importorskip('cv_bridge')
    if not hasattr(cv_bridge, 'CvBridge'):
        pytest.skip('the cv_bridge module here is not ROS 2 cv_bridge')
    bridge = cv_bridge.CvBridge()
    for encoding in ('bgr8', 'rgb8', 'mono8', 'bgra8', 'rgba8', '8UC3'):
        msg = _message(rng, encoding, int(rng.integers(1, 20)), int(rng.integers(1, 20)),
                       int(rng.integers(0, 5)))
        expected = bridge.imgmsg_to_cv2(msg)
        got = image_to_raw(msg).pixels()
        np.testing.assert_array_equal(got.reshape(expected.shape), expected)
