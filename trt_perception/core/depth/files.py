# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Depth images and intrinsics from files, for the offline runner (``detect``).

A depth file is a 16-bit PNG of millimetres (what RGB-D recorders and ``ros2 bag`` exporters
write) or a ``.npy`` array: float of metres, or uint16 of millimetres.  Intrinsics are given
as ``fx,fy,cx,cy`` (for the depth image's size), or as a YAML file: a camera_calibration
file (``camera_matrix``, ``image_width``, ``image_height``) or a CameraInfo as
``ros2 topic echo --once`` prints it (``k``, ``width``, ``height``).
"""

import dataclasses
import os
from typing import Any, List, Sequence

import cv2
import numpy as np

from trt_perception.core.depth.estimate import Box3DEstimator
from trt_perception.core.depth.image import DepthImage
from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.depth.pairing import DepthPairer
from trt_perception.core.depth.settings import DepthSettings
from trt_perception.core.detection import Detection


def load_depth(path: str) -> DepthImage:
    """Read a 16-bit PNG (millimetres) or a .npy (float metres or uint16 millimetres)."""
    if path.lower().endswith('.npy'):
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise ValueError('cannot read depth array %r: %s' % (path, error)) from error
        if array.dtype.kind == 'f':
            array = array.astype(np.float32)
    else:
        array = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if array is None:
            raise ValueError('cannot read depth image %r: give a 16-bit PNG of millimetres or '
                             'a .npy array of metres' % path)
    if array.dtype not in (np.uint16, np.float32) or array.ndim != 2:
        raise ValueError(
            'depth file %r holds a %s array of shape %s; a depth image is one channel of '
            'uint16 millimetres (16-bit PNG) or float metres (.npy)'
            % (path, array.dtype, array.shape))
    return DepthImage.from_array(array)


def load_intrinsics(text: str, width: int, height: int) -> CameraIntrinsics:
    """Read 'fx,fy,cx,cy' (for a `width` x `height` image) or a camera_info YAML file."""
    numbers = text.split(',')
    if len(numbers) == 4 and not os.path.exists(text):
        try:
            fx, fy, cx, cy = (float(n) for n in numbers)
        except ValueError:
            raise ValueError('intrinsics %r are not four numbers fx,fy,cx,cy' % text) from None
        return CameraIntrinsics(fx, fy, cx, cy, width, height)
    return _from_yaml(text)


def _from_yaml(path: str) -> CameraIntrinsics:
    try:
        import yaml
    except ImportError:
        raise ImportError('reading a camera_info YAML file needs PyYAML (python3-yaml); '
                          'or give the intrinsics as fx,fy,cx,cy') from None
    try:
        with open(path, encoding='utf-8') as stream:
            # ros2 topic echo ends each message with '---': the first document is the message.
            info: Any = next(yaml.safe_load_all(stream), None)
    except OSError as error:
        raise ValueError('cannot read intrinsics %r (%s): give fx,fy,cx,cy or a camera_info '
                         'YAML file' % (path, error.strerror or error)) from error
    except yaml.YAMLError as error:
        raise ValueError('intrinsics file %r is not YAML: %s' % (path, error)) from error
    if isinstance(info, dict) and 'camera_matrix' in info:
        return CameraIntrinsics.from_k(info['camera_matrix']['data'], info['image_width'],
                                       info['image_height'], info.get('camera_name', ''))
    if isinstance(info, dict) and 'k' in info:
        frame_id = (info.get('header') or {}).get('frame_id', '')
        return CameraIntrinsics.from_k(info['k'], info['width'], info['height'], frame_id)
    raise ValueError('%r is neither a camera_calibration file (camera_matrix, image_width, '
                     'image_height) nor a CameraInfo (k, width, height)' % path)


def locate(detections: Sequence[Detection], width: int, height: int, depth: DepthImage,
           intrinsics: CameraIntrinsics,
           settings: DepthSettings = DepthSettings()) -> List[Detection]:
    """
    Add 3D boxes to the detections of one `width` x `height` image from its aligned depth.

    Raises `PairingError` when the depth does not fit the image or its intrinsics.
    """
    pairer = DepthPairer(1)
    pairer.add_depth(0.0, depth)
    pairer.set_intrinsics(intrinsics)
    paired = pairer.pair(0.0, width, height, 0.0)
    estimator = Box3DEstimator(settings)
    out = []
    for det in detections:
        box3d = estimator.locate(det, paired)
        out.append(det if box3d is None else dataclasses.replace(det, box3d=box3d))
    return out


def describe(det: Detection) -> str:
    """Return one line: 'person 0.91 at x=+0.10 y=-0.20 z=2.00 m, 0.50 x 1.70 x 0.30 m'."""
    if det.box3d is None:
        return '%s %.2f: no valid depth' % (det.label, det.score)
    (x, y, z), (sx, sy, sz) = det.box3d.center, det.box3d.size
    return '%s %.2f at x=%+.2f y=%+.2f z=%.2f m, %.2f x %.2f x %.2f m' % (
        det.label, det.score, x, y, z, sx, sy, sz)
