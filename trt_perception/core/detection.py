# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The detection result type and class label files."""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np


@dataclass(frozen=True, eq=False)
class InstanceMask:
    """
    A detection's mask in source-image pixels, kept only over its box.

    `data[r, c]` (bool) is pixel (x0 + c, y0 + r) of the source image.
    """

    x0: int
    y0: int
    data: np.ndarray

    def rle_counts(self) -> List[int]:
        """
        Return the counts of COCO's uncompressed run-length encoding of `data`.

        Runs go column-major (Fortran order), zeros first.

        The first count is the number of leading zeros (0 when the first pixel is set).
        """
        flat = np.asarray(self.data, dtype=bool).ravel(order='F')
        if flat.size == 0:
            return []
        edges = np.concatenate([[0], np.flatnonzero(flat[1:] != flat[:-1]) + 1, [flat.size]])
        counts = np.diff(edges).tolist()
        return [0] + counts if flat[0] else counts

    def to_dict(self) -> Dict[str, Any]:
        """
        Return the JSON form: COCO RLE of the box window and the window's origin.

        {"origin": [x0, y0], "size": [height, width], "counts": [...]}; pycocotools decodes
        ``{"size", "counts"}`` (after ``frPyObjects``) into the window, whose top-left pixel
        is `origin` in the source image.
        """
        rows, cols = self.data.shape
        return {'origin': [int(self.x0), int(self.y0)], 'size': [int(rows), int(cols)],
                'counts': self.rle_counts()}


@dataclass(frozen=True, eq=False)
class Keypoints:
    """A detection's keypoints: `xy` (K x 2, source-image pixels) and `scores` (K, 0..1)."""

    xy: np.ndarray
    scores: np.ndarray

    def to_dict(self) -> Dict[str, Any]:
        """Return the JSON form {"xy": [[x, y], ...], "scores": [...]}."""
        return {'xy': np.asarray(self.xy, dtype=float).tolist(),
                'scores': np.asarray(self.scores, dtype=float).tolist()}


@dataclass(frozen=True)
class Box3D:
    """An object's centre and extent in metres, in a camera's optical frame (z forward)."""

    center: Tuple[float, float, float]
    size: Tuple[float, float, float]
    frame_id: str = ''


@dataclass(frozen=True)
class Detection:
    """
    One detected object; the box is in the original image's pixels, corners inclusive.

    The fields after `label` stay None unless a head or a result stage fills them: masks and
    keypoints come from segmentation and pose heads, `track_id` from a tracker, `box3d` from
    a depth stage.
    """

    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    class_id: int
    label: str
    mask: Optional[InstanceMask] = None
    keypoints: Optional[Keypoints] = None
    track_id: Optional[int] = None
    box3d: Optional[Box3D] = None

    @property
    def box(self) -> Tuple[float, float, float, float]:
        """Corners (x1, y1, x2, y2)."""
        return (self.x1, self.y1, self.x2, self.y2)

    def to_dict(self) -> Dict[str, Any]:
        """
        Return the JSON-ready form: label, class_id, score and box [x1, y1, x2, y2].

        track_id, box3d ({"center": [x, y, z], "size": [...], "frame_id"}), mask (COCO RLE,
        see `InstanceMask.to_dict`) and keypoints ({"xy", "scores"}) are added where a head or
        a stage set them.
        """
        out: Dict[str, Any] = {'label': self.label, 'class_id': self.class_id,
                               'score': self.score, 'box': [self.x1, self.y1, self.x2, self.y2]}
        if self.track_id is not None:
            out['track_id'] = self.track_id
        if self.box3d is not None:
            out['box3d'] = {'center': list(self.box3d.center), 'size': list(self.box3d.size),
                            'frame_id': self.box3d.frame_id}
        if self.mask is not None:
            out['mask'] = self.mask.to_dict()
        if self.keypoints is not None:
            out['keypoints'] = self.keypoints.to_dict()
        return out


def load_labels(path: str) -> List[str]:
    """
    Read class names, one per line; surrounding whitespace and trailing blank lines dropped.

    A blank line before the last name is kept as an empty name so that the class ids of the
    names after it stay right.
    """
    try:
        with open(path, encoding='utf-8') as stream:
            names = [line.strip() for line in stream.read().splitlines()]
    except OSError as error:
        raise FileNotFoundError(
            'cannot read label file %r (%s): set the labels parameter to a text file with one '
            'class name per line, or to an empty string to report numeric class ids'
            % (path, error.strerror or error)) from error
    except UnicodeDecodeError as error:
        raise ValueError('label file %r is not UTF-8 text (%s): it must hold one class name '
                         'per line' % (path, error)) from error
    while names and not names[-1]:
        names.pop()
    if not names:
        raise ValueError('label file %r holds no class names: it must hold one class name per '
                         'line' % path)
    return names


def label_for(labels: Sequence[str], class_id: int) -> str:
    """Return the name of `class_id`, or the id as text when there is no such label."""
    if 0 <= class_id < len(labels) and labels[class_id]:
        return labels[class_id]
    return str(class_id)
