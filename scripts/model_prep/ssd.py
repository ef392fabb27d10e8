# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
TensorFlow Object Detection API SSD models: the frozen graph to ONNX, with a YOLOv5 head.

`GraphTranslator` translates the feature extractor and box predictors; `SsdHead` appends the
box decoding so that the model ends in a YOLOv5-style ``[N, anchors, 5 + classes]`` output
that the project's decoders read.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Sequence, Tuple

import numpy as np
import onnx
from onnx import helper, TensorProto

from .onnx_graph import Activation, IR_VERSION, OnnxGraph, OPSET
from .preparation import Preparation
from .tf_graph import FrozenGraph, tensor_value
from .translator import GraphTranslator


@dataclass(frozen=True)
class SsdHead:
    """
    Box decoding and class selection of a TensorFlow Object Detection API SSD.

    The graph's box predictors give per-anchor encodings (ty, tx, th, tw) and class logits
    with background first; TensorFlow's postprocessor decodes them with the Faster R-CNN box
    coder against the anchor grid and applies a sigmoid.  This head does the same in ONNX and
    lays the result out as YOLOv5 does: centre x, centre y, width, height in input pixels,
    objectness (1: SSD scores classes independently) and the kept classes' probabilities.
    """

    anchors: np.ndarray
    coder_scales: Tuple[float, float, float, float]
    logit_scale: float
    class_columns: Tuple[int, ...]

    @classmethod
    def from_graph(cls, translator: GraphTranslator,
                   class_columns: Sequence[int]) -> 'SsdHead':
        """Read the anchors, box coder scales and score conversion from the graph itself."""
        graph = translator.graph
        anchors = translator.value('Concatenate/concat')
        if not isinstance(anchors, np.ndarray) or anchors.ndim != 2 or anchors.shape[1] != 4:
            raise ValueError('%s: the anchor grid Concatenate/concat is not a constant [A, 4]'
                             % graph.path)
        if graph.node('Postprocessor/convert_scores').op != 'Sigmoid':
            raise ValueError('%s: scores are converted with %s, only Sigmoid is supported'
                             % (graph.path, graph.node('Postprocessor/convert_scores').op))
        # The coder divides encoding k (ty, tx, th, tw) by its scale in a RealDiv that reads
        # output k of Postprocessor/Decode/unstack; TensorFlow versions name it div or truediv.
        scales = tuple(graph.scalar(graph.reader('RealDiv', source)[1])
                       for source in ('Postprocessor/Decode/unstack',
                                      'Postprocessor/Decode/unstack:1',
                                      'Postprocessor/Decode/unstack:2',
                                      'Postprocessor/Decode/unstack:3'))
        return cls(anchors.astype(np.float64), scales,
                   graph.scalar('Postprocessor/scale_logits/y'), tuple(class_columns))

    def append(self, g: OnnxGraph, encodings: Activation, logits: Activation,
               input_hw: Tuple[int, int], output: str) -> onnx.ValueInfoProto:
        """Add the decoding after `encodings` [N, A, 1, 4] and `logits` [N, A, K] to `g`."""
        count = self.anchors.shape[0]
        if encodings.shape[1:] != (count, 1, 4) or logits.shape[1] != count:
            raise ValueError('box predictors give %s and %s for %d anchors'
                             % (encodings.shape, logits.shape, count))
        if max(self.class_columns) >= logits.shape[2]:
            raise ValueError('class columns %s do not fit logits with %d columns'
                             % (self.class_columns, logits.shape[2]))
        height, width = input_hw
        ymin, xmin, ymax, xmax = self.anchors.T
        # Anchor centres and sizes in input pixels, x before y as the output wants.
        centres = np.stack([(xmin + xmax) / 2 * width, (ymin + ymax) / 2 * height], axis=1)
        sizes = np.stack([(xmax - xmin) * width, (ymax - ymin) * height], axis=1)
        deltas = g.add_node('Reshape', [encodings.name, g.constant(
            'shape', np.array([-1, count, 4], dtype=np.int64))], 'encodings')
        # (ty, tx, th, tw) -> (tx, ty, tw, th) so that each pair is in x, y order.
        deltas = g.add_node('Gather', [deltas, g.constant(
            'xy_order', np.array([1, 0, 3, 2], dtype=np.int64))], 'encodings_xy', axis=2)
        offsets = self._slice(g, deltas, 0, 2, 'offsets')
        log_sizes = self._slice(g, deltas, 2, 4, 'log_sizes')
        x_scale, y_scale, w_scale, h_scale = (self.coder_scales[1], self.coder_scales[0],
                                              self.coder_scales[3], self.coder_scales[2])
        centre = g.add_node('Mul', [offsets, g.constant('offset_gain', (
            sizes / np.array([x_scale, y_scale])).astype(np.float32))], 'centre_offset')
        centre = g.add_node('Add', [centre, g.constant(
            'anchor_centres', centres.astype(np.float32))], 'centres')
        size = g.add_node('Mul', [log_sizes, g.constant('log_size_gain', np.array(
            [1.0 / w_scale, 1.0 / h_scale], dtype=np.float32))], 'log_sizes_scaled')
        size = g.add_node('Exp', [size], 'size_factors')
        size = g.add_node('Mul', [size, g.constant(
            'anchor_sizes', sizes.astype(np.float32))], 'sizes')
        scores = logits.name
        if self.logit_scale != 1.0:
            scores = g.add_node('Div', [scores, g.constant(
                'logit_scale', np.array(self.logit_scale, dtype=np.float32))], 'logits')
        scores = g.add_node('Sigmoid', [scores], 'scores_all')
        scores = g.add_node('Gather', [scores, g.constant(
            'class_columns', np.asarray(self.class_columns, dtype=np.int64))], 'scores', axis=2)
        # Objectness is 1 everywhere: expand a constant to [N, A, 1] after the batch size.
        batch = g.add_node('Shape', [offsets], 'batch_shape')
        batch = g.add_node('Slice', [batch, g.constant('zero1', np.array([0], np.int64)),
                                     g.constant('one1', np.array([1], np.int64))], 'batch')
        ones_shape = g.add_node('Concat', [batch, g.constant(
            'anchors_by_one', np.array([count, 1], dtype=np.int64))], 'ones_shape', axis=0)
        objectness = g.add_node('Expand', [g.constant(
            'one', np.ones((1, 1, 1), dtype=np.float32)), ones_shape], 'objectness')
        g.nodes.append(helper.make_node('Concat', [centre, size, objectness, scores], [output],
                                        name=output, axis=2))
        return helper.make_tensor_value_info(output, TensorProto.FLOAT,
                                             ['batch', count, 5 + len(self.class_columns)])

    @staticmethod
    def _slice(g: OnnxGraph, x: str, start: int, stop: int, base: str) -> str:
        return g.add_node('Slice', [x, g.constant('start', np.array([start], np.int64)),
                                    g.constant('stop', np.array([stop], np.int64)),
                                    g.constant('axis2', np.array([2], np.int64))], base)


@dataclass(frozen=True)
class SsdPreparation(Preparation):
    """A TensorFlow Object Detection API SSD frozen graph, translated to ONNX."""

    class_columns: Tuple[int, ...] = ()
    upstream: str = ''

    def build(self, work_dir: Path) -> Tuple[onnx.ModelProto, Dict[str, object]]:
        """Translate the graph and append the YOLOv5-style head."""
        graph = FrozenGraph(self.sources[0].locate())
        height, width = (int(v) for v in tensor_value(graph.node(
            'Preprocessor/map/while/ResizeImage/stack').attr['value'].tensor))
        # The graph normalises x in 0..255 as x * gain - offset; the card says the same as
        # (x * scale - mean) / std with scale 1/255.
        gain = graph.scalar('Preprocessor/mul/x')
        offset = graph.scalar('Preprocessor/sub/y')
        std = 1.0 / (255.0 * gain)
        mean = offset * std
        translator = GraphTranslator(graph)
        graph_input = translator.placeholder('Preprocessor/sub', 'images',
                                             (-1, height, width, 3))
        head = SsdHead.from_graph(translator, self.class_columns)
        encodings = translator.activation('concat')
        logits = translator.activation('concat_1')
        graph_output = head.append(translator.onnx, encodings, logits, (height, width),
                                   'output0')
        model = helper.make_model(
            helper.make_graph(translator.onnx.nodes, self.name, [graph_input], [graph_output],
                              initializer=translator.onnx.initializers),
            opset_imports=[helper.make_opsetid('', OPSET)],
            producer_name='trt_perception prepare_models.py')
        model.ir_version = IR_VERSION
        return model, {
            'upstream': self.upstream,
            'input': {'name': 'images', 'shape': [-1, 3, height, width], 'dtype': 'float32',
                      'layout': 'NCHW'},
            'preprocessing': {
                'resize': 'stretch', 'sampling': 'tf_legacy', 'channel_order': 'rgb',
                'scale': 1.0 / 255.0,
                'mean': [round(mean, 6)] * 3, 'std': [round(std, 6)] * 3, 'pad_value': 127.5,
                'note': ('trained on frames resized to %dx%d without keeping the aspect '
                         'ratio, sampled as TensorFlow 1 resize_bilinear does (no half-pixel '
                         'centres); letterboxing also works (pad_value 127.5 normalises to 0)'
                         % (width, height))},
            'output': {
                'format': 'yolov5', 'name': 'output0',
                'shape': [-1, int(head.anchors.shape[0]), 5 + len(self.class_columns)],
                'boxes': 'cx, cy, w, h in input pixels', 'objectness': 'always 1.0',
                'classes': 'sigmoid probabilities, one column per label'},
        }
