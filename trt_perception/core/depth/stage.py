# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The depth result stage: each detection of a colour frame gets a 3D box from the paired depth.

The node calls `watch` for each camera whose depth it subscribes, and feeds it from those
subscriptions (`add_depth`, `set_camera_info`, on the executor thread); `process` runs on the
worker thread, and passes the frames of cameras without depth by untouched and uncounted.  A frame
that cannot be paired, or an object without valid depth, is counted by reason and logged
through the keyed, rate-limited `log` the node gives; the detections go on without 3D boxes.
"""

import dataclasses
import threading
from typing import Callable, Dict, List, Optional

from trt_perception.core.depth.estimate import Box3DEstimator
from trt_perception.core.depth.image import DepthImage
from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.depth.pairing import DepthPairer, PairingError, REASONS
from trt_perception.core.depth.settings import depth_settings_described, DepthSettings
from trt_perception.core.detection import Detection
from trt_perception.core.stages import FrameInfo, HealthValue, ResultStage

REFUSED = ('bad_depth', 'bad_camera_info')
"""Counters of messages the node could not convert (`DepthStage.refuse`)."""

Log = Callable[[str, str], None]
"""log(key, text): a warning, rate-limited per key by the caller (ros.log_throttle)."""


class DepthStage(ResultStage):
    """Adds `Detection.box3d` from each camera's aligned depth image."""

    name = 'depth'

    def __init__(self, settings: DepthSettings, log: Optional[Log] = None) -> None:
        """Pair and locate with `settings`; report problems through `log`."""
        self._settings = settings
        self._estimator = Box3DEstimator(settings)
        self._log = log
        self._lock = threading.Lock()
        self._pairers: Dict[str, DepthPairer] = {}
        self._counts: Dict[str, int] = dict.fromkeys(
            ['paired_frames', 'located', 'without_depth'] + ['unpaired_' + r for r in REASONS]
            + list(REFUSED), 0)
        self._last_problem = ''

    def _pairer(self, camera: str) -> DepthPairer:
        with self._lock:
            pairer = self._pairers.get(camera)
            if pairer is None:
                pairer = self._pairers[camera] = DepthPairer(self._settings.buffer)
            return pairer

    def watch(self, camera: str) -> None:
        """Expect depth for `camera` (called when its depth is subscribed); others pass by."""
        self._pairer(camera)

    def add_depth(self, camera: str, stamp: float, depth: DepthImage) -> None:
        """Keep `camera`'s depth frame stamped `stamp` seconds (called per depth message)."""
        self._pairer(camera).add_depth(stamp, depth)

    def set_camera_info(self, camera: str, intrinsics: CameraIntrinsics) -> None:
        """Use `intrinsics` for `camera`'s depth from now on (called per camera_info)."""
        self._pairer(camera).set_intrinsics(intrinsics)

    def refuse(self, camera: str, kind: str, error: Exception) -> None:
        """Count and log a depth (`kind` 'bad_depth') or camera_info message that was refused."""
        if kind not in REFUSED:
            raise ValueError('kind %r is not one of %s' % (kind, ', '.join(REFUSED)))
        what = 'depth image' if kind == 'bad_depth' else 'camera_info'
        self._problem(kind, camera, '%s for %s refused: %s' % (what, camera, error))

    def frame_id(self, camera: str) -> str:
        """Return the optical frame of `camera`'s depth (its camera_info's; '' before one)."""
        with self._lock:
            pairer = self._pairers.get(camera)
        intrinsics = pairer.intrinsics if pairer is not None else None
        return intrinsics.frame_id if intrinsics is not None else ''

    def apply(self, settings: DepthSettings) -> None:
        """Take new values of the run-time settings; ValueError if another one changed."""
        fixed = [d.name for d in depth_settings_described() if not d.info.runtime
                 and getattr(settings, d.attribute) != getattr(self._settings, d.attribute)]
        if fixed:
            raise ValueError('%s cannot change while the detector runs; restart the node to '
                             'change it' % ', '.join(fixed))
        self._settings = settings
        self._estimator = Box3DEstimator(settings)

    def process(self, frame: FrameInfo, detections: List[Detection]) -> List[Detection]:
        """Return `detections` with box3d set where the paired depth allows."""
        settings, estimator = self._settings, self._estimator
        with self._lock:
            pairer = self._pairers.get(frame.camera)
        if pairer is None:
            return detections  # a camera without depth
        try:
            paired = pairer.pair(frame.stamp, frame.width, frame.height,
                                 settings.stamp_tolerance)
        except PairingError as error:
            self._problem('unpaired_' + error.reason, frame.camera,
                          'no 3D boxes for %s at %.3f: %s' % (frame.camera, frame.stamp, error))
            return detections
        out = []
        missing = 0
        for detection in detections:
            box3d = estimator.locate(detection, paired)
            if box3d is None:
                missing += 1
                out.append(detection)
            else:
                out.append(dataclasses.replace(detection, box3d=box3d))
        with self._lock:
            self._counts['paired_frames'] += 1
            self._counts['located'] += len(detections) - missing
        if missing:
            self._problem('without_depth', frame.camera, '%d of %d objects on %s at %.3f have '
                          'no valid depth in their mask or the inner part of their box (all 0, '
                          'NaN or outside depth.min_range=%g .. depth.max_range=%g m)' % (
                              missing, len(detections), frame.camera, frame.stamp,
                              settings.min_range, settings.max_range), missing)
        return out

    def _problem(self, key: str, camera: str, text: str, count: int = 1) -> None:
        with self._lock:
            self._counts[key] += count
            self._last_problem = text
        if self._log is not None:
            self._log('depth/%s/%s' % (camera, key), text)

    def forget(self, camera: str) -> None:
        """Drop `camera`'s depth frames and intrinsics; it stays watched."""
        with self._lock:
            if camera in self._pairers:
                self._pairers[camera] = DepthPairer(self._settings.buffer)

    def health(self) -> Dict[str, HealthValue]:
        """Frames paired, objects located, and frames and objects without depth by reason."""
        with self._lock:
            out: Dict[str, HealthValue] = dict(self._counts)
            out['last_problem'] = self._last_problem
        return out

    def close(self) -> None:
        """Drop every camera's depth frames and stop watching them."""
        with self._lock:
            self._pairers.clear()


def make_depth_stage(settings: DepthSettings, log: Optional[Log] = None) -> Optional[DepthStage]:
    """Return the depth stage, or None when no camera has a depth topic (depth is off)."""
    return DepthStage(settings, log) if settings.enabled else None
