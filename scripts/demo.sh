#!/usr/bin/env bash
# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
#
# Sets up everything (scripts/setup.sh), then runs the detector end to end through real DDS:
# image_source publishes bundled sample photos, detector_node detects on them with the bundled
# COCO model (ONNX Runtime on the CPU), detection_listener prints the detections and saves
# annotated images. Arguments go to the demo (python -m trt_perception.demo --help):
#   ./scripts/demo.sh --output /tmp/annotated
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup.sh"

export AMENT_PREFIX_PATH="$REPO/.venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
export TRT_PERCEPTION_MODEL_DIR="${TRT_PERCEPTION_MODEL_DIR:-$REPO/models}"
cd "$REPO"
echo "[demo] image_source -> detector_node -> detection_listener (best effort, Fast DDS" \
    "profile config/fastdds_large_images.xml, discovery on localhost, a private ROS domain)"
exec "$REPO/.venv/bin/python" -m trt_perception.demo "$@"
