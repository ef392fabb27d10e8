# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
TensorFlow operations evaluated with numpy when all their inputs are constants.

This is how the anchor grid and the batch-norm factors of a frozen graph become numbers at
translation time.  Each function takes the NodeDef (for its attributes) and the input arrays.
"""

from typing import Callable, Dict

import numpy as np

from .tf_graph import TF_DTYPES


def _slice(node, x: np.ndarray, begin: np.ndarray, size: np.ndarray) -> np.ndarray:
    index = tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
    return x[index]


def _strided_slice(node, x: np.ndarray, begin, end, strides) -> np.ndarray:
    attrs = node.attr
    if attrs['ellipsis_mask'].i or attrs['new_axis_mask'].i:
        raise ValueError('node %r: StridedSlice with ellipsis or new axes is not supported'
                         % node.name)
    index = []
    for axis, (b, e, s) in enumerate(zip(begin, end, strides)):
        if attrs['shrink_axis_mask'].i >> axis & 1:
            index.append(int(b))
            continue
        start = None if attrs['begin_mask'].i >> axis & 1 else int(b)
        stop = None if attrs['end_mask'].i >> axis & 1 else int(e)
        index.append(slice(start, stop, int(s)))
    return np.asarray(x[tuple(index)])


CONSTANT_OPS: Dict[str, Callable[..., np.ndarray]] = {
    'Rsqrt': lambda node, x: 1.0 / np.sqrt(x), 'Sqrt': lambda node, x: np.sqrt(x),
    'Minimum': lambda node, a, b: np.minimum(a, b),
    'Maximum': lambda node, a, b: np.maximum(a, b),
    'Equal': lambda node, a, b: np.equal(a, b),
    'All': lambda node, x, axis: np.all(x, axis=tuple(np.ravel(axis))),
    'Cast': lambda node, x: x.astype(TF_DTYPES[node.attr['DstT'].type]),
    'Fill': lambda node, dims, value: np.full(tuple(dims), value),
    'Range': lambda node, start, limit, delta: np.arange(start, limit, delta),
    'Tile': lambda node, x, reps: np.tile(x, tuple(reps)),
    'ExpandDims': lambda node, x, axis: np.expand_dims(x, int(axis)),
    'Pack': lambda node, *xs: np.stack(xs, axis=node.attr['axis'].i),
    'Slice': _slice, 'StridedSlice': _strided_slice,
}
"""numpy evaluations by TensorFlow op name."""
