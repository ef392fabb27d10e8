# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
sensor_msgs depth Image and CameraInfo <-> the depth stage's types.

* `image_to_depth` wraps a depth message's bytes without copying (`DepthImage.from_buffer`:
  encoding 16UC1 or 32FC1, step, size and data length checked, ``is_bigendian`` honoured).
* `camera_info_to_intrinsics` reads K, width, height and the header's frame id.  A
  camera_info with a region of interest or binning describes a smaller image than its
  width x height: K is moved to the region and scaled by the binning (pixel edges to pixel
  edges, as `CameraIntrinsics.scaled`).  D is ignored: aligned depth is rectified.
* `depth_to_image` and `intrinsics_to_camera_info` build the messages, for publishers and
  tests.
"""

import sys
from typing import Optional

import numpy as np
from sensor_msgs.msg import CameraInfo, Image

from trt_perception.core.depth.image import DepthImage
from trt_perception.core.depth.intrinsics import CameraIntrinsics


def image_to_depth(msg: Image, max_pixels: Optional[int] = None) -> DepthImage:
    """Wrap a 16UC1/32FC1 sensor_msgs/Image as a zero-copy `DepthImage`; raise on bad ones."""
    return DepthImage.from_buffer(msg.data, msg.width, msg.height, msg.step, msg.encoding,
                                  bool(msg.is_bigendian), max_pixels)


def camera_info_to_intrinsics(msg: CameraInfo) -> CameraIntrinsics:
    """Read a camera_info's K for the image it describes; ValueError for an unusable one."""
    k = CameraIntrinsics.from_k(list(msg.k), msg.width, msg.height, msg.header.frame_id)
    roi = msg.roi
    if roi.width and roi.height and (roi.width, roi.height) != (msg.width, msg.height):
        k = CameraIntrinsics(k.fx, k.fy, k.cx - roi.x_offset, k.cy - roi.y_offset, roi.width,
                             roi.height, k.frame_id)
    binning_x, binning_y = max(msg.binning_x, 1), max(msg.binning_y, 1)
    if (binning_x, binning_y) != (1, 1):
        k = k.scaled(k.width // binning_x, k.height // binning_y)
    return k


def depth_to_image(depth: np.ndarray, header=None) -> Image:
    """Build a sensor_msgs/Image of an (H, W) uint16 (16UC1) or float32 (32FC1) array."""
    wrapped = DepthImage.from_array(depth)
    rows = np.ascontiguousarray(wrapped.data)
    msg = Image(height=wrapped.height, width=wrapped.width, encoding=wrapped.encoding,
                is_bigendian=int(sys.byteorder == 'big'), step=rows.strides[0])
    if header is not None:
        msg.header = header
    msg.data = rows.tobytes()
    return msg


def intrinsics_to_camera_info(k: CameraIntrinsics, header=None) -> CameraInfo:
    """Build a rectified camera_info (no distortion, P = K | 0) of `k`."""
    msg = CameraInfo(width=k.width, height=k.height, distortion_model='plumb_bob',
                     d=[0.0] * 5)
    if header is not None:
        msg.header = header
    msg.header.frame_id = k.frame_id
    msg.k = [k.fx, 0.0, k.cx, 0.0, k.fy, k.cy, 0.0, 0.0, 1.0]
    msg.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    msg.p = [k.fx, 0.0, k.cx, 0.0, 0.0, k.fy, k.cy, 0.0, 0.0, 0.0, 1.0, 0.0]
    return msg
