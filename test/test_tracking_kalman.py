# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The box Kalman filter against a textbook float64 filter and against Ultralytics' at 30 Hz.

The reference below is the filter written out track by track with explicit matrices and an
explicit inverse, from the module's stated model (constant velocity per second, DeepSORT's
noise per 1/30 s, process noise growing linearly with the step).  At a step of exactly 1/30 s
the filter must also give Ultralytics' KalmanFilterXYAH's estimates, whose velocities are per
frame: an independent implementation of the same model.
"""

import numpy as np
import pytest

from trt_perception.core.tracking.kalman import boxes_to_measurements, BoxKalmanFilter
from trt_perception.core.tracking.kalman import means_to_boxes, REFERENCE_STEP

T = 1.0 / 30.0
WP, WV = 1.0 / 20.0, 1.0 / 160.0


def _reference_initiate(z):
    h = z[3]
    std = np.array([2 * WP * h, 2 * WP * h, 1e-2, 2 * WP * h,
                    10 * WV * h / T, 10 * WV * h / T, 1e-5 / T, 10 * WV * h / T])
    return np.concatenate([z, np.zeros(4)]), np.diag(std ** 2)


def _reference_predict(x, p, dt):
    f = np.eye(8)
    for i in range(4):
        f[i, i + 4] = dt
    h = x[3]
    std = np.array([WP * h, WP * h, 1e-2, WP * h, WV * h / T, WV * h / T, 1e-5 / T, WV * h / T])
    return f.dot(x), f.dot(p).dot(f.T) + np.diag(std ** 2) * (dt / T)


def _reference_update(x, p, z):
    hm = np.hstack([np.eye(4), np.zeros((4, 4))])
    h = x[3]
    r = np.diag(np.array([WP * h, WP * h, 1e-1, WP * h]) ** 2)
    s = hm.dot(p).dot(hm.T) + r
    k = p.dot(hm.T).dot(np.linalg.inv(s))
    return x + k.dot(z - hm.dot(x)), (np.eye(8) - k.dot(hm)).dot(p)


def test_filter_matches_the_textbook_reference_with_irregular_steps(rng):
    count = 6
    boxes = np.column_stack([rng.uniform(0, 500, count), rng.uniform(0, 400, count)])
    boxes = np.hstack([boxes, boxes + rng.uniform(20, 200, (count, 2))])
    velocity = rng.uniform(-100, 100, (count, 4)) * [1, 1, 1, 1]
    kf = BoxKalmanFilter()
    means, covs = kf.initiate(boxes_to_measurements(boxes))
    refs = [_reference_initiate(z) for z in boxes_to_measurements(boxes)]
    for _ in range(25):
        dt = float(rng.choice([0.0, 1 / 60, 1 / 30, 0.1, 0.37]))
        boxes = boxes + velocity * dt
        means, covs = kf.predict(means, covs, dt)
        refs = [_reference_predict(x, p, dt) if dt > 0 else (x, p) for x, p in refs]
        for i, (x, p) in enumerate(refs):
            np.testing.assert_allclose(means[i], x, rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(covs[i], p, rtol=1e-9, atol=1e-9)
        seen = boxes + rng.normal(0, 2, boxes.shape)
        means, covs = kf.update(means, covs, boxes_to_measurements(seen))
        refs = [_reference_update(x, p, z)
                for (x, p), z in zip(refs, boxes_to_measurements(seen))]
        for i, (x, p) in enumerate(refs):
            np.testing.assert_allclose(means[i], x, rtol=1e-7, atol=1e-7)
            np.testing.assert_allclose(covs[i], p, rtol=1e-7, atol=1e-6)


def test_filter_learns_the_velocity_in_pixels_per_second():
    kf = BoxKalmanFilter()
    box = np.array([[100.0, 100.0, 150.0, 200.0]])
    means, covs = kf.initiate(boxes_to_measurements(box))
    stamp = 0.0
    for dt in [0.05, 0.1, 0.02, 0.2, 0.05] * 6:
        stamp += dt
        moved = box + [90 * stamp, 0, 90 * stamp, 0]
        means, covs = kf.predict(means, covs, dt)
        means, covs = kf.update(means, covs, boxes_to_measurements(moved))
    assert abs(means[0, 4] - 90.0) < 3.0 and abs(means[0, 5]) < 3.0
    np.testing.assert_allclose(means_to_boxes(means)[0], moved[0], atol=1.0)


def test_at_30_hz_the_filter_gives_ultralytics_estimates(rng):
    KalmanFilterXYAH = pytest.importorskip(
        'ultralytics.trackers.utils.kalman_filter').KalmanFilterXYAH
    assert REFERENCE_STEP == T
    theirs = KalmanFilterXYAH()
    ours = BoxKalmanFilter()
    z = boxes_to_measurements(np.array([[200.0, 120.0, 260.0, 300.0]]))
    mean, cov = theirs.initiate(z[0])
    means, covs = ours.initiate(z)
    per_frame = np.diag([1, 1, 1, 1, T, T, T, T])
    for _ in range(20):
        mean, cov = theirs.predict(mean, cov)
        means, covs = ours.predict(means, covs, T)
        z = z + rng.normal(0, 3, 4) * [1, 1, 0.01, 1] + [3, 1, 0, 0.5]
        mean, cov = theirs.update(mean, cov, z[0])
        means, covs = ours.update(means, covs, z)
        np.testing.assert_allclose(per_frame.dot(means[0]), mean, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(per_frame.dot(covs[0]).dot(per_frame), cov, rtol=1e-6,
                                   atol=1e-6)


def test_no_time_no_change_and_no_tracks_no_work():
    kf = BoxKalmanFilter()
    means, covs = kf.initiate(np.array([[10.0, 10.0, 0.5, 40.0]]))
    again, again_covs = kf.predict(means, covs, 0.0)
    np.testing.assert_array_equal(again, means)
    np.testing.assert_array_equal(again_covs, covs)
    empty = kf.predict(np.zeros((0, 8)), np.zeros((0, 8, 8)), 0.1)
    assert empty[0].shape == (0, 8)
    assert kf.update(np.zeros((0, 8)), np.zeros((0, 8, 8)), np.zeros((0, 4)))[1].shape == (0, 8, 8)
