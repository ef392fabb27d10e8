# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Letterbox geometry: fit a frame into the network input keeping its aspect ratio.

The frame is scaled by one ratio so that it fits, rounded to whole pixels, and centred with
constant padding the way Ultralytics' ``LetterBox`` does.  The same object maps detections back
from network-input pixels to source pixels.  Both preprocessors (CPU and GPU) sample the source
through `sample_scale_x` / `sample_scale_y`, so their outputs agree with each other and with
``cv2.resize(..., interpolation=cv2.INTER_LINEAR)``.
"""

from dataclasses import dataclass

import numpy as np

from trt_perception.core.checks import positive_int


def _check_sizes(src_width: int, src_height: int, dst_width: int, dst_height: int):
    return (positive_int('src_width', src_width), positive_int('src_height', src_height),
            positive_int('dst_width', dst_width), positive_int('dst_height', dst_height))


@dataclass(frozen=True)
class Letterbox:
    """
    Where a `src_width` x `src_height` frame lands inside a `dst_width` x `dst_height` input.

    The resized frame occupies columns ``pad_left .. pad_left + resized_width`` and rows
    ``pad_top .. pad_top + resized_height`` of the network input; `scale` is the aspect-keeping
    ratio before rounding to whole pixels.
    """

    src_width: int
    src_height: int
    dst_width: int
    dst_height: int
    resized_width: int
    resized_height: int
    pad_left: int
    pad_top: int
    scale: float

    @classmethod
    def fit(cls, src_width: int, src_height: int, dst_width: int,
            dst_height: int, centred: bool = True) -> 'Letterbox':
        """
        Fit the frame into the input: one ratio for both axes, centred padding.

        `centred` False puts the frame in the top-left corner and all padding after it, as
        YOLOX's preprocessing (and Ultralytics' ``LetterBox(center=False)``) does.
        """
        src_width, src_height, dst_width, dst_height = _check_sizes(
            src_width, src_height, dst_width, dst_height)
        ratio = min(dst_width / src_width, dst_height / src_height)
        # Rounding the ratio-scaled side may give 0 for extreme aspect ratios, and float error
        # must never push the fitted side past the input.
        resized_width = min(dst_width, max(1, int(round(src_width * ratio))))
        resized_height = min(dst_height, max(1, int(round(src_height * ratio))))
        # Ultralytics pads round(d / 2 - 0.1) before and round(d / 2 + 0.1) after; for an
        # integer d that is d // 2 before, the odd pixel going after.
        pad_left = (dst_width - resized_width) // 2 if centred else 0
        pad_top = (dst_height - resized_height) // 2 if centred else 0
        return cls(src_width, src_height, dst_width, dst_height, resized_width,
                   resized_height, pad_left, pad_top, float(ratio))

    @classmethod
    def stretch(cls, src_width: int, src_height: int, dst_width: int,
                dst_height: int) -> 'Letterbox':
        """Fill the whole input, scaling each axis on its own (models trained that way)."""
        src_width, src_height, dst_width, dst_height = _check_sizes(
            src_width, src_height, dst_width, dst_height)
        return cls(src_width, src_height, dst_width, dst_height, dst_width, dst_height, 0, 0,
                   float(min(dst_width / src_width, dst_height / src_height)))

    @property
    def pad_right(self) -> int:
        """Columns of padding after the resized frame."""
        return self.dst_width - self.resized_width - self.pad_left

    @property
    def pad_bottom(self) -> int:
        """Rows of padding below the resized frame."""
        return self.dst_height - self.resized_height - self.pad_top

    @property
    def sample_scale_x(self) -> float:
        """Source pixels per resized pixel along x (what cv2.resize uses for sampling)."""
        return self.src_width / self.resized_width

    @property
    def sample_scale_y(self) -> float:
        """Source pixels per resized pixel along y."""
        return self.src_height / self.resized_height

    def _affine(self):
        gain = np.array([self.resized_width / self.src_width,
                         self.resized_height / self.src_height] * 2)
        offset = np.array([self.pad_left, self.pad_top] * 2, dtype=np.float64)
        return gain, offset

    def to_source(self, boxes: np.ndarray) -> np.ndarray:
        """Map xyxy boxes (..., 4) from network-input pixels to source pixels, clipped."""
        boxes = _as_boxes(boxes)
        gain, offset = self._affine()
        out = (boxes - offset) / gain
        np.clip(out[..., 0::2], 0.0, self.src_width, out=out[..., 0::2])
        np.clip(out[..., 1::2], 0.0, self.src_height, out=out[..., 1::2])
        return out

    def to_network(self, boxes: np.ndarray) -> np.ndarray:
        """Map xyxy boxes (..., 4) from source pixels to network-input pixels (no clipping)."""
        boxes = _as_boxes(boxes)
        gain, offset = self._affine()
        return boxes * gain + offset


def _as_boxes(boxes: np.ndarray) -> np.ndarray:
    array = np.asarray(boxes, dtype=np.float64)
    if array.ndim == 0 or array.shape[-1] != 4:
        raise ValueError(
            'boxes must have shape (N, 4) holding x1, y1, x2, y2; got shape %s'
            % (np.shape(boxes),))
    return array
