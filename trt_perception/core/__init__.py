# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The ROS-free detection core: images, preprocessing, backends, decoding."""
