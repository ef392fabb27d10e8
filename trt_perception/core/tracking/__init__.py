# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Multi-object tracking (ByteTrack) as a result stage: stable ids on detections, per camera."""

from trt_perception.core.tracking.settings import TrackerSettings
from trt_perception.core.tracking.stage import make_tracker_stage, TrackerStage

__all__ = ['make_tracker_stage', 'TrackerSettings', 'TrackerStage']
