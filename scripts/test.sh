#!/usr/bin/env bash
# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
#
# Runs every test with pytest in the environment scripts/setup.sh builds (setting it up first
# if needed; a no-op re-run takes seconds). Arguments pass through to pytest:
#   ./scripts/test.sh -m gpu            GPU tests (on a machine with CUDA and pycuda)
#   ./scripts/test.sh test/test_nms.py -k batched
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup.sh"

# ament_index finds trt_perception and the ROS packages installed in the venv.
export AMENT_PREFIX_PATH="$REPO/.venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
cd "$REPO"
exec "$REPO/.venv/bin/python" -m pytest "$@"
