# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Decoders for YOLO segmentation and pose heads (YOLOv8, YOLO11 and YOLO26 exports).

Both heads are the detection head's ``[N, 4 + C + E, A]`` output with E extra channels per
anchor after the class scores; the boxes are thresholded, filtered, suppressed and capped
exactly as `YoloV8Decoder` does, and the extra channels are read for the kept anchors only.

* segmentation: E = M mask coefficients and a second output, the prototypes ``[N, M, H, W]``
  (H, W a quarter of the input's); each detection gets an `InstanceMask`.
* pose: E = K x D keypoint values (x, y and, with D = 3, a visibility score already passed
  through a sigmoid by the exported head); each detection gets `Keypoints` in source pixels,
  clipped to the image as its box is.  Scores are 1 for D = 2.
"""

import dataclasses
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from trt_perception.core.backend import TensorSpec
from trt_perception.core.decoders import (Decoder, DetectionParams, make_decoder,
                                          MAX_NMS_CANDIDATES, YoloV8Decoder)
from trt_perception.core.detection import Detection, Keypoints
from trt_perception.core.keypoints import KeypointLayout
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.masks import MaskAssembler


def _boxes(detections: Sequence[Detection]) -> np.ndarray:
    return np.array([d.box for d in detections], dtype=np.float64).reshape(-1, 4)


class _ExtraChannelsDecoder(YoloV8Decoder):
    """The detection decoder that also hands back the kept anchors' extra channels."""

    def _decode_with_extras(self, prediction: np.ndarray, letterbox: Letterbox,
                            params: DetectionParams) -> Tuple[List[Detection], np.ndarray]:
        """Return one image's detections, best first, and their extra channels [n, E]."""
        boxes, scores, class_ids, anchors = self._select(prediction, params)
        detections = self._detections(letterbox, boxes, scores, class_ids)
        return detections, self._channels(prediction)[-self.extra_channels:, anchors].T


class SegmentationDecoder(_ExtraChannelsDecoder):
    """YOLO segmentation: output ``[N, 4 + C + M, A]`` and prototypes ``[N, M, H, W]``."""

    kind = 'segment'
    masks = True

    def __init__(self, labels: Sequence[str], output: TensorSpec, protos: TensorSpec,
                 assembler: Optional[MaskAssembler] = None,
                 max_candidates: int = MAX_NMS_CANDIDATES) -> None:
        """Read boxes from `output` and masks from `protos` with `assembler` (CPU default)."""
        shape = protos.shape
        count = shape[1] if len(shape) == 4 else None
        if not isinstance(count, int) or count < 1:
            raise ValueError('the %s decoder needs a prototype output [N, M, H, W] with a fixed '
                             'number M of masks, got %s: export the model with Ultralytics '
                             '(task=segment)' % (self.kind, protos.describe()))
        super().__init__(labels, output, max_candidates, extra_channels=count)
        self.protos = protos.name
        self.assembler = assembler if assembler is not None else MaskAssembler()

    def decode(self, outputs: Mapping[str, np.ndarray], letterboxes: Sequence[Letterbox],
               params: DetectionParams) -> List[List[Detection]]:
        """Decode boxes, then assemble the masks of the kept detections."""
        batch = len(letterboxes)
        array = self._output(outputs, self.output, batch)
        protos = self._output(outputs, self.protos, batch)
        if array.ndim != 3 or protos.ndim != 4 or protos.shape[1] != self.extra_channels:
            raise ValueError('the %s decoder needs outputs %r [N, 4 + C + %d, A] and %r '
                             '[N, %d, H, W], got %s and %s'
                             % (self.kind, self.output, self.extra_channels, self.protos,
                                self.extra_channels, array.shape, protos.shape))
        results = []
        for i, letterbox in enumerate(letterboxes):
            detections, coefficients = self._decode_with_extras(array[i], letterbox, params)
            masks = self.assembler.assemble(protos[i], coefficients, _boxes(detections),
                                            letterbox)
            results.append([dataclasses.replace(d, mask=m) for d, m in zip(detections, masks)])
        return results


class PoseDecoder(_ExtraChannelsDecoder):
    """YOLO pose: output ``[N, 4 + C + K * D, A]`` with `layout` (K, D)."""

    kind = 'pose'

    def __init__(self, labels: Sequence[str], output: TensorSpec,
                 layout: KeypointLayout = KeypointLayout(),
                 max_candidates: int = MAX_NMS_CANDIDATES) -> None:
        """Read K x D keypoint channels after the class scores (COCO's 17 x 3 by default)."""
        super().__init__(labels, output, max_candidates, extra_channels=layout.channels)
        self.layout = layout

    @property
    def keypoint_layout(self) -> Optional[KeypointLayout]:
        """Layout of every detection's keypoints."""
        return self.layout

    def decode(self, outputs: Mapping[str, np.ndarray], letterboxes: Sequence[Letterbox],
               params: DetectionParams) -> List[List[Detection]]:
        """Decode boxes, then map the kept detections' keypoints to source pixels."""
        array = self._predictions(outputs, len(letterboxes))
        count, dims = self.layout.count, self.layout.dims
        results = []
        for i, letterbox in enumerate(letterboxes):
            detections, values = self._decode_with_extras(array[i], letterbox, params)
            values = values.reshape(-1, count, dims).astype(np.float64)
            xy = letterbox.to_source(np.concatenate([values[..., :2]] * 2, axis=-1))[..., :2]
            visible = values[..., 2] if dims == 3 else np.ones(values.shape[:2])
            results.append([dataclasses.replace(d, keypoints=Keypoints(xy[j], visible[j]))
                            for j, d in enumerate(detections)])
        return results


TASKS = ('segment', 'pose')
"""Ultralytics `task` metadata values these decoders serve."""


def head_decoder(task: str, outputs: Sequence[TensorSpec], labels: Sequence[str],
                 kpt_shape: Optional[Sequence[int]] = None,
                 assembler: Optional[MaskAssembler] = None) -> _ExtraChannelsDecoder:
    """
    Build the decoder for an Ultralytics `task` ('segment' or 'pose') and its outputs.

    segment: the 3-D output and the 4-D prototypes (`assembler`, CPU by default, builds the
    masks); pose: the 3-D output and `kpt_shape` [K, D] from the model's metadata (COCO's
    [17, 3] when None).
    """
    if task not in TASKS:
        raise ValueError('task %r has no mask or keypoint decoder; expected one of %s'
                         % (task, ', '.join(TASKS)))
    by_rank: Dict[int, List[TensorSpec]] = {}
    for spec in outputs:
        by_rank.setdefault(len(spec.shape), []).append(spec)
    wanted = (3, 4) if task == 'segment' else (3,)
    if any(len(by_rank.get(rank, ())) != 1 for rank in wanted):
        raise ValueError('a %s model needs %s, the model has %s: export it with Ultralytics '
                         '(yolo export format=onnx) or set the task to match'
                         % (task, 'one 3-D output and one 4-D prototype output'
                            if task == 'segment' else 'one 3-D output',
                            ', '.join(o.describe() for o in outputs) or 'none'))
    if task == 'segment':
        return SegmentationDecoder(labels, by_rank[3][0], by_rank[4][0], assembler)
    if kpt_shape is None:
        layout = KeypointLayout()
    elif len(kpt_shape) != 2:
        raise ValueError('kpt_shape=%r must be [K, D]: take it from the model metadata'
                         % (kpt_shape,))
    else:
        layout = KeypointLayout(kpt_shape[0], kpt_shape[1])
    return PoseDecoder(labels, by_rank[3][0], layout)


def is_segmentation_signature(outputs: Sequence[TensorSpec]) -> bool:
    """Whether the outputs are a YOLO segmentation head's: one 3-D output, one 4-D prototypes."""
    ranks = sorted(len(spec.shape) for spec in outputs)
    return ranks == [3, 4]


def model_decoder(kind: str, outputs: Sequence[TensorSpec], labels: Sequence[str],
                  kpt_shape: Optional[Sequence[int]] = None, normalized_boxes: bool = False,
                  input_size: Optional[Tuple[int, int]] = None) -> Decoder:
    """
    Build the decoder `kind` (a `decoder` parameter value) names for a model's outputs.

    'segment' and 'pose' are the heads of this module (`kpt_shape` from the model's
    metadata); 'auto' takes outputs of a segmentation head's signature for one (an export
    without metadata), else leaves the choice to `make_decoder`, as every other kind.
    """
    if kind == 'auto' and is_segmentation_signature(outputs):
        kind = 'segment'
    if kind in TASKS:
        return head_decoder(kind, outputs, labels, kpt_shape or None)
    return make_decoder(kind, outputs, labels, normalized_boxes=normalized_boxes,
                        input_size=input_size)
