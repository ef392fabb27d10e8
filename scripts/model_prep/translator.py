# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Translation of the inference part of a frozen TensorFlow graph to ONNX operators."""

from typing import Callable, Dict, List, Tuple

import numpy as np
import onnx
from onnx import helper, TensorProto

from . import conv_ops, tensor_ops
from .constant_ops import CONSTANT_OPS
from .onnx_graph import Activation, OnnxGraph, Value
from .tf_graph import FrozenGraph

RUN_TIME_OPS: Dict[str, Callable[..., Value]] = {**conv_ops.OPS, **tensor_ops.OPS}
"""Translations by TensorFlow op name; each takes the translator, the node and its inputs."""


class GraphTranslator:
    """
    Translates the inference part of a frozen TensorFlow graph to ONNX operators.

    Nodes whose inputs are all constant are evaluated with numpy (how the anchor grid and the
    batch-norm factors come out); the rest become ONNX nodes in `onnx`.  Only the operations
    that SSD MobileNet graphs use are known; any other stops the translation with the node's
    name.
    """

    def __init__(self, graph: FrozenGraph) -> None:
        """Start an empty ONNX graph for `graph`."""
        self.graph = graph
        self.onnx = OnnxGraph()
        self._values: Dict[str, Value] = {}

    def placeholder(self, node_name: str, onnx_name: str,
                    shape: Tuple[int, ...]) -> onnx.ValueInfoProto:
        """Make the TensorFlow node `node_name` a graph input; `shape` is NHWC with -1 batch."""
        self._values[node_name] = Activation(onnx_name, shape, nchw=True)
        batch, height, width, channels = shape
        return helper.make_tensor_value_info(onnx_name, TensorProto.FLOAT,
                                             ['batch', channels, height, width])

    def value(self, tensor: str) -> Value:
        """Translate everything `tensor` depends on, and return its value."""
        order = self._postorder(self.graph.source_node(tensor))
        for name in order:
            node = self.graph.node(name)
            inputs = []
            for source in node.input:
                if source.startswith('^'):
                    continue
                if ':' in source and not source.endswith(':0'):
                    raise ValueError('node %r reads %r: only first outputs are supported'
                                     % (name, source))
                inputs.append(self._values[self.graph.source_node(source)])
            self._values[name] = self._evaluate(node, inputs)
        return self._values[self.graph.source_node(tensor)]

    def activation(self, tensor: str) -> Activation:
        """Translate `tensor` and return it as an ONNX tensor (never a pending convolution)."""
        return self.onnx.emit(self.value(tensor))

    def run_time_input(self, node) -> str:
        """Name of the node feeding `node` its one non-constant input."""
        for source in node.input:
            name = self.graph.source_node(source)
            if not source.startswith('^') and not isinstance(self._values[name], np.ndarray):
                return name
        raise ValueError('node %r has no run-time input' % node.name)

    def _postorder(self, root: str) -> List[str]:
        """Untranslated nodes that `root` depends on, each after its inputs."""
        order: List[str] = []
        placed = set(self._values)
        stack = [(root, False)]
        while stack:
            name, inputs_placed = stack.pop()
            if name in placed:
                continue
            if inputs_placed:
                placed.add(name)
                order.append(name)
                continue
            stack.append((name, True))
            stack.extend((self.graph.source_node(s), False)
                         for s in self.graph.node(name).input if not s.startswith('^'))
        return order

    def _evaluate(self, node, inputs: List[Value]) -> Value:
        if node.op in RUN_TIME_OPS:
            result = RUN_TIME_OPS[node.op](self, node, *inputs)
            # numpy arithmetic on 0-d arrays gives numpy scalars: keep constants as arrays.
            return np.asarray(result) if isinstance(result, np.generic) else result
        if node.op in CONSTANT_OPS and all(isinstance(x, np.ndarray) for x in inputs):
            return np.asarray(CONSTANT_OPS[node.op](node, *inputs))
        raise ValueError('cannot translate node %r (op %s) of %s: only the operations of '
                         'TensorFlow Object Detection API SSD graphs are supported'
                         % (node.name, node.op, self.graph.path))
