# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for reading the declared size of compressed frames (core/image.py)."""

import struct

import cv2
import numpy as np
import pytest

from trt_perception.core.image import ImageFormatError, read_compressed_header


@pytest.mark.parametrize('extension, name', [('.png', 'png'), ('.jpg', 'jpeg')])
def test_reads_the_size_opencv_writes(rng, extension, name):
    for _ in range(5):
        height, width = int(rng.integers(1, 300)), int(rng.integers(1, 300))
        ok, data = cv2.imencode(extension, np.zeros((height, width, 3), np.uint8))
        header = read_compressed_header(data.tobytes())
        assert (header.codec, header.width, header.height) == (name, width, height)


def test_progressive_jpeg_and_restart_markers(rng):
    image = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    for params in ([cv2.IMWRITE_JPEG_PROGRESSIVE, 1], [cv2.IMWRITE_JPEG_RST_INTERVAL, 1]):
        ok, data = cv2.imencode('.jpg', image, params)
        header = read_compressed_header(data.tobytes())
        assert (header.width, header.height) == (53, 37)


def test_fill_bytes_and_stray_bytes_between_segments_are_skipped():
    ok, data = cv2.imencode('.jpg', np.zeros((9, 11, 3), np.uint8))
    data = data.tobytes()
    sof = data.index(b'\xff\xc0')
    for stray in (b'\x00', b'\xff\xff', b'abc\xff\x00xyz'):
        header = read_compressed_header(data[:sof] + stray + data[sof:])
        assert (header.width, header.height) == (11, 9), stray


@pytest.mark.parametrize('reason, data', [
    ('undecodable', b''),
    ('unsupported_format', b'BM' + bytes(60)),
    ('unsupported_format', b'not an image'),
    ('bad_header', b'\xff\xd8\xff'),
    ('bad_header', b'\xff\xd8\xff\xe0\x00\x01'),
    ('bad_header', b'\xff\xd8\xff\xda\x00\x08'),
    ('bad_header', b'\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00'),
])
def test_headers_without_a_size_are_refused(reason, data):
    with pytest.raises(ImageFormatError) as info:
        read_compressed_header(data)
    assert info.value.reason == reason


def test_png_size_is_read_from_ihdr():
    ihdr = struct.pack('>IIBBBBB', 123456, 7, 8, 2, 0, 0, 0)
    data = b'\x89PNG\r\n\x1a\n' + struct.pack('>I', 13) + b'IHDR' + ihdr + bytes(4)
    header = read_compressed_header(data)
    assert (header.codec, header.width, header.height) == ('png', 123456, 7)
