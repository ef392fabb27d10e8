# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Depth frames from message bytes: encodings, step, byte order, and the refusals."""

import struct

import numpy as np
import pytest

from trt_perception.core.depth.image import DepthImage
from trt_perception.core.image import ImageFormatError


def _packed(values, encoding, bigendian, padding):
    """Message bytes written pixel by pixel with struct (independent of numpy's dtypes)."""
    code = ('>' if bigendian else '<') + ('H' if encoding == '16UC1' else 'f')
    return b''.join(b''.join(struct.pack(code, value) for value in row) + b'\x07' * padding
                    for row in values)


@pytest.mark.parametrize('bigendian', [False, True])
@pytest.mark.parametrize('padding', [0, 3, 8])
def test_16uc1_millimetres_read_as_metres(rng, bigendian, padding):
    values = rng.integers(0, 65536, (5, 7)).tolist()
    data = _packed(values, '16UC1', bigendian, padding)
    depth = DepthImage.from_buffer(data, 7, 5, 14 + padding, '16UC1', bigendian)
    assert (depth.width, depth.height, depth.encoding) == (7, 5, '16UC1')
    np.testing.assert_array_equal(depth.data, values)
    np.testing.assert_allclose(depth.metres(slice(None), slice(None)),
                               np.array(values) / 1000.0, rtol=1e-12)


@pytest.mark.parametrize('bigendian', [False, True])
def test_32fc1_metres_with_nan(rng, bigendian):
    values = rng.uniform(0.2, 9.0, (4, 6)).astype(np.float32)
    values[1, 2] = np.nan
    data = _packed(values.tolist(), '32FC1', bigendian, 4)
    depth = DepthImage.from_buffer(bytearray(data), 6, 4, 28, '32FC1', bigendian)
    np.testing.assert_array_equal(depth.metres(slice(1, 3), slice(0, 6)),
                                  values[1:3].astype(np.float64))


def test_the_message_bytes_are_not_copied():
    buffer = np.arange(2 * 3 * 2, dtype=np.uint8)
    depth = DepthImage.from_buffer(buffer, 3, 2, 6, '16UC1')
    assert np.shares_memory(depth.data, buffer)


@pytest.mark.parametrize('encoding, width, height, step, size, reason', [
    ('mono8', 4, 4, 4, 16, 'unknown_encoding'),
    ('16UC3', 4, 4, 24, 96, 'unknown_encoding'),
    ('16UC1', 4, 4, 7, 28, 'step_too_small'),
    ('32FC1', 4, 4, 12, 48, 'step_too_small'),
    ('16UC1', 4, 4, 8, 31, 'data_too_short'),
    ('16UC1', 4, 4, 8, 33, 'data_too_long'),
    ('32FC1', 0, 4, 16, 0, 'empty'),
])
def test_malformed_frames_are_refused(encoding, width, height, step, size, reason):
    with pytest.raises(ImageFormatError) as caught:
        DepthImage.from_buffer(bytes(size), width, height, step, encoding)
    assert caught.value.reason == reason
    if reason == 'unknown_encoding':
        assert '16UC1' in str(caught.value) and '32FC1' in str(caught.value)
    if reason.startswith('data'):
        assert str(size) in str(caught.value) and '32' in str(caught.value)


def test_frames_over_the_pixel_limit_are_refused():
    with pytest.raises(ImageFormatError, match='max_image_pixels') as caught:
        DepthImage.from_buffer(bytes(2 * 100), 10, 10, 20, '16UC1', max_pixels=99)
    assert caught.value.reason == 'too_large'


def test_from_array_takes_the_two_depth_types_only():
    assert DepthImage.from_array(np.zeros((3, 4), np.uint16)).encoding == '16UC1'
    assert DepthImage.from_array(np.zeros((3, 4), np.float32)).encoding == '32FC1'
    with pytest.raises(ImageFormatError, match='uint16') as caught:
        DepthImage.from_array(np.zeros((3, 4), np.float64))
    assert caught.value.reason == 'bad_dtype'
    with pytest.raises(ImageFormatError) as caught:
        DepthImage.from_array(np.zeros((3, 4, 1), np.uint16))
    assert caught.value.reason == 'bad_shape'
