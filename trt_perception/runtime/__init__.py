# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The detector runtime: pipeline, worker, watchdog, engine hot-swap and result stages, no ROS."""
