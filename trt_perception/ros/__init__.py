# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""ROS 2 glue: the detector node, the image source, the listener and their messages."""
