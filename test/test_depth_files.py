# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Depth and intrinsics from files, and positions in metres, as the offline runner uses them."""

import textwrap

import cv2
from depth_scene import detections, encode, Plate, render
import numpy as np
import pytest

from trt_perception.core.depth.files import describe, load_depth, load_intrinsics, locate
from trt_perception.core.depth.image import DepthImage
from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.depth.pairing import PairingError

K = CameraIntrinsics(600.0, 600.0, 319.5, 239.5, 640, 480)


def test_a_16_bit_png_holds_millimetres(tmp_path, rng):
    millimetres = rng.integers(0, 65535, (48, 64)).astype(np.uint16)
    path = str(tmp_path / 'depth.png')
    cv2.imwrite(path, millimetres)
    depth = load_depth(path)
    assert depth.encoding == '16UC1'
    np.testing.assert_array_equal(depth.data, millimetres)


def test_npy_holds_metres_or_millimetres(tmp_path, rng):
    metres = rng.uniform(0.1, 9.0, (8, 10))
    np.save(str(tmp_path / 'm.npy'), metres)
    depth = load_depth(str(tmp_path / 'm.npy'))
    assert depth.encoding == '32FC1'
    np.testing.assert_allclose(depth.metres(slice(None), slice(None)), metres, rtol=1e-6)
    np.save(str(tmp_path / 'mm.npy'), (metres * 1000).astype(np.uint16))
    assert load_depth(str(tmp_path / 'mm.npy')).encoding == '16UC1'


def test_files_that_are_not_depth_are_refused(tmp_path):
    cv2.imwrite(str(tmp_path / 'colour.png'), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match='uint8 array of shape \\(4, 4, 3\\)'):
        load_depth(str(tmp_path / 'colour.png'))
    with pytest.raises(ValueError, match='16-bit PNG'):
        load_depth(str(tmp_path / 'missing.png'))
    (tmp_path / 'bad.npy').write_bytes(b'not numpy')
    with pytest.raises(ValueError, match='bad.npy'):
        load_depth(str(tmp_path / 'bad.npy'))


def test_intrinsics_as_four_numbers():
    assert load_intrinsics('600,600,319.5,239.5', 640, 480) == K
    with pytest.raises(ValueError, match='fx,fy,cx,cy'):
        load_intrinsics('600,600,a,239.5', 640, 480)


def test_intrinsics_from_camera_info_yaml(tmp_path):
    pytest.importorskip('yaml', reason='PyYAML (python3-yaml) reads camera_info files')
    calibration = tmp_path / 'calibration.yaml'
    calibration.write_text(textwrap.dedent("""\
        image_width: 640
        image_height: 480
        camera_name: narrow_stereo
        camera_matrix:
          rows: 3
          cols: 3
          data: [600.0, 0.0, 319.5, 0.0, 600.0, 239.5, 0.0, 0.0, 1.0]
        distortion_model: plumb_bob
        distortion_coefficients: {rows: 1, cols: 5, data: [0, 0, 0, 0, 0]}
        """))
    assert load_intrinsics(str(calibration), 1, 1) == CameraIntrinsics(
        600.0, 600.0, 319.5, 239.5, 640, 480, 'narrow_stereo')
    echoed = tmp_path / 'echo.yaml'
    echoed.write_text(textwrap.dedent("""\
        header:
          stamp: {sec: 1, nanosec: 2}
          frame_id: camera_depth_optical_frame
        height: 480
        width: 640
        distortion_model: plumb_bob
        d: [0.0, 0.0, 0.0, 0.0, 0.0]
        k: [600.0, 0.0, 319.5, 0.0, 600.0, 239.5, 0.0, 0.0, 1.0]
        ---
        """))
    assert load_intrinsics(str(echoed), 1, 1).frame_id == 'camera_depth_optical_frame'
    odd = tmp_path / 'odd.yaml'
    odd.write_text('fx: 600\n')
    broken = tmp_path / 'broken.yaml'
    broken.write_text('k: [1, 2\n')
    with pytest.raises(ValueError, match='not YAML'):
        load_intrinsics(str(broken), 1, 1)
    with pytest.raises(ValueError, match='neither'):
        load_intrinsics(str(odd), 1, 1)
    with pytest.raises(ValueError, match='fx,fy,cx,cy'):
        load_intrinsics(str(tmp_path / 'missing.yaml'), 1, 1)


def test_positions_in_metres_for_one_image(tmp_path):
    plate = Plate((0.2, 0.1, 2.0), 0.4, 0.6)
    depth, seen = render(K, [plate])
    path = str(tmp_path / 'depth.png')
    cv2.imwrite(path, encode(depth, '16UC1'))
    plain = detections(K, [plate], seen, masks=False)
    (found,) = locate(plain, 640, 480, load_depth(path),
                      load_intrinsics('600,600,319.5,239.5', 640, 480))
    assert describe(found) == 'plate0 0.90 at x=+0.20 y=+0.10 z=2.00 m, 0.40 x 0.60 x 0.00 m'
    with pytest.raises(PairingError, match='not aligned'):
        locate(plain, 1280, 720, load_depth(path), K)
    (empty,) = locate(plain, 640, 480, DepthImage.from_array(np.zeros((480, 640), np.uint16)), K)
    assert describe(empty) == 'plate0 0.90: no valid depth'
