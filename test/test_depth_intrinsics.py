# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Intrinsics from a camera_info's K, and scaling them with the image."""

import cv2
import numpy as np
import pytest

from trt_perception.core.depth.intrinsics import CameraIntrinsics

K = [615.0, 0.0, 321.5, 0.0, 614.0, 238.25, 0.0, 0.0, 1.0]


def test_k_is_read_row_major():
    k = CameraIntrinsics.from_k(K, 640, 480, 'cam')
    assert (k.fx, k.fy, k.cx, k.cy, k.width, k.height, k.frame_id) == (
        615.0, 614.0, 321.5, 238.25, 640, 480, 'cam')
    x, y = k.ray(*k.pixel(0.1, -0.2))
    assert (x, y) == pytest.approx((0.1, -0.2))


def test_uncalibrated_and_malformed_k_are_refused():
    with pytest.raises(ValueError, match='uncalibrated'):
        CameraIntrinsics.from_k([0.0] * 9, 640, 480)
    with pytest.raises(ValueError, match='9 numbers'):
        CameraIntrinsics.from_k(K[:6], 640, 480)
    with pytest.raises(ValueError, match='cx=nan'):
        CameraIntrinsics(600.0, 600.0, float('nan'), 240.0, 640, 480)
    with pytest.raises(ValueError, match='0x480'):
        CameraIntrinsics.from_k(K, 0, 480)


def test_scaling_follows_what_resizing_does_to_the_pixels():
    # A bright dot at a known pixel, resized by OpenCV (pixel-area, edges to edges), lands
    # where the scaled intrinsics project the same ray.
    k = CameraIntrinsics.from_k(K, 640, 480)
    image = np.zeros((480, 640), np.float64)
    image[300:304, 400:404] = 1.0  # centre (401.5, 301.5)
    small = cv2.resize(image, (320, 240), interpolation=cv2.INTER_AREA)
    rows, cols = np.nonzero(small)
    weights = small[rows, cols]
    found = (np.average(cols, weights=weights), np.average(rows, weights=weights))
    half = k.scaled(320, 240)
    assert half.pixel(*k.ray(401.5, 301.5)) == pytest.approx(found)
    assert (half.width, half.height, half.fx) == (320, 240, 307.5)
    back = half.scaled(640, 480)
    assert (back.cx, back.cy, back.fx, back.fy) == pytest.approx((k.cx, k.cy, k.fx, k.fy))
