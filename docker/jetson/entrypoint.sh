#!/bin/bash
# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
#
# Entry point of docker/jetson/Dockerfile: ROS 2 (built from source under $ROS_ROOT in the
# dustynv image) and this workspace on the environment, then the command.
set -e
source "${ROS_ROOT}/install/setup.bash"
source /ros2_ws/install/setup.bash
exec "$@"
