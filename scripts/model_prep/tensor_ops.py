# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Constants, pass-throughs, ReLU6, and the shape operations between box predictors.

Each function translates one TensorFlow op: it takes the translator, the NodeDef and the
translated inputs, and returns the node's value.
"""

from typing import TYPE_CHECKING

import numpy as np

from .onnx_graph import Activation, Value
from .tf_graph import tensor_value

if TYPE_CHECKING:
    from .translator import GraphTranslator

BATCH = int(np.iinfo(np.int32).min)
"""Stands for the batch size in shapes computed while translating (see `shape`)."""


def const(t: 'GraphTranslator', node) -> np.ndarray:
    """Translate Const: its value."""
    return tensor_value(node.attr['value'].tensor)


def identity(t: 'GraphTranslator', node, x: Value, *unused: Value) -> Value:
    """Translate Identity and Assert: the first input."""
    return x


def relu6(t: 'GraphTranslator', node, x: Value) -> Activation:
    """Translate Relu6 as an ONNX Clip to 0..6."""
    source = t.onnx.emit(x)
    low = t.onnx.constant('zero', np.array(0.0, dtype=np.float32))
    high = t.onnx.constant('six', np.array(6.0, dtype=np.float32))
    return Activation(t.onnx.add_node('Clip', [source.name, low, high], 'relu6'),
                      source.shape, source.nchw)


def shape(t: 'GraphTranslator', node, x: Value) -> np.ndarray:
    """Translate Shape: a constant, with `BATCH` for the batch of a run-time tensor."""
    if isinstance(x, np.ndarray):
        return np.asarray(x.shape, dtype=np.int32)
    # The batch size is only known at run time: a marker stands for it, which the
    # Reshape that reads this shape turns into ONNX's "copy this dimension".
    return np.asarray([BATCH] + list(x.shape[1:]), dtype=np.int32)


def reshape(t: 'GraphTranslator', node, x: Value, target_shape: np.ndarray) -> Value:
    """Translate Reshape: folded for a constant, else a per-image ONNX Reshape in NHWC."""
    if isinstance(x, np.ndarray):
        return x.reshape(tuple(target_shape))
    source = t.onnx.to_nhwc(t.onnx.emit(x))
    target = [int(d) for d in target_shape]
    per_image = int(np.prod(source.shape[1:]))
    rest = target[1:]
    known = int(np.prod([d for d in rest if d != -1]))
    if (target[0] != BATCH or BATCH in rest or rest.count(-1) > 1
            or per_image % known or (-1 not in rest and known != per_image)):
        raise ValueError('node %r: reshape of %s to %s is not a per-image reshape'
                         % (node.name, source.shape, target))
    rest = [per_image // known if d == -1 else d for d in rest]
    name = t.onnx.add_node('Reshape', [source.name, t.onnx.constant(
        'shape', np.asarray([0] + rest, dtype=np.int64))], 'reshape')
    return Activation(name, tuple([-1] + rest), nchw=False)


def concat(t: 'GraphTranslator', node, *inputs: Value) -> Value:
    """Translate ConcatV2: folded for constants, else an ONNX Concat in NHWC."""
    *parts, axis = inputs
    if all(isinstance(p, np.ndarray) for p in parts):
        return np.concatenate(parts, axis=int(axis))
    sources = [t.onnx.to_nhwc(t.onnx.emit(p)) for p in parts]
    rank = len(sources[0].shape)
    axis = int(axis) % rank
    joined = list(sources[0].shape)
    joined[axis] = sum(s.shape[axis] for s in sources)
    name = t.onnx.add_node('Concat', [s.name for s in sources], 'concat', axis=axis)
    return Activation(name, tuple(joined), nchw=False)


OPS = {
    'Const': const, 'Identity': identity, 'Assert': identity, 'Relu6': relu6,
    'Shape': shape, 'Reshape': reshape, 'ConcatV2': concat,
}
"""Translations by TensorFlow op name."""
