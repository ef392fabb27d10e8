# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Instance masks of segmentation heads, in source-image pixels, and their encodings.

A YOLO segmentation head gives each kept detection M coefficients and the image M prototype
masks at a quarter of the network input's resolution.  A detection's mask logit at a point is
its coefficients dotted with the prototypes there; the mask is where the logit is above 0
(sigmoid above 0.5).  `MaskAssembler` evaluates it only over each detection's box in the
source image, with the resampling of Ultralytics' ``retina_masks`` path: the prototype logits
upsampled bilinearly f times (f = 1, 2 or 4, the smallest at which the letterbox padding
falls on whole pixels; f = 4 is the network input), the padding cut off, and the rest resized
bilinearly to the source image.  Both resamplings are separable, so each source pixel is a
fixed blend of at most 4 x 4 prototype cells (`AxisGrid.taps` per axis); only the cells
under the box are computed.

A pixel belongs to the box when its column c and row r satisfy x1 <= c < x2 and
y1 <= r < y2, the rule of Ultralytics' ``crop_mask``.  The GPU assembler (gpu/masks.py)
computes the same taps (`resampling`, `AxisGrid.taps`) over the same `windows`.
"""

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

from trt_perception.core.detection import Detection, InstanceMask
from trt_perception.core.letterbox import Letterbox

MASK_THRESHOLD = 0.5
"""Sigmoid probability above which a pixel belongs to the instance (logit above 0)."""


def box_span(low: float, high: float, limit: int) -> Tuple[int, int]:
    """Pixels c with low <= c < high, within 0 .. limit - 1, as (first, stop)."""
    first = min(max(int(np.ceil(low)), 0), limit)
    stop = min(max(int(np.ceil(high)), first), limit)
    return first, stop


@dataclass(frozen=True)
class AxisGrid:
    """
    One axis of the resampling from prototype cells to source pixels.

    The resized frame covers `span` cells from cell `top` of the prototypes' `proto` cells
    upsampled `factor` times, and `src` source pixels.
    """

    top: int
    span: int
    src: int
    proto: int
    factor: int

    @property
    def ratio(self) -> float:
        """Upsampled cells per source pixel."""
        return self.span / self.src

    def taps(self, first: int, stop: int) -> Tuple[np.ndarray, np.ndarray]:
        """
        Prototype cells [n, 4] and weights [n, 4] for source pixels first .. stop - 1.

        Two bilinear resamplings (pixel centres, borders replicated, as ``cv2.resize`` and
        ``torch.nn.functional.interpolate`` do): the prototypes upsampled `factor` times,
        then the resized frame's span of that grid (the padding cut off) stretched to the
        source pixels.
        """
        centres = np.arange(first, stop, dtype=np.float64) + 0.5
        low, high, weight = _bilinear(centres * self.ratio - 0.5, self.span)
        cells, weights = [], []
        for up, share in ((low + self.top, 1.0 - weight), (high + self.top, weight)):
            p_low, p_high, p_weight = _bilinear((up + 0.5) / self.factor - 0.5, self.proto)
            cells += [p_low, p_high]
            weights += [share * (1.0 - p_weight), share * p_weight]
        return np.stack(cells, axis=1), np.stack(weights, axis=1).astype(np.float32)


def resampling(letterbox: Letterbox, proto_width: int,
               proto_height: int) -> Tuple[AxisGrid, AxisGrid]:
    """
    Return the x and y `AxisGrid` of prototypes `proto_width` x `proto_height`.

    The upsampling factor f (1, 2 or 4) is the smallest at which the resized frame's edges
    fall on whole cells of the upsampled grid (Ultralytics' choice); at 4 the grid is the
    network input itself.
    """
    stride = letterbox.dst_width // proto_width
    if stride * proto_width != letterbox.dst_width \
            or stride * proto_height != letterbox.dst_height:
        raise ValueError('prototype masks %d x %d do not divide the %d x %d network input '
                         'evenly: is this the prototype output of a YOLO segmentation head?'
                         % (proto_width, proto_height, letterbox.dst_width,
                            letterbox.dst_height))
    edges = (letterbox.pad_left, letterbox.resized_width, letterbox.pad_top,
             letterbox.resized_height)
    factor = next((f for f in (1, 2) if stride % f == 0
                   and all(edge * f % stride == 0 for edge in edges)), stride)
    return (AxisGrid(letterbox.pad_left * factor // stride,
                     letterbox.resized_width * factor // stride, letterbox.src_width,
                     proto_width, factor),
            AxisGrid(letterbox.pad_top * factor // stride,
                     letterbox.resized_height * factor // stride, letterbox.src_height,
                     proto_height, factor))


def _bilinear(positions: np.ndarray, size: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower cell, upper cell and upper weight at pixel-centre `positions` (clamped)."""
    positions = np.maximum(positions, 0.0)
    lower = np.minimum(np.floor(positions).astype(np.intp), size - 1)
    upper = np.minimum(lower + 1, size - 1)
    return lower, upper, positions - lower


def windows(boxes: np.ndarray, letterbox: Letterbox) -> np.ndarray:
    """
    Rows x0, y0, width, height, offset (int64) of each box's window in source pixels.

    The offsets pack the windows one after another, row-major, as the GPU writes them.
    """
    out = np.zeros((len(boxes), 5), dtype=np.int64)
    offset = 0
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, dtype=np.float64).tolist()):
        x0, x_stop = box_span(x1, x2, letterbox.src_width)
        y0, y_stop = box_span(y1, y2, letterbox.src_height)
        out[i] = (x0, y0, x_stop - x0, y_stop - y0, offset)
        offset += (x_stop - x0) * (y_stop - y0)
    return out


def check_inputs(masks: int, coefficients: np.ndarray,
                 boxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Return coefficients [n, masks] as float32 and boxes [n, 4] as float64, or raise."""
    coefficients = np.asarray(coefficients, dtype=np.float32)
    boxes = np.asarray(boxes, dtype=np.float64)
    if coefficients.ndim != 2 or coefficients.shape[1] != masks:
        raise ValueError('mask coefficients must be shaped [n, %d] to match the %d prototype '
                         'masks, got %s' % (masks, masks, coefficients.shape))
    if boxes.shape != (coefficients.shape[0], 4):
        raise ValueError('boxes must be shaped [%d, 4] (x1, y1, x2, y2) to match the '
                         'coefficients, got %s' % (coefficients.shape[0], boxes.shape))
    return coefficients, boxes


class MaskAssembler:
    """Builds each detection's `InstanceMask` on the CPU with numpy."""

    def assemble(self, protos: np.ndarray, coefficients: np.ndarray, boxes: np.ndarray,
                 letterbox: Letterbox) -> List[InstanceMask]:
        """
        Return one mask per row of `coefficients` [n, M], over its source box in `boxes`.

        `protos` is one image's prototype tensor [M, H, W]; `boxes` are xyxy in source pixels.
        """
        protos = np.asarray(protos)
        if protos.ndim != 3:
            raise ValueError('prototype masks must be shaped [M, H, W], got %s'
                             % (protos.shape,))
        coefficients, boxes = check_inputs(protos.shape[0], coefficients, boxes)
        grids = resampling(letterbox, protos.shape[2], protos.shape[1])
        return [self._one(protos, coefficients[i], window, grids)
                for i, window in enumerate(windows(boxes, letterbox).tolist())]

    @staticmethod
    def _one(protos: np.ndarray, coefficients: np.ndarray, window: Sequence[int],
             grids: Tuple[AxisGrid, AxisGrid]) -> InstanceMask:
        x0, y0, width, height, _ = window
        if not width or not height:
            return InstanceMask(x0, y0, np.zeros((height, width), dtype=bool))
        cols, wx = grids[0].taps(x0, x0 + width)
        rows, wy = grids[1].taps(y0, y0 + height)
        # Logits only over the prototype cells the box samples, then rows, then columns: the
        # resampling is separable, so this is the full two-dimensional blend of every pixel.
        cx0, cx1 = int(cols.min()), int(cols.max()) + 1
        cy0, cy1 = int(rows.min()), int(rows.max()) + 1
        region = protos[:, cy0:cy1, cx0:cx1].astype(np.float32, copy=False)
        logits = coefficients.dot(region.reshape(len(region), -1))
        logits = logits.reshape(cy1 - cy0, cx1 - cx0)
        # With f = 1 the upsampled grid is the prototypes' own, so half the taps weigh 0.
        blended = sum(logits[rows[:, k] - cy0] * wy[:, k, None] for k in range(4)
                      if wy[:, k].any())
        pixels = sum(blended[:, cols[:, k] - cx0] * wx[:, k] for k in range(4)
                     if wx[:, k].any())
        return InstanceMask(x0, y0, pixels > 0.0)


def full_mask(mask: InstanceMask, width: int, height: int) -> np.ndarray:
    """Return `mask` pasted into a `height` x `width` bool image (False elsewhere)."""
    image = np.zeros((height, width), dtype=bool)
    rows, cols = mask.data.shape
    image[mask.y0:mask.y0 + rows, mask.x0:mask.x0 + cols] = mask.data
    return image


def instance_image(detections: Sequence[Detection], width: int, height: int) -> np.ndarray:
    """
    Render the instance image: pixel = index of its detection + 1, 0 = background.

    uint8 while the indices fit (fewer than 255 detections), else uint16.  Where masks
    overlap the better detection (earlier in the list) wins.  Detections without a mask
    leave no pixels.
    """
    dtype = np.uint8 if len(detections) < 255 else np.uint16
    image = np.zeros((height, width), dtype=dtype)
    for index in range(len(detections) - 1, -1, -1):
        mask = detections[index].mask
        if mask is None:
            continue
        rows, cols = mask.data.shape
        window = image[mask.y0:mask.y0 + rows, mask.x0:mask.x0 + cols]
        window[mask.data[:window.shape[0], :window.shape[1]]] = index + 1
    return image
