# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The ONNX graph under construction and the values a translation passes around.

A translated TensorFlow node gives a numpy array (folded at translation time), an `Activation`
(an ONNX tensor computed at run time) or a `PendingConv` (a convolution kept open so that the
scales and shifts after it fold into its weights).
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import onnx
from onnx import helper, numpy_helper

OPSET = 13
"""ONNX opset of every model written."""
# IR 7 is what ONNX 1.8 wrote for opset 13: parsers as old as TensorRT 8.2's (JetPack 4.6)
# accept it.
IR_VERSION = 7
"""ONNX IR version of every model written."""


@dataclass
class Activation:
    """
    A tensor computed at run time: its ONNX name, TensorFlow shape and layout.

    `shape` is TensorFlow's (NHWC for images) with -1 for the batch.  `nchw` says the ONNX
    tensor holds that NHWC tensor transposed to NCHW, the layout ONNX convolutions use.
    """

    name: str
    shape: Tuple[int, ...]
    nchw: bool


@dataclass
class PendingConv:
    """
    A convolution whose following per-channel scale and shift are not yet emitted.

    Batch norms, bias adds and ``x * gamma + beta`` chains fold into `weight` and `bias`
    while the convolution's result has no other reader.
    """

    source: Activation
    weight: np.ndarray
    bias: np.ndarray
    strides: Tuple[int, int]
    pads: Tuple[int, int, int, int]
    group: int
    shape: Tuple[int, ...]
    emitted: Optional[Activation] = None


Value = Union[np.ndarray, Activation, PendingConv]
"""What translating one TensorFlow node gives."""


class OnnxGraph:
    """ONNX nodes and initializers being appended, with names unique within the graph."""

    def __init__(self) -> None:
        """Start with no nodes."""
        self.nodes: List[onnx.NodeProto] = []
        self.initializers: List[onnx.TensorProto] = []
        self._names: Dict[str, int] = {}

    def fresh_name(self, base: str) -> str:
        """Return a tensor or node name not used before in the ONNX graph."""
        count = self._names.get(base, 0)
        self._names[base] = count + 1
        return base if count == 0 else '%s_%d' % (base, count)

    def constant(self, base: str, array: np.ndarray) -> str:
        """Add `array` as an initializer and return its name."""
        name = self.fresh_name(base)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def add_node(self, op: str, inputs: Sequence[str], base: str, **attrs) -> str:
        """Append one ONNX node with a single output and return the output's name."""
        output = self.fresh_name(base)
        self.nodes.append(helper.make_node(op, list(inputs), [output], name=output, **attrs))
        return output

    def emit(self, x: Value) -> Activation:
        """Return `x` as an ONNX tensor, writing a pending convolution's node once."""
        if isinstance(x, Activation):
            return x
        if isinstance(x, PendingConv):
            if x.emitted is None:
                weight = self.constant('weight', x.weight.astype(np.float32))
                bias = self.constant('bias', x.bias.astype(np.float32))
                name = self.add_node('Conv', [x.source.name, weight, bias], 'conv',
                                     kernel_shape=list(x.weight.shape[2:]),
                                     strides=list(x.strides), pads=list(x.pads),
                                     group=x.group, dilations=[1, 1])
                x.emitted = Activation(name, x.shape, nchw=True)
            return x.emitted
        raise ValueError('expected a run-time tensor, got a constant of shape %s'
                         % (np.shape(x),))

    def to_nhwc(self, x: Activation) -> Activation:
        """Return `x` in TensorFlow's layout, transposing it if it is held as NCHW."""
        if not x.nchw:
            return x
        name = self.add_node('Transpose', [x.name], 'nhwc', perm=[0, 2, 3, 1])
        return Activation(name, x.shape, nchw=False)
