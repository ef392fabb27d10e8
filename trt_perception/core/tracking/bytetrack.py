# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
ByteTrack's association for one camera (Zhang et al., ECCV 2022, section 3 and Algorithm 1).

Each frame: every track is predicted to the frame's stamp; confirmed and lost tracks are
matched to the high-score detections by IoU; confirmed tracks still unmatched get a second
chance with the low-score detections (which alone never start a track), and those left over
are lost; new tracks still unconfirmed are matched to the remaining high-score detections and
dropped if they miss; the high-score detections left start new tracks.  A track is confirmed,
and given its id, after `min_hits` matches in a row; a lost track is dropped when it has not
been seen for `track_buffer` seconds; tracks started in a camera's first frame are confirmed at
once, as nothing before could confirm them (ByteTrack does the same).  Tracks match only
detections of their own class.

Tracks are kept as stacked arrays (one row each), so a frame costs a few NumPy calls however
many objects it holds.
"""

from typing import Optional, Tuple

import numpy as np

from trt_perception.core.tracking.assignment import GatedMatcher
from trt_perception.core.tracking.kalman import boxes_to_measurements, BoxKalmanFilter
from trt_perception.core.tracking.kalman import means_to_boxes
from trt_perception.core.tracking.settings import TrackerSettings

TENTATIVE, TRACKED, LOST = 0, 1, 2

LOW_SCORE_MATCH_IOU = 0.5
"""Least IoU for the second (low-score) pass: fixed by the paper, as boxes there are weak."""


def pairwise_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the (N, M) IoU of corner boxes a (N, 4) and b (M, 4); 0 where both have no area."""
    width = np.minimum(a[:, None, 2], b[None, :, 2])
    width -= np.maximum(a[:, None, 0], b[None, :, 0])
    np.maximum(width, 0.0, out=width)
    height = np.minimum(a[:, None, 3], b[None, :, 3])
    height -= np.maximum(a[:, None, 1], b[None, :, 1])
    np.maximum(height, 0.0, out=height)
    inter = width
    inter *= height
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :]
    union -= inter
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(union > 0.0, inter / union, 0.0)


class CameraTracks:
    """ByteTrack's state for one camera: its tracks and the stamp they were predicted to."""

    def __init__(self, matcher: GatedMatcher) -> None:
        """Start with no tracks; `matcher` solves each association pass."""
        self._matcher = matcher
        self._filter = BoxKalmanFilter()
        self.means = np.zeros((0, 8))
        self.covariances = np.zeros((0, 8, 8))
        self.ids = np.zeros(0, np.int64)
        self.classes = np.zeros(0, np.int64)
        self.states = np.zeros(0, np.int8)
        self.hits = np.zeros(0, np.int64)
        self.last_seen = np.zeros(0)
        self.stamp: Optional[float] = None
        self._next_id = 1

    @property
    def active(self) -> int:
        """Count the confirmed tracks matched in the latest frame."""
        return int(np.count_nonzero(self.states == TRACKED))

    @property
    def lost(self) -> int:
        """Count the confirmed tracks waiting to be found again."""
        return int(np.count_nonzero(self.states == LOST))

    def step(self, stamp: float, boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray,
             settings: TrackerSettings) -> Tuple[np.ndarray, int, int]:
        """
        Take one frame's detections; return (track id per detection or -1, started, ended).

        `boxes` (M, 4) are corners with positive width and height; `stamp` is not earlier
        than the previous frame's.  started and ended count confirmed tracks only.
        """
        first = self.stamp is None
        dt = 0.0 if self.stamp is None else stamp - self.stamp
        self.stamp = stamp
        ended = self._expire(stamp, settings.track_buffer)
        self.means, self.covariances = self._filter.predict(self.means, self.covariances, dt)
        # One IoU matrix for all passes, zero across classes: a track never changes class.
        iou = pairwise_iou(means_to_boxes(self.means), boxes)
        iou[self.classes[:, None] != classes[None, :]] = 0.0
        assigned = np.full(len(scores), -1, np.int64)
        high = scores >= settings.high_threshold
        low = ~high & (scores >= settings.low_threshold)
        was_tracked = self.states == TRACKED
        tentative = self.states == TENTATIVE
        done = np.zeros(len(self.ids), bool)

        rows, cols = self._associate(iou, np.flatnonzero(~tentative), np.flatnonzero(high),
                                     settings.match_iou, assigned)
        done[rows] = True
        rows2, cols2 = self._associate(iou, np.flatnonzero(was_tracked & ~done),
                                       np.flatnonzero(low), LOW_SCORE_MATCH_IOU, assigned)
        done[rows2] = True
        newly_lost = was_tracked & ~done
        rows3, cols3 = self._associate(iou, np.flatnonzero(tentative),
                                       np.flatnonzero(high & (assigned < 0)),
                                       settings.match_iou, assigned)
        done[rows3] = True

        matched = np.concatenate([rows, rows2, rows3])
        detections = np.concatenate([cols, cols2, cols3])
        if matched.size:
            means, covariances = self._filter.update(
                self.means[matched], self.covariances[matched],
                boxes_to_measurements(boxes[detections]))
            self.means[matched] = means
            self.covariances[matched] = covariances
            self.hits[matched] += 1
            self.last_seen[matched] = stamp
        self.states[np.concatenate([rows, rows2])] = TRACKED
        self.states[newly_lost] = LOST
        started = self._confirm(rows3, settings.min_hits)
        ids = np.full(len(scores), -1, np.int64)
        ids[detections] = self.ids[matched]
        self._keep(~tentative | done)

        fresh = np.flatnonzero(high & (assigned < 0) & (scores >= settings.new_track_threshold))
        if fresh.size:
            started += self._start(boxes[fresh], classes[fresh], stamp,
                                   1 if first else settings.min_hits)
            ids[fresh] = self.ids[-fresh.size:]
        return ids, started, ended

    def _associate(self, iou: np.ndarray, tracks: np.ndarray, candidates: np.ndarray,
                   min_iou: float, assigned: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Match `tracks` to `candidates` (indices); mark matched detections in `assigned`."""
        if tracks.size == 0 or candidates.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        overlap = iou[np.ix_(tracks, candidates)]
        picked_tracks, picked_candidates = self._matcher.match(overlap - min_iou,
                                                               overlap >= min_iou)
        rows, cols = tracks[picked_tracks], candidates[picked_candidates]
        assigned[cols] = rows
        return rows, cols

    def _expire(self, stamp: float, buffer: float) -> int:
        """Drop tracks unseen for more than `buffer` seconds; return how many had ids."""
        old = stamp - self.last_seen > buffer
        if not old.any():
            return 0
        ended = int(np.count_nonzero(old & (self.ids >= 0)))
        self._keep(~old)
        return ended

    def _confirm(self, tracks: np.ndarray, min_hits: int) -> int:
        """Give ids to the unconfirmed `tracks` matched `min_hits` times; return how many."""
        ready = tracks[self.hits[tracks] >= min_hits]
        self.ids[ready] = np.arange(self._next_id, self._next_id + ready.size)
        self._next_id += ready.size
        self.states[ready] = TRACKED
        return int(ready.size)

    def _start(self, boxes: np.ndarray, classes: np.ndarray, stamp: float,
               min_hits: int) -> int:
        """Append tracks for unmatched `boxes`; return how many were confirmed at once."""
        means, covariances = self._filter.initiate(boxes_to_measurements(boxes))
        count = boxes.shape[0]
        self.means = np.concatenate([self.means, means])
        self.covariances = np.concatenate([self.covariances, covariances])
        self.ids = np.concatenate([self.ids, np.full(count, -1, np.int64)])
        self.classes = np.concatenate([self.classes, classes.astype(np.int64)])
        self.states = np.concatenate([self.states, np.full(count, TENTATIVE, np.int8)])
        self.hits = np.concatenate([self.hits, np.ones(count, np.int64)])
        self.last_seen = np.concatenate([self.last_seen, np.full(count, stamp)])
        return self._confirm(np.arange(len(self.ids) - count, len(self.ids)), min_hits)

    def _keep(self, keep: np.ndarray) -> None:
        """Keep only the tracks where `keep` is True."""
        self.means = self.means[keep]
        self.covariances = self.covariances[keep]
        self.ids = self.ids[keep]
        self.classes = self.classes[keep]
        self.states = self.states[keep]
        self.hits = self.hits[keep]
        self.last_seen = self.last_seen[keep]
