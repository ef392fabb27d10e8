# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Draw detections and a status line onto a frame.

Boxes carry label, score and track id tags; tracks draw their trails.  Masks are tinted in
their class's colour; keypoints whose score reaches `Annotator.keypoint_threshold` are dotted
and joined along the skeleton.
"""

import collections
import math
from typing import Deque, Dict, List, Mapping, Optional, Sequence, Tuple

import cv2
import numpy as np

from trt_perception.core.decoders import Decoder
from trt_perception.core.detection import Detection, InstanceMask, Keypoints
from trt_perception.core.image import RawImage

_TO_BGR: Dict[str, Optional[int]] = {
    'bgr': None,
    'rgb': cv2.COLOR_RGB2BGR,
    'bgra': cv2.COLOR_BGRA2BGR,
    'rgba': cv2.COLOR_RGBA2BGR,
    'mono': cv2.COLOR_GRAY2BGR,
    'uyvy': cv2.COLOR_YUV2BGR_UYVY,
    'yuyv': cv2.COLOR_YUV2BGR_YUY2,
}

# Distinct, saturated BGR colours; class ids cycle through them.
PALETTE: Tuple[Tuple[int, int, int], ...] = (
    (56, 56, 255), (151, 157, 255), (31, 112, 255), (29, 178, 255), (49, 210, 207),
    (10, 249, 72), (23, 204, 146), (134, 219, 61), (52, 147, 26), (187, 212, 0),
    (168, 153, 44), (255, 194, 0), (147, 69, 52), (255, 115, 100), (236, 24, 0),
    (255, 56, 132), (133, 0, 82), (255, 56, 203), (200, 149, 255), (199, 55, 255),
)


def to_bgr(image: RawImage) -> np.ndarray:
    """Return a new contiguous (H, W, 3) BGR copy of a frame, whatever its encoding."""
    pixels = image.pixels()
    code = _TO_BGR[image.encoding.layout]
    if code is None:
        return pixels.copy()
    if image.encoding.layout == 'mono':
        pixels = pixels[:, :, 0]
    return cv2.cvtColor(np.ascontiguousarray(pixels), code)


def debug_canvas(image: RawImage, max_pixels: int) -> Tuple[np.ndarray, float]:
    """
    Return a BGR copy of `image` shrunk to at most `max_pixels` pixels, and its scale.

    A debug image is for looking at: a huge frame published at full size would make the
    middleware keep a copy of that size for as long as the node runs (the last sample of a
    reliable publisher), so it is shrunk first.
    """
    bgr = to_bgr(image)
    scale = min(1.0, math.sqrt(max_pixels / float(image.width * image.height)))
    if scale < 1.0:
        size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    return bgr, scale


def colour_for(class_id: int) -> Tuple[int, int, int]:
    """Return the BGR colour used for `class_id`."""
    return PALETTE[class_id % len(PALETTE)]


Trail = List[Tuple[float, float]]


class TrackTrails:
    """
    The recent box centres of each tracked object, per camera, for drawing trails.

    A trail keeps the last `length` centres of its track; a track not seen in `max_missing`
    updates of its camera is dropped.
    """

    def __init__(self, length: int = 20, max_missing: int = 30) -> None:
        """Keep `length` points a track, forget tracks unseen for `max_missing` frames."""
        self.length = length
        self.max_missing = max_missing
        self._cameras: Dict[str, Dict[int, Tuple[int, Deque[Tuple[float, float]]]]] = {}

    def update(self, camera: str, detections: Sequence[Detection]) -> Dict[int, Trail]:
        """Add `camera`'s tracked detections' centres; return its trails by track id."""
        tracks = self._cameras.setdefault(camera, {})
        for track_id in list(tracks):
            missing, points = tracks[track_id]
            if missing >= self.max_missing:
                del tracks[track_id]
            else:
                tracks[track_id] = (missing + 1, points)
        for det in detections:
            if det.track_id is None:
                continue
            entry = tracks.get(det.track_id)
            points = entry[1] if entry else collections.deque(maxlen=self.length)
            points.append(((det.x1 + det.x2) / 2.0, (det.y1 + det.y2) / 2.0))
            tracks[det.track_id] = (0, points)
        return {track_id: list(points) for track_id, (_, points) in tracks.items()}

    def forget(self, camera: str) -> None:
        """Drop `camera`'s trails."""
        self._cameras.pop(camera, None)


class Annotator:
    """
    Draws boxes with 'label score' tags, masks, skeletons and a status line (bottom left).

    `skeleton` pairs keypoint indices to join with lines (a pose head's `KeypointLayout`).
    """

    def __init__(self, font_scale: float = 0.5, thickness: int = 2,
                 skeleton: Sequence[Tuple[int, int]] = (), mask_alpha: float = 0.5,
                 keypoint_threshold: float = 0.5) -> None:
        """Use `font_scale` and line `thickness` for a 640-pixel frame, scaled up with size."""
        self.font_scale = font_scale
        self.thickness = thickness
        self.skeleton = tuple(skeleton)
        self.mask_alpha = mask_alpha
        self.keypoint_threshold = keypoint_threshold

    @classmethod
    def for_decoder(cls, decoder: Decoder) -> 'Annotator':
        """Draw what `decoder`'s detections carry: the skeleton of its keypoint layout."""
        layout = decoder.keypoint_layout
        return cls(skeleton=layout.skeleton if layout is not None else ())

    def draw(self, bgr: np.ndarray, detections: Sequence[Detection],
             status: str = '', scale: float = 1.0,
             trails: Optional[Mapping[int, Trail]] = None) -> np.ndarray:
        """
        Draw onto `bgr` (H, W, 3 uint8, modified in place) and return it.

        `scale` maps detection coordinates onto `bgr` (see `debug_canvas`).  A tracked
        detection's tag starts with its id ('#7 person 0.91'), and its trail (from
        `TrackTrails.update`) is drawn as a line through the track's recent centres.
        """
        size_factor = max(1.0, min(bgr.shape[:2]) / 640.0)
        font_scale = self.font_scale * size_factor
        thickness = max(1, int(round(self.thickness * size_factor)))
        for det in detections:
            if det.mask is not None:
                self._tint(bgr, det.mask, colour_for(det.class_id), scale)
        for det in detections:
            colour = colour_for(det.class_id)
            top_left = (int(round(det.x1 * scale)), int(round(det.y1 * scale)))
            bottom_right = (int(round(det.x2 * scale)), int(round(det.y2 * scale)))
            cv2.rectangle(bgr, top_left, bottom_right, colour, thickness)
            text = '%s %.2f' % (det.label, det.score)
            if det.track_id is not None:
                text = '#%d %s' % (det.track_id, text)
                trail = (trails or {}).get(det.track_id, ())
                if len(trail) > 1:
                    points = np.round(np.array(trail) * scale).astype(np.int32)
                    cv2.polylines(bgr, [points.reshape(-1, 1, 2)], False, colour, thickness,
                                  cv2.LINE_AA)
            self._tag(bgr, text, top_left, colour, font_scale)
            if det.keypoints is not None:
                self._skeleton(bgr, det.keypoints, colour, thickness, scale)
        if status:
            # Bottom-left: box tags sit at box tops, where a top-left status line would hide
            # the tag of any box touching the image's top edge.
            self._tag(bgr, status, (0, bgr.shape[0]), (40, 40, 40), font_scale)
        return bgr

    def _tint(self, bgr: np.ndarray, mask: InstanceMask, colour: Tuple[int, int, int],
              scale: float) -> None:
        """Blend `colour` into the mask's pixels (the mask resized onto the canvas)."""
        rows, cols = mask.data.shape
        x0, y0 = int(round(mask.x0 * scale)), int(round(mask.y0 * scale))
        x1 = min(int(round((mask.x0 + cols) * scale)), bgr.shape[1])
        y1 = min(int(round((mask.y0 + rows) * scale)), bgr.shape[0])
        if x1 <= x0 or y1 <= y0 or not rows or not cols:
            return
        inside = mask.data
        if (x1 - x0, y1 - y0) != (cols, rows):
            inside = cv2.resize(inside.view(np.uint8), (x1 - x0, y1 - y0),
                                interpolation=cv2.INTER_NEAREST).astype(bool)
        window = bgr[y0:y1, x0:x1]
        window[inside] = (window[inside] * (1.0 - self.mask_alpha)
                          + np.asarray(colour) * self.mask_alpha).astype(np.uint8)

    def _skeleton(self, bgr: np.ndarray, keypoints: Keypoints, colour: Tuple[int, int, int],
                  thickness: int, scale: float) -> None:
        """Join the confident keypoints along the skeleton, then dot them."""
        xy = np.asarray(keypoints.xy, dtype=np.float64) * scale
        visible = np.asarray(keypoints.scores) >= self.keypoint_threshold
        points = [(int(round(x)), int(round(y))) for x, y in xy]
        for a, b in self.skeleton:
            if a < len(points) and b < len(points) and visible[a] and visible[b]:
                cv2.line(bgr, points[a], points[b], colour, thickness, cv2.LINE_AA)
        for point, seen in zip(points, visible):
            if seen:
                cv2.circle(bgr, point, thickness + 1, (255, 255, 255), cv2.FILLED, cv2.LINE_AA)

    def _tag(self, bgr: np.ndarray, text: str, corner: Tuple[int, int],
             colour: Tuple[int, int, int], font_scale: float) -> None:
        """Write `text` on a filled box above `corner` (below it when there is no room)."""
        font = cv2.FONT_HERSHEY_SIMPLEX
        (width, height), baseline = cv2.getTextSize(text, font, font_scale, 1)
        box_height = height + baseline + 2
        x, y = corner
        top = y if y - box_height < 0 else y - box_height
        cv2.rectangle(bgr, (x, top), (x + width + 2, top + box_height), colour, cv2.FILLED)
        cv2.putText(bgr, text, (x + 1, top + height + 1), font, font_scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
