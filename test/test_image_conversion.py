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
    array_to_compressed, array_to_image, compressed_to_raw, image_to_raw)


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


def _png_claiming(width, height):
    """Build a PNG signature and IHDR chunk for a huge image, with no pixels behind it."""
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + struct.pack('>I', len(ihdr)) + b'IHDR' + ihdr + bytes(4)


def _jpeg(width=16, height=8):
    ok, data = cv2.imencode('.jpg', np.full((height, width, 3), 90, np.uint8))
    return data.tobytes()


def _jpeg_bomb(stray=b'\x00'):
    """Build a small JPEG whose frame header claims 20000x20000, `stray` bytes before it."""
    data = _jpeg()
    sof = data.index(b'\xff\xc0')
    header = bytearray(data[sof:sof + 9])
    header[5:9] = struct.pack('>HH', 20000, 20000)
    return data[:sof] + stray + bytes(header) + data[sof + 9:]


def _bmp_bomb():
    """Build a 1,080-byte RLE8 BMP declaring 20000x20000 (OpenCV decodes it for seconds)."""
    info = struct.pack('<IiiHHIIiiII', 40, 20000, 20000, 1, 8, 1, 1080 - 54 - 1024, 2835, 2835,
                       256, 0)
    pixels = bytes(1080 - 14 - len(info) - 1024)
    return (b'BM' + struct.pack('<IHHI', 1080, 0, 0, 14 + 40 + 1024) + info + bytes(1024)
            + pixels)


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if OpenCV is asked to decode anything."""
    def refuse(*args, **kwargs):
        raise AssertionError('cv2.imdecode was called: the size check came too late')
    monkeypatch.setattr(cv2, 'imdecode', refuse)


@pytest.mark.parametrize('reason, data', [
    # Issue 12: one stray byte before the SOF marker hid the size from the old header reader,
    # and OpenCV decoded all 400 megapixels.
    ('too_large', _jpeg_bomb()),
    ('too_large', _jpeg_bomb(b'garbage\x00\xff\x00')),
    ('too_large', _jpeg_bomb(b'\xff\xff\xff')),
    ('unsupported_format', _bmp_bomb()),
    ('unsupported_format', b'GIF89a' + bytes(40)),
    ('bad_header', _jpeg()[:_jpeg().index(b'\xff\xc0')] + _jpeg()[_jpeg().index(b'\xff\xda'):]),
    ('bad_header', b'\x89PNG\r\n\x1a\n' + bytes(4) + b'IDAT' + bytes(20)),
])
def test_size_bombs_and_other_formats_are_refused_before_decoding(no_decoding, reason, data):
    with pytest.raises(ImageFormatError) as info:
        compressed_to_raw(sensor_msgs.CompressedImage(format='jpeg', data=data),
                          max_pixels=7680 * 4320)
    assert info.value.reason == reason


def test_stray_bytes_before_a_marker_still_decode_as_libjpeg_reads_them():
    data = _jpeg(24, 10)
    sof = data.index(b'\xff\xc0')
    padded = data[:sof] + b'\x00\x17' + data[sof:]
    raw = compressed_to_raw(sensor_msgs.CompressedImage(format='jpeg', data=padded))
    assert (raw.width, raw.height) == (24, 10)


@pytest.mark.parametrize('reason, fmt, data', [
    ('undecodable', 'jpeg', b'\xff\xd8\xff\xe0\x00\x10JFIF\x00' + bytes(9)
     + b'\xff\xc0\x00\x11\x08\x00\x08\x00\x08\x03' + bytes(9)),
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
