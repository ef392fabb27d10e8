# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Convolutions, and the per-channel arithmetic after them that folds into their weights.

Each function translates one TensorFlow op: it takes the translator, the NodeDef and the
translated inputs, and returns the node's value.  A convolution stays a `PendingConv` while
batch norms, bias adds and ``x * gamma + beta`` chains fold into it; it is written to ONNX
when something else reads it.
"""

from typing import List, TYPE_CHECKING

import numpy as np

from .onnx_graph import Activation, PendingConv, Value

if TYPE_CHECKING:
    from .translator import GraphTranslator


def conv2d(t: 'GraphTranslator', node, x: Value, kernel: np.ndarray) -> PendingConv:
    """Translate Conv2D."""
    # TensorFlow kernels are [kh, kw, in, out]; ONNX wants [out, in, kh, kw].
    weight = kernel.transpose(3, 2, 0, 1).astype(np.float64)
    return _pending(t, node, x, weight, group=1)


def depthwise(t: 'GraphTranslator', node, x: Value, kernel: np.ndarray) -> PendingConv:
    """Translate DepthwiseConv2dNative as a grouped convolution."""
    height, width, channels, multiplier = kernel.shape
    # Output channel c * multiplier + m filters input channel c with kernel[:, :, c, m].
    weight = kernel.reshape(height, width, channels * multiplier).transpose(2, 0, 1)
    return _pending(t, node, x, weight[:, None].astype(np.float64), group=channels)


def _pending(t: 'GraphTranslator', node, x: Value, weight: np.ndarray,
             group: int) -> PendingConv:
    source = t.onnx.emit(x)
    attrs = node.attr
    if not source.nchw:
        raise ValueError('node %r convolves a reshaped tensor %s: only image tensors are '
                         'supported' % (node.name, source.shape))
    if attrs['data_format'].s not in (b'', b'NHWC'):
        raise ValueError('node %r: only NHWC convolutions are supported' % node.name)
    if any(d != 1 for d in attrs['dilations'].list.i):
        raise ValueError('node %r: dilated convolutions are not supported' % node.name)
    strides = tuple(attrs['strides'].list.i)
    batch, height, width, _ = source.shape
    kernel = weight.shape[2:]
    pads_begin: List[int] = []
    pads_end: List[int] = []
    out_hw = []
    for size, stride, k in zip((height, width), strides[1:3], kernel):
        if attrs['padding'].s == b'SAME':
            out = -(-size // stride)
            total = max((out - 1) * stride + k - size, 0)
        elif attrs['padding'].s == b'VALID':
            out = (size - k) // stride + 1
            total = 0
        else:
            raise ValueError('node %r: padding %r is not supported'
                             % (node.name, attrs['padding'].s))
        # SAME pads the odd pixel at the end, as ONNX's SAME_UPPER; explicit pads keep
        # older TensorRT parsers happy.
        pads_begin.append(total // 2)
        pads_end.append(total - total // 2)
        out_hw.append(out)
    return PendingConv(source, weight, np.zeros(weight.shape[0]), strides[1:3],
                       tuple(pads_begin + pads_end), group,
                       (batch, out_hw[0], out_hw[1], weight.shape[0]))


def fused_batch_norm(t: 'GraphTranslator', node, x: Value, gamma, beta, mean,
                     variance) -> Value:
    """Translate an inference-mode FusedBatchNorm as a per-channel scale and shift."""
    if node.attr['is_training'].b:
        raise ValueError('node %r is a training-mode batch norm: export the graph for '
                         'inference' % node.name)
    scale = gamma / np.sqrt(variance.astype(np.float64) + node.attr['epsilon'].f)
    return _affine(t, node, x, scale, beta - mean * scale)


def add(t: 'GraphTranslator', node, a: Value, b: Value) -> Value:
    """Translate Add and BiasAdd: folded, a shift, or an ONNX Add of two run-time tensors."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a + b
    if isinstance(b, np.ndarray) or isinstance(a, np.ndarray):
        x, c = (a, b) if isinstance(b, np.ndarray) else (b, a)
        return _affine(t, node, x, 1.0, c)
    left, right = t.onnx.emit(a), t.onnx.emit(b)
    if left.nchw != right.nchw:
        left, right = t.onnx.to_nhwc(left), t.onnx.to_nhwc(right)
    return Activation(t.onnx.add_node('Add', [left.name, right.name], 'add'), left.shape,
                      left.nchw)


def sub(t: 'GraphTranslator', node, a: Value, b: Value) -> Value:
    """Translate Sub with at least one constant side."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a - b
    if isinstance(b, np.ndarray):
        return _affine(t, node, a, 1.0, -b)
    if isinstance(a, np.ndarray):
        return _affine(t, node, b, -1.0, a)
    raise ValueError('node %r: subtracting two run-time tensors is not supported'
                     % node.name)


def mul(t: 'GraphTranslator', node, a: Value, b: Value) -> Value:
    """Translate Mul with at least one constant side."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a * b
    if isinstance(b, np.ndarray) or isinstance(a, np.ndarray):
        x, c = (a, b) if isinstance(b, np.ndarray) else (b, a)
        return _affine(t, node, x, c, 0.0)
    raise ValueError('node %r: multiplying two run-time tensors is not supported'
                     % node.name)


def realdiv(t: 'GraphTranslator', node, a: Value, b: Value) -> Value:
    """Translate RealDiv by a constant."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return np.asarray(a / b)
    if isinstance(b, np.ndarray):
        return _affine(t, node, a, 1.0 / b.astype(np.float64), 0.0)
    raise ValueError('node %r: dividing by a run-time tensor is not supported' % node.name)


def _affine(t: 'GraphTranslator', node, x: Value, scale, shift) -> Value:
    """``x * scale + shift`` with per-channel (last axis) or scalar constants."""
    channels = x.shape[-1]
    if any(np.size(c) not in (1, channels) for c in (scale, shift)):
        raise ValueError('node %r: only scalar or per-channel constants (%d) combine with '
                         'a run-time tensor, got shapes %s and %s'
                         % (node.name, channels, np.shape(scale), np.shape(shift)))
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64).ravel(), (channels,))
    shift = np.broadcast_to(np.asarray(shift, dtype=np.float64).ravel(), (channels,))
    if (isinstance(x, PendingConv) and x.emitted is None
            and t.graph.fanout(t.run_time_input(node)) == 1):
        return PendingConv(x.source, x.weight * scale[:, None, None, None],
                           x.bias * scale + shift, x.strides, x.pads, x.group, x.shape)
    activation = t.onnx.emit(x)
    # Constants broadcast over the channel axis: the last one, or axis 1 in NCHW.
    const_shape = (channels, 1, 1) if activation.nchw else (channels,)
    name = activation.name
    if not np.all(scale == 1.0):
        name = t.onnx.add_node('Mul', [name, t.onnx.constant(
            'scale', scale.astype(np.float32).reshape(const_shape))], 'mul')
    if not np.all(shift == 0.0):
        name = t.onnx.add_node('Add', [name, t.onnx.constant(
            'shift', shift.astype(np.float32).reshape(const_shape))], 'add')
    return Activation(name, activation.shape, activation.nchw)


OPS = {
    'Conv2D': conv2d, 'DepthwiseConv2dNative': depthwise,
    'FusedBatchNorm': fused_batch_norm, 'BiasAdd': add, 'Add': add, 'Sub': sub, 'Mul': mul,
    'RealDiv': realdiv,
}
"""Translations by TensorFlow op name."""
