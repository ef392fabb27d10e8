# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Objects in 3D from a depth image aligned to the colour image (ROS-free).

`image` checks depth frames as they arrive, `intrinsics` reads a camera_info's K, `pairing`
pairs depth with colour frames by stamp, `estimate` turns one detection's depth pixels into a
3D box, `stage` is the result stage that ties them together, `files` reads depth and
intrinsics from files for the offline runner.
"""
