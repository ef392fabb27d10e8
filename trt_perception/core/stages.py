# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Result stages: steps that run after decoding, per camera, before results go out.

A stage sees each frame's camera, header stamp and size with the decoded detections, keeps
whatever per-camera state it needs (a tracker's tracks, a depth stage's latest depth image),
and returns the detections it was given, annotated (a track id, a 3D box) or filtered.  The
detector runtime runs its stages in order and times each one; stages import nothing of ROS.
"""

import abc
from dataclasses import dataclass
from typing import Dict, List, Union

from trt_perception.core.detection import Detection

HealthValue = Union[int, float, str]


@dataclass(frozen=True)
class FrameInfo:
    """What a stage knows of the frame whose detections it receives."""

    camera: str
    """Stable key of the camera (its image topic)."""
    stamp: float
    """Seconds of the image header's stamp (the sensor's time, not arrival)."""
    width: int
    """Source image width in pixels (the detections' coordinate frame)."""
    height: int
    """Source image height in pixels."""
    frame_id: str = ''
    """The image header's frame id."""


class ResultStage(abc.ABC):
    """
    One step after decoding.

    Called from one thread (the detector's worker), frame by frame, cameras interleaved; it
    must not block on I/O.
    """

    name = ''
    """Key of the stage in per-frame timing and diagnostics ('tracking', 'depth')."""

    @abc.abstractmethod
    def process(self, frame: FrameInfo, detections: List[Detection]) -> List[Detection]:
        """Return `frame`'s detections after this stage (annotated, reordered or filtered)."""

    def forget(self, camera: str) -> None:
        """Drop the state kept for `camera` (it was removed or restarted)."""

    def health(self) -> Dict[str, HealthValue]:
        """Counters and facts for diagnostics, keyed by short stable names."""
        return {}

    def close(self) -> None:
        """Release what the stage holds."""
