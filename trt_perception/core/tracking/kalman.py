# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Constant-velocity Kalman filter on a box's centre, aspect ratio and height, over many tracks.

The state is (cx, cy, a, h, vcx, vcy, va, vh) with velocities per second, so a prediction
covers the real time between two frames' header stamps: a dropped frame is a longer step, not
a lost track.  The noise levels are SORT/DeepSORT's (ByteTrack keeps them), which were tuned
per frame of a 30 Hz video and scale with the box height; here they are expressed per
reference step of 1/30 s, and the process noise grows linearly with the step (a random walk),
so at exactly 30 Hz this filter and ByteTrack's make the same estimates.  Every track of a
camera is predicted and updated at once, on stacked (N, 8) means and (N, 8, 8) covariances.
"""

from typing import Tuple

import numpy as np

REFERENCE_STEP = 1.0 / 30.0
"""Seconds of the frame interval the noise levels below were tuned for."""

_POSITION_WEIGHT = 1.0 / 20.0
_VELOCITY_WEIGHT = 1.0 / 160.0
_ASPECT_STD = 1e-2
_ASPECT_VELOCITY_STD = 1e-5
_ASPECT_MEASUREMENT_STD = 1e-1


def boxes_to_measurements(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) corners x1, y1, x2, y2 -> (N, 4) centre x, centre y, width / height, height."""
    width = boxes[:, 2] - boxes[:, 0]
    height = boxes[:, 3] - boxes[:, 1]
    return np.stack([boxes[:, 0] + width / 2.0, boxes[:, 1] + height / 2.0, width / height,
                     height], axis=1)


def means_to_boxes(means: np.ndarray) -> np.ndarray:
    """(N, 8) states -> (N, 4) corners of the boxes they describe."""
    width = means[:, 2] * means[:, 3]
    half_w, half_h = width / 2.0, means[:, 3] / 2.0
    return np.stack([means[:, 0] - half_w, means[:, 1] - half_h, means[:, 0] + half_w,
                     means[:, 1] + half_h], axis=1)


def _stds(height: np.ndarray, position: float, aspect: float, velocity: float,
          aspect_velocity: float) -> np.ndarray:
    """(N, 8) standard deviations: height-scaled ones, with the aspect ratio's fixed."""
    stds = np.empty((height.shape[0], 8))
    stds[:, [0, 1, 3]] = (position * height)[:, None]
    stds[:, 2] = aspect
    stds[:, [4, 5, 7]] = (velocity * height / REFERENCE_STEP)[:, None]
    stds[:, 6] = aspect_velocity / REFERENCE_STEP
    return stds


class BoxKalmanFilter:
    """Starts, predicts and corrects stacked box states; holds no state of its own."""

    def initiate(self, measurements: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(N, 8) means at rest at `measurements` (N, 4) and their (N, 8, 8) covariances."""
        count = measurements.shape[0]
        means = np.zeros((count, 8))
        means[:, :4] = measurements
        stds = _stds(measurements[:, 3], 2.0 * _POSITION_WEIGHT, _ASPECT_STD,
                     10.0 * _VELOCITY_WEIGHT, _ASPECT_VELOCITY_STD)
        covariances = np.zeros((count, 8, 8))
        covariances[:, np.arange(8), np.arange(8)] = stds ** 2
        return means, covariances

    def predict(self, means: np.ndarray, covariances: np.ndarray,
                dt: float) -> Tuple[np.ndarray, np.ndarray]:
        """States `dt` seconds later (new arrays); dt = 0 leaves them as they are."""
        if dt <= 0.0 or means.shape[0] == 0:
            return means.copy(), covariances.copy()
        transition = np.eye(8)
        transition[np.arange(4), np.arange(4) + 4] = dt
        predicted = means.copy()
        predicted[:, :4] += dt * means[:, 4:]
        stds = _stds(means[:, 3], _POSITION_WEIGHT, _ASPECT_STD, _VELOCITY_WEIGHT,
                     _ASPECT_VELOCITY_STD)
        spread = transition @ covariances @ transition.T
        spread[:, np.arange(8), np.arange(8)] += stds ** 2 * (dt / REFERENCE_STEP)
        return predicted, spread

    def update(self, means: np.ndarray, covariances: np.ndarray,
               measurements: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """States corrected by `measurements` (N, 4), one per state (new arrays)."""
        if means.shape[0] == 0:
            return means.copy(), covariances.copy()
        noise = np.zeros((means.shape[0], 4, 4))
        std = _POSITION_WEIGHT * means[:, 3]
        noise[:, [0, 1, 3], [0, 1, 3]] = (std ** 2)[:, None]
        noise[:, 2, 2] = _ASPECT_MEASUREMENT_STD ** 2
        innovation_cov = covariances[:, :4, :4] + noise
        cross = covariances[:, :, :4]
        # gain = cross @ inv(S); S is symmetric, so solve S @ gain.T = cross.T.
        gain = np.linalg.solve(innovation_cov, np.swapaxes(cross, 1, 2))
        gain = np.swapaxes(gain, 1, 2)
        innovation = measurements - means[:, :4]
        corrected = means + np.einsum('nij,nj->ni', gain, innovation)
        shrunk = covariances - gain @ innovation_cov @ np.swapaxes(gain, 1, 2)
        return corrected, shrunk
