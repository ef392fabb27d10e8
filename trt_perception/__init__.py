# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""TensorRT/ONNX Runtime object detection for ROS 2 cameras, with a ROS-free core."""

__version__ = '0.1.0'
