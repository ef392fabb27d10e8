# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Turn raw detector outputs into `Detection`s in source-image pixels.

Three output formats cover the detectors people deploy:

* ``yolov8``: one tensor ``[N, 4 + C, A]`` (cx, cy, w, h, then C class scores; no objectness),
  from YOLOv8/YOLO11 exports; the transposed ``[N, A, 4 + C]`` is read too.
* ``yolov5``: one tensor ``[N, A, 5 + C]`` (cx, cy, w, h, objectness, C class probabilities),
  from YOLOv5/YOLOv7 exports and YOLOX with decoding in the model; score = objectness x class.
* ``efficient_nms``: models and engines that end in TensorRT's EfficientNMS_TRT plugin
  (count, boxes, scores and classes), already suppressed.

The dense formats are thresholded, filtered by class, capped, suppressed per class and capped
again, in that order; boxes are in network-input pixels until `Letterbox.to_source` maps them
to the source image and clips them.
"""

import abc
from dataclasses import dataclass
import numbers
import re
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from trt_perception.core.backend import TensorSpec
from trt_perception.core.checks import is_int
from trt_perception.core.detection import Detection, label_for
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.nms import batched_nms

DECODERS = ('auto', 'yolov8', 'yolov5', 'efficient_nms')
"""Values of the `decoder` parameter."""

MAX_NMS_CANDIDATES = 30000
"""Highest-scoring candidates per image that reach NMS; bounds its cost at low thresholds."""


def _check_fraction(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0.0 <= float(value) <= 1.0:
        raise ValueError('%s=%r must be a number between 0 and 1' % (name, value))
    return float(value)


@dataclass(frozen=True)
class DetectionParams:
    """
    Thresholds and filters applied when decoding; validated on construction.

    `classes` keeps only detections whose best class is in the set (so the result is the
    unfiltered one restricted to those classes); None or an empty collection keeps every class.
    `agnostic` lets boxes of different classes suppress each other.
    """

    conf_threshold: float = 0.25
    iou_threshold: float = 0.45
    max_detections: int = 100
    classes: Optional[FrozenSet[int]] = None
    agnostic: bool = False

    def __post_init__(self) -> None:
        """Check each value; store `classes` as a frozenset, None when empty."""
        object.__setattr__(self, 'conf_threshold',
                           _check_fraction('conf_threshold', self.conf_threshold))
        object.__setattr__(self, 'iou_threshold',
                           _check_fraction('iou_threshold', self.iou_threshold))
        if not is_int(self.max_detections) or self.max_detections < 1:
            raise ValueError('max_detections=%r must be a whole number of at least 1'
                             % (self.max_detections,))
        object.__setattr__(self, 'max_detections', int(self.max_detections))
        if not isinstance(self.agnostic, (bool, np.bool_)):
            raise ValueError('agnostic=%r must be true or false' % (self.agnostic,))
        object.__setattr__(self, 'agnostic', bool(self.agnostic))
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


class Decoder(abc.ABC):
    """Turns one batch of model outputs into detections per image."""

    kind: str = ''
    """The `decoder` parameter value that selects this decoder."""

    def __init__(self, labels: Sequence[str]) -> None:
        """Report class ids with `labels` (class id as text where there is no label)."""
        self.labels = list(labels)

    @abc.abstractmethod
    def decode(self, outputs: Mapping[str, np.ndarray], letterboxes: Sequence[Letterbox],
               params: DetectionParams) -> List[List[Detection]]:
        """Return detections for each of the `len(letterboxes)` images, best first."""

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

    def decode(self, outputs: Mapping[str, np.ndarray], letterboxes: Sequence[Letterbox],
               params: DetectionParams) -> List[List[Detection]]:
        """Threshold, filter, suppress and map each image's candidates."""
        array = self._output(outputs, self.output, len(letterboxes))
        if array.ndim != 3:
            raise ValueError('the %s decoder needs a 3-D output, got %r shaped %s'
                             % (self.kind, self.output, array.shape))
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

    def _candidates(self, prediction, conf_threshold):
        if prediction.shape[1] < 6:
            raise ValueError('output %r shaped %s is not a YOLOv5 output [A, 5 + C]'
                             % (self.output, prediction.shape))
        # Class probabilities are at most 1, so objectness above the threshold is necessary
        # for the product to be: filtering on it first keeps the product small.
        anchors = np.flatnonzero(prediction[:, 4] > conf_threshold)
        rows = prediction[anchors]
        class_scores = rows[:, 5:] * rows[:, 4:5]
        class_ids = class_scores.argmax(axis=1)
        scores = class_scores[np.arange(class_ids.size), class_ids]
        keep = scores > conf_threshold
        return rows[keep, :4].T, scores[keep], class_ids[keep], anchors[keep]


_ROLES = (('count', ('num',)), ('boxes', ('box',)), ('scores', ('score', 'conf')),
          ('classes', ('class', 'label')))


def _efficient_nms_names(outputs: Sequence[TensorSpec]) -> Optional[Dict[str, str]]:
    """Output name for each EfficientNMS role (count, boxes, scores, classes), or None."""
    found: Dict[str, List[str]] = {role: [] for role, _ in _ROLES}
    for spec in outputs:
        name = re.sub('[^a-z]', '', spec.name.lower())
        roles = [role for role, words in _ROLES if any(word in name for word in words)]
        if len(roles) == 1:
            found[roles[0]].append(spec.name)
    if any(len(names) != 1 for names in found.values()):
        return None
    return {role: names[0] for role, names in found.items()}


class EfficientNmsDecoder(Decoder):
    """
    Outputs of TensorRT's EfficientNMS_TRT plugin: boxes already suppressed, xyxy.

    Output names are matched by what they contain (num_detections / num_dets, detection_boxes
    / det_boxes, detection_scores / det_scores, detection_classes / det_classes / labels).
    `normalized_boxes` says the boxes are fractions of the network input's width and height.
    """

    kind = 'efficient_nms'

    def __init__(self, labels: Sequence[str], outputs: Sequence[TensorSpec],
                 normalized_boxes: bool = False) -> None:
        """Find the four plugin outputs among `outputs` by name."""
        super().__init__(labels)
        names = _efficient_nms_names(outputs)
        if names is None:
            raise ValueError(
                'the efficient_nms decoder needs four outputs named like num_detections, '
                'detection_boxes, detection_scores and detection_classes; the model has %s: '
                'set the decoder parameter to match the model'
                % ', '.join(o.describe() for o in outputs))
        self.names = names
        self.normalized_boxes = bool(normalized_boxes)

    def decode(self, outputs: Mapping[str, np.ndarray], letterboxes: Sequence[Letterbox],
               params: DetectionParams) -> List[List[Detection]]:
        """Apply threshold, class filter and max_detections to the plugin's results."""
        batch = len(letterboxes)
        count, boxes, scores, classes = (self._output(outputs, self.names[role], batch)
                                         for role, _ in _ROLES)
        count = count.reshape(count.shape[0], -1)[:, 0]
        return [self._decode_one(int(count[i]), boxes[i], scores[i], classes[i], letterbox,
                                 params) for i, letterbox in enumerate(letterboxes)]

    def _decode_one(self, count: int, boxes: np.ndarray, scores: np.ndarray,
                    classes: np.ndarray, letterbox: Letterbox,
                    params: DetectionParams) -> List[Detection]:
        count = min(max(count, 0), scores.shape[0])
        boxes = boxes[:count].astype(np.float64)
        scores = scores[:count]
        class_ids = classes[:count].astype(np.int64)
        keep = (scores > params.conf_threshold) & np.isfinite(boxes).all(axis=1)
        if params.classes is not None:
            keep &= _class_mask(class_ids, params.classes)
        keep = np.flatnonzero(keep)
        keep = keep[np.argsort(-scores[keep], kind='stable')[:params.max_detections]]
        boxes = boxes[keep]
        if self.normalized_boxes:
            boxes *= np.array([letterbox.dst_width, letterbox.dst_height] * 2, dtype=np.float64)
        return self._detections(letterbox, boxes, scores[keep], class_ids[keep])


_DENSE = {YoloV8Decoder.kind: YoloV8Decoder, YoloV5Decoder.kind: YoloV5Decoder}


def _dense_formats(spec: TensorSpec) -> List[Tuple[str, int]]:
    """(kind, classes) readings of a 3-D output that its known dimensions allow."""
    rows, cols = (_known(d) for d in spec.shape[1:])
    readings = []
    if rows is not None and (cols is None or cols > rows):
        readings.append((YoloV8Decoder.kind, rows - 4))
    if cols is not None and (rows is None or rows > cols):
        readings.extend([(YoloV8Decoder.kind, cols - 4), (YoloV5Decoder.kind, cols - 5)])
    return [(kind, classes) for kind, classes in readings if classes >= 1]


def _cannot_tell(outputs: Sequence[TensorSpec], why: str) -> ValueError:
    return ValueError('cannot tell the detector output format from outputs %s (%s): set the '
                      'decoder parameter to one of %s'
                      % (', '.join(o.describe() for o in outputs) or 'none', why,
                         ', '.join(DECODERS[1:])))


def _dense_output(outputs: Sequence[TensorSpec]) -> Optional[TensorSpec]:
    """Return the only 3-D output (exports may add the raw 5-D head outputs beside it)."""
    candidates = [o for o in outputs if len(o.shape) == 3]
    return candidates[0] if len(candidates) == 1 else None


def _auto_decoder(outputs: Sequence[TensorSpec], labels: Sequence[str],
                  normalized_boxes: bool) -> Decoder:
    if _efficient_nms_names(outputs) is not None:
        return EfficientNmsDecoder(labels, outputs, normalized_boxes)
    output = _dense_output(outputs)
    if output is None:
        raise _cannot_tell(outputs, 'neither the four EfficientNMS outputs nor a single 3-D '
                           'output')
    readings = _dense_formats(output)
    if len(readings) > 1:
        readings = [r for r in readings if r[1] == len(labels)]
    if len(readings) != 1:
        options = ' or '.join('%s with %d classes' % r for r in _dense_formats(output))
        raise _cannot_tell(outputs, '%s; the label file has %d names'
                           % (options or 'no YOLO layout fits', len(labels)))
    return _DENSE[readings[0][0]](labels, output)


def make_decoder(kind: str, outputs: Sequence[TensorSpec], labels: Sequence[str],
                 normalized_boxes: bool = False) -> Decoder:
    """
    Build the decoder `kind` names for these outputs; 'auto' tells it from their shapes.

    'auto' picks efficient_nms for the four EfficientNMS outputs; for a single 3-D output it
    picks yolov8 when the channels come first, and otherwise the layout whose class count
    matches the label file.  `normalized_boxes` only applies to efficient_nms.
    """
    if kind == 'auto':
        return _auto_decoder(outputs, labels, normalized_boxes)
    if kind == EfficientNmsDecoder.kind:
        return EfficientNmsDecoder(labels, outputs, normalized_boxes)
    if kind not in _DENSE:
        raise ValueError('decoder=%r is not one of %s' % (kind, ', '.join(DECODERS)))
    output = _dense_output(outputs)
    if output is None:
        raise ValueError('the %s decoder needs exactly one 3-D output, the model has %s: set '
                         'the decoder parameter to match the model'
                         % (kind, ', '.join(o.describe() for o in outputs) or 'none'))
    return _DENSE[kind](labels, output)
