# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Turn raw detector outputs into `Detection`s in source-image pixels.

The output formats of the detectors people deploy (docs/models.md has the table):

* ``yolov8``: one tensor ``[N, 4 + C, A]`` (cx, cy, w, h, then C class scores; no objectness),
  from Ultralytics' dense heads (YOLOv5u, v8, v9, v10 and YOLO11/12/26 exported with NMS
  left to us); the transposed ``[N, A, 4 + C]`` is read too.
* ``yolov5``: one tensor ``[N, A, 5 + C]`` (cx, cy, w, h, objectness, C class probabilities),
  from YOLOv5/YOLOv7 exports and YOLOX with decoding in the model; score = objectness x class.
* ``yolox``: YOLOX's raw export ``[N, A, 5 + C]``: box offsets per grid cell of strides 8, 16
  and 32 still to decode, then read as ``yolov5``.
* ``end2end``: ``[N, K, 6]`` rows x1, y1, x2, y2, score, class in input pixels, best first,
  from NMS-free heads (YOLOv10 and YOLO26 exported end to end, or any export with NMS inside).
* ``rtdetr``: ``[N, K, 6]`` rows cx, cy, w, h in 0..1 of the input, score, class, from RT-DETR
  as Ultralytics exports it.
* ``detr``: three outputs labels ``[N, K]``, boxes ``[N, K, 4]`` (x1, y1, x2, y2) and scores
  ``[N, K]``, as D-FINE and DEIM deploy exports give them.
* ``efficient_nms``: models and engines that end in TensorRT's EfficientNMS_TRT plugin
  (count, boxes, scores and classes), already suppressed.

The dense formats are thresholded, filtered by class, capped, suppressed per class and capped
again, in that order; the others are already one box per object, so they are only thresholded,
filtered by class and capped.  Boxes are in network-input pixels until `Letterbox.to_source`
maps them to the source image and clips them.
"""

import abc
from dataclasses import dataclass
import re
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from trt_perception.core.backend import TensorSpec
from trt_perception.core.checks import is_int
from trt_perception.core.detection import Detection, label_for
from trt_perception.core.keypoints import KeypointLayout
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.nms import batched_nms
from trt_perception.core.schema import setting, validate

DECODERS = ('auto', 'yolov8', 'yolov5', 'yolox', 'end2end', 'rtdetr', 'detr', 'efficient_nms',
            'segment', 'pose')
"""Values of the `decoder` parameter; 'segment' and 'pose' are the YOLO heads with masks and
keypoints (`head_decoders.model_decoder` builds them)."""

YOLOX_STRIDES = (8, 16, 32)
"""Strides of the grids a raw YOLOX output's anchors run over, in output order."""

MAX_NMS_CANDIDATES = 30000
"""Highest-scoring candidates per image that reach NMS; bounds its cost at low thresholds."""


@dataclass(frozen=True)
class DetectionParams:
    """
    Thresholds and filters applied when decoding; validated on construction.

    `classes` keeps only detections whose best class is in the set (so the result is the
    unfiltered one restricted to those classes); None or an empty collection keeps every class.
    `agnostic` lets boxes of different classes suppress each other.
    """

    conf_threshold: float = setting(0.25, 'Minimum detection score.', low=0.0, high=1.0,
                                    runtime=True)
    iou_threshold: float = setting(0.45, 'Overlap (IoU) above which NMS suppresses a box.',
                                   low=0.0, high=1.0, runtime=True)
    max_detections: int = setting(100, 'Most detections reported per image.', low=1,
                                  high=10000, runtime=True)
    classes: Optional[FrozenSet[int]] = None
    agnostic: bool = setting(False, 'Let boxes of different classes suppress each other.',
                             runtime=True, name='agnostic_nms')

    def __post_init__(self) -> None:
        """Check each setting; store `classes` as a frozenset, None when empty."""
        validate(self)
        object.__setattr__(self, 'classes', self._class_set(self.classes))

    @staticmethod
    def _class_set(classes) -> Optional[FrozenSet[int]]:
        if classes is None:
            return None
        if isinstance(classes, (str, bytes)) or not hasattr(classes, '__iter__'):
            raise ValueError('classes=%r must be a collection of class ids' % (classes,))
        ids = list(classes)
        bad = [c for c in ids if not is_int(c) or c < 0]
        if bad:
            raise ValueError('classes=%r: %r are not class ids (whole numbers from 0)'
                             % (classes, bad))
        return frozenset(int(c) for c in ids) or None


def parse_classes(text: str, labels: Sequence[str]) -> Optional[FrozenSet[int]]:
    """
    Class ids named by a 'classes' value: names or ids, comma-separated; '' means all.

    With `labels` (one per class of the model), an id the model does not have is refused: it
    would silently filter out every detection.
    """
    ids = set()
    for item in (part.strip() for part in text.split(',')):
        if not item:
            continue
        if item in labels:
            ids.add(list(labels).index(item))
        elif item.isdigit():
            if labels and int(item) >= len(labels):
                raise ValueError('classes=%r: class id %s is not in this model, which has %d '
                                 'classes (ids 0 to %d); give names or ids from its labels'
                                 % (text, item, len(labels), len(labels) - 1))
            ids.add(int(item))
        else:
            raise ValueError("classes=%r: %r is neither a class id nor one of the model's "
                             'labels (%s)' % (text, item, ', '.join(labels) or 'none'))
    return frozenset(ids) or None


class Decoder(abc.ABC):
    """Turns one batch of model outputs into detections per image."""

    kind: str = ''
    """The `decoder` parameter value that selects this decoder."""
    masks: bool = False
    """Whether its detections carry instance masks."""

    def __init__(self, labels: Sequence[str]) -> None:
        """Report class ids with `labels` (class id as text where there is no label)."""
        self.labels = list(labels)

    @abc.abstractmethod
    def decode(self, outputs: Mapping[str, np.ndarray], letterboxes: Sequence[Letterbox],
               params: DetectionParams) -> List[List[Detection]]:
        """Return detections for each of the `len(letterboxes)` images, best first."""

    @property
    def keypoint_layout(self) -> Optional[KeypointLayout]:
        """Layout of its detections' keypoints; None where they carry none."""
        return None

    def _output(self, outputs: Mapping[str, np.ndarray], name: str, batch: int) -> np.ndarray:
        try:
            array = outputs[name]
        except KeyError:
            raise ValueError('the %s decoder needs model output %r but got %s: set the decoder '
                             'parameter to match the model' % (self.kind, name,
                                                               sorted(outputs))) from None
        if array.ndim < 1 or array.shape[0] < batch:
            raise ValueError('output %r has shape %s, fewer than the %d images in the batch'
                             % (name, array.shape, batch))
        return array

    def _detections(self, letterbox: Letterbox, boxes: np.ndarray, scores: np.ndarray,
                    class_ids: np.ndarray) -> List[Detection]:
        corners = letterbox.to_source(boxes).tolist()
        return [Detection(x1, y1, x2, y2, score, class_id, label_for(self.labels, class_id))
                for (x1, y1, x2, y2), score, class_id
                in zip(corners, scores.tolist(), class_ids.tolist())]


def _class_mask(class_ids: np.ndarray, classes: FrozenSet[int]) -> np.ndarray:
    return np.isin(class_ids, np.fromiter(classes, dtype=np.int64, count=len(classes)))


def _best_kept(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray,
               params: DetectionParams) -> np.ndarray:
    """
    Pick boxes already one per object: above the threshold, of the classes kept.

    Returns their indices best first (ties in output order), at most max_detections.
    """
    keep = (scores > params.conf_threshold) & np.isfinite(boxes).all(axis=1)
    if params.classes is not None:
        keep &= _class_mask(class_ids, params.classes)
    keep = np.flatnonzero(keep)
    return keep[np.argsort(-scores[keep], kind='stable')[:params.max_detections]]


class _DenseDecoder(Decoder):
    """A decoder for one tensor of per-anchor candidates that still needs NMS."""

    def __init__(self, labels: Sequence[str], output: TensorSpec,
                 max_candidates: int = MAX_NMS_CANDIDATES) -> None:
        """Read model output `output`; at most `max_candidates` per image reach NMS."""
        super().__init__(labels)
        if len(output.shape) != 3:
            raise ValueError('the %s decoder needs a 3-D output, got %s: set the decoder '
                             'parameter to match the model' % (self.kind, output.describe()))
        self.output = output.name
        self.max_candidates = max_candidates

    @abc.abstractmethod
    def _candidates(self, prediction: np.ndarray, conf_threshold: float
                    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """
        Rows cx, cy, w, h [4, K], scores [K], class ids [K] and anchor indices [K].

        Only the anchors whose score is above the threshold are candidates.
        """

    def _predictions(self, outputs: Mapping[str, np.ndarray], count: int) -> np.ndarray:
        """Return the dense output of `count` images, checked to be 3-D."""
        array = self._output(outputs, self.output, count)
        if array.ndim != 3:
            raise ValueError('the %s decoder needs a 3-D output, got %r shaped %s'
                             % (self.kind, self.output, array.shape))
        return array

    def decode(self, outputs: Mapping[str, np.ndarray], letterboxes: Sequence[Letterbox],
               params: DetectionParams) -> List[List[Detection]]:
        """Threshold, filter, suppress and map each image's candidates."""
        array = self._predictions(outputs, len(letterboxes))
        return [self._decode_one(array[i], letterbox, params)
                for i, letterbox in enumerate(letterboxes)]

    def _decode_one(self, prediction: np.ndarray, letterbox: Letterbox,
                    params: DetectionParams) -> List[Detection]:
        boxes, scores, class_ids, _ = self._select(prediction, params)
        return self._detections(letterbox, boxes, scores, class_ids)

    def _select(self, prediction: np.ndarray, params: DetectionParams
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Kept xyxy boxes (network pixels), scores, class ids and anchors, best first."""
        cxcywh, scores, class_ids, anchors = self._candidates(prediction, params.conf_threshold)
        cx, cy, w, h = cxcywh.astype(np.float64)
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        keep = np.isfinite(boxes).all(axis=1)
        if params.classes is not None:
            keep &= _class_mask(class_ids, params.classes)
        boxes, scores, class_ids, anchors = (boxes[keep], scores[keep], class_ids[keep],
                                             anchors[keep])
        if scores.size > self.max_candidates:
            # Back in anchor order, so equal scores still go to NMS lowest anchor first.
            top = np.sort(np.argpartition(-scores, self.max_candidates - 1)[:self.max_candidates])
            boxes, scores, class_ids, anchors = (boxes[top], scores[top], class_ids[top],
                                                 anchors[top])
        kept = batched_nms(boxes, scores, class_ids, params.iou_threshold,
                           max_output=params.max_detections, agnostic=params.agnostic)
        return boxes[kept], scores[kept], class_ids[kept], anchors[kept]


def _channels_first(rows: Optional[int], cols: Optional[int]) -> Optional[bool]:
    """Whether a [rows, cols] YOLOv8 prediction has channels first; None when unknown."""
    if rows is None or cols is None or rows == cols:
        return None
    return rows < cols


def _known(dim) -> Optional[int]:
    return dim if isinstance(dim, int) and dim >= 0 else None


class YoloV8Decoder(_DenseDecoder):
    """
    YOLOv8/YOLO11 output ``[N, 4 + C, A]`` or, transposed, ``[N, A, 4 + C]`` (A > 4 + C).

    `extra_channels` per-anchor channels after the class scores (mask coefficients,
    keypoints) are not scores; subclasses read them for the kept anchors.
    """

    kind = 'yolov8'

    def __init__(self, labels: Sequence[str], output: TensorSpec,
                 max_candidates: int = MAX_NMS_CANDIDATES, extra_channels: int = 0) -> None:
        """Fix the layout now where the output's shape tells it, else per batch."""
        super().__init__(labels, output, max_candidates)
        self.extra_channels = extra_channels
        rows, cols = (_known(d) for d in output.shape[1:])
        self._layout = _channels_first(rows, cols)
        if rows is not None and cols is not None and (self._layout is None
                                                      or min(rows, cols) < 5 + extra_channels):
            raise ValueError('output %s is not a YOLOv8 output [N, 4 + C%s, A] with more anchors '
                             'A than channels: set the decoder parameter to match the model'
                             % (output.describe(),
                                ' + %d' % extra_channels if extra_channels else ''))

    def _channels(self, prediction: np.ndarray) -> np.ndarray:
        """Return one image's prediction as a channels-first [4 + C + extra, A] view."""
        layout = self._layout
        if layout is None:
            layout = _channels_first(*prediction.shape)
            if layout is None or min(prediction.shape) < 5 + self.extra_channels:
                raise ValueError('output %r shaped %s is not a YOLOv8 output [4 + C, A] with '
                                 'more anchors A than channels' % (self.output, prediction.shape))
        # A transposed view, not a copy: the reductions below run over it in place.
        return prediction if layout else prediction.T

    def _candidates(self, prediction, conf_threshold):
        channels = self._channels(prediction)
        class_scores = channels[4:channels.shape[0] - self.extra_channels]
        best = class_scores.max(axis=0)
        keep = np.flatnonzero(best > conf_threshold)
        class_ids = class_scores[:, keep].argmax(axis=0)
        return channels[:4, keep], best[keep], class_ids, keep


class YoloV5Decoder(_DenseDecoder):
    """YOLOv5/YOLOv7 (and YOLOX) output ``[N, A, 5 + C]``; score = objectness x class."""

    kind = 'yolov5'

    def __init__(self, labels: Sequence[str], output: TensorSpec,
                 max_candidates: int = MAX_NMS_CANDIDATES) -> None:
        """Check the output's row width where it is known."""
        super().__init__(labels, output, max_candidates)
        width = _known(output.shape[2])
        if width is not None and width < 6:
            raise ValueError('output %s is not a YOLOv5 output [N, A, 5 + C]: set the decoder '
                             'parameter to match the model' % output.describe())

    def _objects(self, prediction: np.ndarray,
                 conf_threshold: float) -> Tuple[np.ndarray, np.ndarray]:
        """Return indices [K] and rows [K, 5 + C] of anchors with objectness above threshold."""
        anchors = np.flatnonzero(prediction[:, 4] > conf_threshold)
        return anchors, prediction[anchors]

    def _candidates(self, prediction, conf_threshold):
        if prediction.ndim != 2 or prediction.shape[1] < 6:
            raise ValueError('output %r shaped %s is not a YOLOv5 output [A, 5 + C]'
                             % (self.output, prediction.shape))
        # Class probabilities are at most 1, so objectness above the threshold is necessary
        # for the product to be: filtering on it first keeps the product small.
        anchors, rows = self._objects(prediction, conf_threshold)
        class_scores = rows[:, 5:] * rows[:, 4:5]
        class_ids = class_scores.argmax(axis=1)
        scores = class_scores[np.arange(class_ids.size), class_ids]
        keep = scores > conf_threshold
        return rows[keep, :4].T, scores[keep], class_ids[keep], anchors[keep]


def yolox_anchors(width: int, height: int) -> int:
    """Anchors (grid cells of strides 8, 16 and 32) of a YOLOX output for this input size."""
    return sum((height // stride) * (width // stride) for stride in YOLOX_STRIDES)


class YoloxDecoder(YoloV5Decoder):
    """
    YOLOX's raw output ``[N, A, 5 + C]`` (its export's default, ``decode_in_inference`` off).

    Each anchor is a grid cell of stride 8, 16 or 32 in that order, cells row by row; its box
    is ``((dx, dy) + cell) * stride`` and ``exp(dw, dh) * stride``; objectness and class
    scores are already probabilities, as in YOLOX's ``demo_postprocess``.
    """

    kind = 'yolox'

    def __init__(self, labels: Sequence[str], output: TensorSpec,
                 input_size: Optional[Tuple[int, int]],
                 max_candidates: int = MAX_NMS_CANDIDATES) -> None:
        """Lay out the grids for the network input `input_size` (width, height)."""
        super().__init__(labels, output, max_candidates)
        if input_size is None:
            raise ValueError('the yolox decoder needs the network input size, which model '
                             'input %s does not fix' % output.describe())
        width, height = input_size
        cells, strides = [], []
        for stride in YOLOX_STRIDES:
            ys, xs = np.mgrid[0:height // stride, 0:width // stride]
            cells.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
            strides.append(np.full(xs.size, stride))
        self._cells = np.concatenate(cells).astype(np.float64)
        self._strides = np.concatenate(strides).astype(np.float64)[:, None]
        anchors = _known(output.shape[1])
        if anchors is not None and anchors != len(self._cells):
            raise ValueError('output %s has %d anchors, but a YOLOX output for a %dx%d input '
                             'has %d (strides %s): set the decoder parameter to match the '
                             'model' % (output.describe(), anchors, width, height,
                                        len(self._cells), YOLOX_STRIDES))

    def _objects(self, prediction, conf_threshold):
        if prediction.shape[0] != len(self._cells):
            raise ValueError('output %r shaped %s does not have the %d anchors of a YOLOX '
                             'output for this input size'
                             % (self.output, prediction.shape, len(self._cells)))
        keep = np.flatnonzero(prediction[:, 4] > conf_threshold)
        rows = prediction[keep].astype(np.float64)
        strides = self._strides[keep]
        rows[:, :2] = (rows[:, :2] + self._cells[keep]) * strides
        rows[:, 2:4] = np.exp(rows[:, 2:4]) * strides
        return keep, rows


class _OneBoxPerObjectDecoder(Decoder):
    """
    One tensor ``[N, K, 6 + E]`` of boxes already one per object, best first.

    Each row holds four box numbers, score, class id, then E extra channels (mask
    coefficients, keypoints) that this decoder ignores.
    """

    def __init__(self, labels: Sequence[str], output: TensorSpec) -> None:
        """Read model output `output`, checking its layout where the shape tells it."""
        super().__init__(labels)
        width = _known(output.shape[2]) if len(output.shape) == 3 else 0
        if width is not None and width < 6:
            raise ValueError('the %s decoder needs an output [N, K, 6] (box, score, class), '
                             'got %s: set the decoder parameter to match the model'
                             % (self.kind, output.describe()))
        self.output = output.name

    @abc.abstractmethod
    def _corners(self, boxes: np.ndarray, letterbox: Letterbox) -> np.ndarray:
        """x1, y1, x2, y2 [K, 4] in input pixels of the output's four box numbers [K, 4]."""

    def decode(self, outputs: Mapping[str, np.ndarray], letterboxes: Sequence[Letterbox],
               params: DetectionParams) -> List[List[Detection]]:
        """Threshold, filter, cap and map each image's boxes."""
        array = self._output(outputs, self.output, len(letterboxes))
        if array.ndim != 3 or array.shape[2] < 6:
            raise ValueError('the %s decoder needs an output [N, K, 6], got %r shaped %s'
                             % (self.kind, self.output, array.shape))
        detections = []
        for rows, letterbox in zip(array, letterboxes):
            boxes = self._corners(rows[:, :4].astype(np.float64), letterbox)
            scores = rows[:, 4]
            class_ids = np.rint(rows[:, 5]).astype(np.int64)
            keep = _best_kept(boxes, scores, class_ids, params)
            detections.append(self._detections(letterbox, boxes[keep], scores[keep],
                                               class_ids[keep]))
        return detections


class EndToEndDecoder(_OneBoxPerObjectDecoder):
    """NMS-free heads (YOLOv10, YOLO26 end to end): ``[N, K, 6]`` x1, y1, x2, y2 in pixels."""

    kind = 'end2end'

    def _corners(self, boxes, letterbox):
        return boxes


class RtDetrDecoder(_OneBoxPerObjectDecoder):
    """RT-DETR as Ultralytics exports it: ``[N, K, 6]`` cx, cy, w, h in 0..1 of the input."""

    kind = 'rtdetr'

    def _corners(self, boxes, letterbox):
        cx, cy, w, h = boxes.T
        size = np.array([letterbox.dst_width, letterbox.dst_height] * 2, dtype=np.float64)
        return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1) * size


Roles = Tuple[Tuple[str, Tuple[str, ...]], ...]
"""Output roles and the words an output's name holds to play one."""
_DETR_ROLES: Roles = (('boxes', ('box',)), ('scores', ('score', 'conf')),
                      ('classes', ('class', 'label')))
_EFFICIENT_NMS_ROLES: Roles = (('count', ('num',)),) + _DETR_ROLES


def _role_names(outputs: Sequence[TensorSpec], roles: Roles) -> Optional[Dict[str, str]]:
    """Output name for each of `roles` (role, words its name contains), or None."""
    found: Dict[str, List[str]] = {role: [] for role, _ in roles}
    for spec in outputs:
        name = re.sub('[^a-z]', '', spec.name.lower())
        matched = [role for role, words in roles if any(word in name for word in words)]
        if len(matched) == 1:
            found[matched[0]].append(spec.name)
    if any(len(names) != 1 for names in found.values()):
        return None
    return {role: names[0] for role, names in found.items()}


class DetrDecoder(Decoder):
    """
    DETR-family outputs as D-FINE and DEIM deploy exports give them, matched by name.

    Boxes x1, y1, x2, y2 ``[N, K, 4]``, scores ``[N, K]`` and labels ``[N, K]``.

    Their ``orig_target_sizes`` input is fed the network input's size (the ONNX Runtime
    backend does), so boxes come in input pixels; `normalized_boxes` says they are in 0..1.
    """

    kind = 'detr'
    _roles: Roles = _DETR_ROLES
    _names_hint = 'boxes, scores and labels'

    def __init__(self, labels: Sequence[str], outputs: Sequence[TensorSpec],
                 normalized_boxes: bool = False) -> None:
        """Find the outputs among `outputs` by name."""
        super().__init__(labels)
        names = _role_names(outputs, self._roles)
        if names is None:
            raise ValueError(
                'the %s decoder needs outputs named like %s; the model has %s: set the '
                'decoder parameter to match the model'
                % (self.kind, self._names_hint, ', '.join(o.describe() for o in outputs)))
        self.names = names
        self.normalized_boxes = bool(normalized_boxes)

    def decode(self, outputs: Mapping[str, np.ndarray], letterboxes: Sequence[Letterbox],
               params: DetectionParams) -> List[List[Detection]]:
        """Apply threshold, class filter and max_detections to each image's boxes."""
        batch = len(letterboxes)
        boxes, scores, classes = (self._output(outputs, self.names[role], batch)
                                  for role, _ in _DETR_ROLES)
        return [self._decode_one(boxes[i].reshape(-1, 4), scores[i].reshape(-1),
                                 classes[i].reshape(-1), letterbox, params)
                for i, letterbox in enumerate(letterboxes)]

    def _decode_one(self, boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray,
                    letterbox: Letterbox, params: DetectionParams) -> List[Detection]:
        boxes = boxes.astype(np.float64)
        class_ids = np.rint(classes).astype(np.int64)
        keep = _best_kept(boxes, scores, class_ids, params)
        boxes = boxes[keep]
        if self.normalized_boxes:
            boxes *= np.array([letterbox.dst_width, letterbox.dst_height] * 2, dtype=np.float64)
        return self._detections(letterbox, boxes, scores[keep], class_ids[keep])


class EfficientNmsDecoder(DetrDecoder):
    """
    Outputs of TensorRT's EfficientNMS_TRT plugin: boxes already suppressed, xyxy.

    Output names are matched by what they contain (num_detections / num_dets, detection_boxes
    / det_boxes, detection_scores / det_scores, detection_classes / det_classes / labels).
    `normalized_boxes` says the boxes are fractions of the network input's width and height.
    """

    kind = 'efficient_nms'
    _roles = _EFFICIENT_NMS_ROLES
    _names_hint = 'num_detections, detection_boxes, detection_scores and detection_classes'

    def decode(self, outputs: Mapping[str, np.ndarray], letterboxes: Sequence[Letterbox],
               params: DetectionParams) -> List[List[Detection]]:
        """Keep each image's first `count` boxes, then filter them as DetrDecoder does."""
        batch = len(letterboxes)
        count, boxes, scores, classes = (self._output(outputs, self.names[role], batch)
                                         for role, _ in _EFFICIENT_NMS_ROLES)
        count = count.reshape(count.shape[0], -1)[:, 0]
        detections = []
        for i, letterbox in enumerate(letterboxes):
            n = min(max(int(count[i]), 0), scores[i].shape[0])
            detections.append(self._decode_one(boxes[i][:n], scores[i][:n], classes[i][:n],
                                               letterbox, params))
        return detections


_DENSE = {YoloV8Decoder.kind: YoloV8Decoder, YoloV5Decoder.kind: YoloV5Decoder}
_ONE_BOX = {EndToEndDecoder.kind: EndToEndDecoder, RtDetrDecoder.kind: RtDetrDecoder}
_BY_NAMES = {DetrDecoder.kind: DetrDecoder, EfficientNmsDecoder.kind: EfficientNmsDecoder}

Reading = Tuple[str, Optional[int]]
"""A decoder kind and the class count it reads in an output (None: any)."""


def _readings(spec: TensorSpec, input_size: Optional[Tuple[int, int]]) -> List[Reading]:
    """List the formats a 3-D output's known dimensions allow."""
    rows, cols = (_known(d) for d in spec.shape[1:])
    readings: List[Reading] = []
    if rows is not None and (cols is None or cols > rows):
        readings.append((YoloV8Decoder.kind, rows - 4))
    if cols is not None and (rows is None or rows > cols):
        readings.extend([(YoloV8Decoder.kind, cols - 4), (YoloV5Decoder.kind, cols - 5)])
        # One anchor per grid cell: YOLOX raw, or YOLOX decoded (YOLOv5 has three per cell).
        if input_size is not None and rows == yolox_anchors(*input_size):
            readings.append((YoloxDecoder.kind, cols - 5))
    readings = [(kind, classes) for kind, classes in readings
                if classes is not None and classes >= 1]
    if cols == 6:
        readings.extend([(EndToEndDecoder.kind, None), (RtDetrDecoder.kind, None)])
    return readings


def _describe(readings: Sequence[Reading]) -> str:
    return ' or '.join(kind if classes is None else '%s with %d classes' % (kind, classes)
                       for kind, classes in readings)


def _cannot_tell(outputs: Sequence[TensorSpec], why: str) -> ValueError:
    return ValueError('cannot tell the detector output format from outputs %s (%s): set the '
                      'decoder parameter to one of %s'
                      % (', '.join(o.describe() for o in outputs) or 'none', why,
                         ', '.join(DECODERS[1:])))


def _dense_output(outputs: Sequence[TensorSpec]) -> Optional[TensorSpec]:
    """Return the only 3-D output (exports may add the raw 5-D head outputs beside it)."""
    candidates = [o for o in outputs if len(o.shape) == 3]
    return candidates[0] if len(candidates) == 1 else None


def _auto_decoder(outputs: Sequence[TensorSpec], labels: Sequence[str], normalized_boxes: bool,
                  input_size: Optional[Tuple[int, int]]) -> Decoder:
    if _role_names(outputs, _EFFICIENT_NMS_ROLES) is not None:
        return EfficientNmsDecoder(labels, outputs, normalized_boxes)
    if len(outputs) == 3 and _role_names(outputs, _DETR_ROLES) is not None:
        return DetrDecoder(labels, outputs, normalized_boxes)
    output = _dense_output(outputs)
    if output is None:
        raise _cannot_tell(outputs, 'neither the outputs of EfficientNMS or a DETR export nor '
                           'a single 3-D output')
    readings = _readings(output, input_size)
    if len(readings) > 1:
        readings = [r for r in readings if r[1] is None or r[1] == len(labels)]
    if len(readings) != 1:
        raise _cannot_tell(outputs, '%s; the label file has %d names'
                           % (_describe(_readings(output, input_size))
                              or 'no YOLO layout fits', len(labels)))
    return make_decoder(readings[0][0], outputs, labels, normalized_boxes, input_size)


def make_decoder(kind: str, outputs: Sequence[TensorSpec], labels: Sequence[str],
                 normalized_boxes: bool = False,
                 input_size: Optional[Tuple[int, int]] = None) -> Decoder:
    """
    Build the decoder `kind` names for these outputs; 'auto' tells it from their shapes.

    'auto' picks efficient_nms or detr by output names; for a single 3-D output it picks the
    one reading its shape allows, using the number of labels and the network input size
    (`input_size`, width and height) to choose between readings; where several remain the
    error names them.  A model's metadata names its format before 'auto' has to guess
    (`ModelMetadata.output_format`).  `normalized_boxes` applies to efficient_nms and detr.
    """
    if kind == 'auto':
        return _auto_decoder(outputs, labels, normalized_boxes, input_size)
    if kind in _BY_NAMES:
        return _BY_NAMES[kind](labels, outputs, normalized_boxes)
    if kind not in _DENSE and kind not in _ONE_BOX and kind != YoloxDecoder.kind:
        raise ValueError('decoder=%r is not one of %s' % (kind, ', '.join(DECODERS)))
    output = _dense_output(outputs)
    if output is None:
        raise ValueError('the %s decoder needs exactly one 3-D output, the model has %s: set '
                         'the decoder parameter to match the model'
                         % (kind, ', '.join(o.describe() for o in outputs) or 'none'))
    if kind == YoloxDecoder.kind:
        return YoloxDecoder(labels, output, input_size)
    if kind in _ONE_BOX:
        return _ONE_BOX[kind](labels, output)
    return _DENSE[kind](labels, output)
