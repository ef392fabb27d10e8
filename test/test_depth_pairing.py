# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Pairing depth with colour frames by stamp, and every reason a pairing fails."""

import threading

import numpy as np
import pytest

from trt_perception.core.depth.image import DepthImage
from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.depth.pairing import DepthPairer, PairingError

K = CameraIntrinsics(600.0, 600.0, 319.5, 239.5, 640, 480, 'depth_frame')


def _depth(width=640, height=480, value=2000):
    return DepthImage.from_array(np.full((height, width), value, np.uint16))


def _failure(pairer, stamp=1.0, width=640, height=480, tolerance=0.02):
    with pytest.raises(PairingError) as caught:
        pairer.pair(stamp, width, height, tolerance)
    return caught.value


def test_the_nearest_depth_within_the_tolerance_is_paired():
    pairer = DepthPairer(5)
    pairer.set_intrinsics(K)
    frames = {stamp: _depth(value=int(stamp * 1000)) for stamp in (1.0, 1.033, 1.066)}
    for stamp, depth in frames.items():
        pairer.add_depth(stamp, depth)
    paired = pairer.pair(1.04, 640, 480, 0.02)
    assert paired.depth is frames[1.033]
    assert paired.offset == pytest.approx(-0.007)
    assert paired.intrinsics == K
    assert (paired.scale, paired.shift) == ((1.0, 1.0), (0.0, 0.0))
    assert pairer.pair(0.99, 640, 480, 0.02).depth is frames[1.0]


def test_only_the_last_frames_are_kept():
    pairer = DepthPairer(2)
    pairer.set_intrinsics(K)
    for stamp in (1.0, 2.0, 3.0):
        pairer.add_depth(stamp, _depth())
    error = _failure(pairer, stamp=1.0)
    assert error.reason == 'stamp_mismatch' and '-1.000 s' in str(error).replace('+', '-')


def test_failures_name_their_reason():
    pairer = DepthPairer(3)
    assert _failure(pairer).reason == 'no_depth'
    pairer.add_depth(1.0, _depth())
    error = _failure(pairer)
    assert error.reason == 'no_camera_info' and 'camera_info' in str(error)
    pairer.set_intrinsics(K)
    error = _failure(pairer, stamp=1.5)
    assert error.reason == 'stamp_mismatch'
    assert '-0.500 s' in str(error) and 'depth.stamp_tolerance=0.02' in str(error)
    error = _failure(pairer, width=1280, height=720)
    assert error.reason == 'size_mismatch' and '1280x720' in str(error)


def test_depth_and_its_camera_info_of_other_shapes_are_refused():
    pairer = DepthPairer(3)
    pairer.set_intrinsics(K)
    pairer.add_depth(1.0, _depth(848, 480))
    error = _failure(pairer, width=848)
    assert error.reason == 'size_mismatch' and '848x480' in str(error) and '640x480' in str(error)


def test_depth_at_another_resolution_maps_through_the_intrinsics():
    pairer = DepthPairer(3)
    pairer.set_intrinsics(K)  # of the colour size; the depth is half of it
    pairer.add_depth(1.0, _depth(320, 240))
    paired = pairer.pair(1.0, 640, 480, 0.0)
    assert paired.intrinsics == K.scaled(320, 240)
    # colour pixel (319.5, 239.5), the principal point, is depth pixel (159.5, 119.5)
    u = paired.scale[0] * 319.5 + paired.shift[0]
    v = paired.scale[1] * 239.5 + paired.shift[1]
    assert (u, v) == pytest.approx((159.5, 119.5))
    # and colour pixel edge -0.5 is depth pixel edge -0.5
    assert paired.scale[0] * -0.5 + paired.shift[0] == pytest.approx(-0.5)


def test_depth_arriving_on_another_thread_while_pairing():
    pairer = DepthPairer(4)
    pairer.set_intrinsics(K)
    depth = _depth()
    pairer.add_depth(0.0, depth)
    done = threading.Event()

    def feed():
        for index in range(1, 3000):
            pairer.add_depth(index * 0.001, depth)
        done.set()

    thread = threading.Thread(target=feed)
    thread.start()
    while not done.is_set():
        assert pairer.pair(1.0, 640, 480, 10.0).depth is depth
    thread.join()
    assert pairer.pair(2.999, 640, 480, 0.0).offset == pytest.approx(0.0)
