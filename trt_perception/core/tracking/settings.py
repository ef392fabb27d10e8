# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The tracker's settings, described once (see core.schema); outside names start 'tracking'."""

from dataclasses import dataclass

from trt_perception.core.schema import setting, Settings


@dataclass(frozen=True)
class TrackerSettings(Settings):
    """
    ByteTrack's knobs.  Read with ``settings_of(TrackerSettings)`` and no prefix.

    The switch is named ``tracking`` and the others ``tracking.<field>``, so one parameter
    turns tracking on and the rest group under it.
    """

    enabled: bool = setting(
        False, 'Give detections track ids (ByteTrack, one tracker per camera); detections '
        'not yet in a confirmed track keep no id', name='tracking')
    high_threshold: float = setting(
        0.5, 'Detections scoring at least this are matched first and may start tracks',
        low=0.0, high=1.0, runtime=True, name='tracking.high_threshold')
    low_threshold: float = setting(
        0.1, 'Detections scoring at least this (and below tracking.high_threshold) may only '
        "continue a track (ByteTrack's second pass); lower ones are never tracked",
        low=0.0, high=1.0, runtime=True, name='tracking.low_threshold')
    new_track_threshold: float = setting(
        0.6, 'A high-score detection left unmatched starts a track only when scoring at least '
        'this', low=0.0, high=1.0, runtime=True, name='tracking.new_track_threshold')
    match_iou: float = setting(
        0.3, "Least IoU between a track's predicted box and a detection for them to match "
        "(ByteTrack's IoU x score >= 0.2 gate is about this at usual scores)",
        low=0.01, high=1.0, runtime=True, name='tracking.match_iou')
    track_buffer: float = setting(
        1.0, 'Seconds (of header stamps) a track may go unseen and still be found again; '
        "longer than the camera's frame interval, or every track ends at every frame",
        low=0.1, high=3600.0, runtime=True, name='tracking.track_buffer')
    min_hits: int = setting(
        2, 'Frames in a row a new track must be matched before it is reported with an id',
        low=1, high=1000, runtime=True, name='tracking.min_hits')

    def __post_init__(self) -> None:
        """Check each setting, then that the thresholds are ordered."""
        super().__post_init__()
        if self.low_threshold > self.high_threshold:
            raise ValueError(
                'tracking.low_threshold=%g is above tracking.high_threshold=%g: lower '
                'tracking.low_threshold or raise tracking.high_threshold'
                % (self.low_threshold, self.high_threshold))
