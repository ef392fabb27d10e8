# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Keypoint layouts of pose heads: the number of points, values per point and the skeleton."""

from dataclasses import dataclass
from typing import Sequence, Tuple

from trt_perception.core.checks import is_int

COCO_KEYPOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
                  'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
                  'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle',
                  'right_ankle')
"""COCO's 17 person keypoints, in the order COCO (and Ultralytics' pose models) use."""

COCO_SKELETON: Tuple[Tuple[int, int], ...] = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7),
    (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6))
"""COCO's person skeleton as pairs of 0-based keypoint indices (COCO lists them 1-based)."""


@dataclass(frozen=True)
class KeypointLayout:
    """
    `count` keypoints of `dims` values each (x, y and, when 3, a visibility score).

    `skeleton` pairs keypoint indices to join with lines; when none is given, COCO's for 17
    points, none otherwise.
    """

    count: int = 17
    dims: int = 3
    skeleton: Tuple[Tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        """Check the shape; fill in COCO's skeleton where it applies."""
        if not is_int(self.count) or self.count < 1 or self.dims not in (2, 3) \
                or isinstance(self.dims, bool):
            raise ValueError('kpt_shape=[%r, %r] must be [K, 2] or [K, 3] with K >= 1 '
                             'keypoints: take it from the model metadata (kpt_shape)'
                             % (self.count, self.dims))
        object.__setattr__(self, 'count', int(self.count))
        object.__setattr__(self, 'dims', int(self.dims))
        skeleton = self.skeleton
        if not skeleton and self.count == len(COCO_KEYPOINTS):
            skeleton = COCO_SKELETON
        object.__setattr__(self, 'skeleton', self._pairs(skeleton))

    def _pairs(self, skeleton: Sequence[Sequence[int]]) -> Tuple[Tuple[int, int], ...]:
        pairs = tuple(tuple(pair) for pair in skeleton)
        bad = [p for p in pairs
               if len(p) != 2 or not all(is_int(i) and 0 <= i < self.count for i in p)]
        if bad:
            raise ValueError('skeleton pairs %r are not pairs of keypoint indices 0..%d'
                             % (bad, self.count - 1))
        return tuple((int(a), int(b)) for a, b in pairs)

    @property
    def channels(self) -> int:
        """Per-anchor channels the keypoints take in the head's output."""
        return self.count * self.dims
