# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""A frozen TensorFlow GraphDef read without TensorFlow, and its constant tensors as numpy."""

from pathlib import Path
from typing import Dict, List

import numpy as np

TF_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 9: np.int64, 10: np.bool_}
"""numpy types of the TensorFlow DataType enum values the SSD graphs use."""


class FrozenGraph:
    """A frozen TensorFlow GraphDef: nodes by name, their consumers and constant values."""

    def __init__(self, path: Path) -> None:
        """Parse the GraphDef in `path`."""
        # TensorBoard carries TensorFlow's protobuf schema, so reading a graph does not need
        # TensorFlow itself (hundreds of MB).
        from tensorboard.compat.proto import graph_pb2

        graph = graph_pb2.GraphDef()
        graph.ParseFromString(path.read_bytes())
        self.path = path
        self.nodes = {node.name: node for node in graph.node}
        self._consumers: Dict[str, List[str]] = {name: [] for name in self.nodes}
        for node in graph.node:
            for source in node.input:
                if not source.startswith('^'):
                    self._consumers[self.source_node(source)].append(node.name)

    @staticmethod
    def source_node(tensor: str) -> str:
        """Node name of a tensor reference such as ``name:1`` or ``^name``."""
        return tensor.lstrip('^').split(':')[0]

    def node(self, name: str):
        """Return the NodeDef called `name`."""
        try:
            return self.nodes[name]
        except KeyError:
            raise ValueError('%s has no node %r: it is not the TensorFlow Object Detection API '
                             'graph this script expects' % (self.path, name)) from None

    def fanout(self, name: str) -> int:
        """How many non-Identity operations read the node's output, looking through Identity."""
        return sum(self.fanout(c) if self.nodes[c].op == 'Identity' else 1
                   for c in self._consumers[name])

    def reader(self, op: str, tensor: str) -> List[str]:
        """Return the inputs of the one `op` node whose first input is `tensor`."""
        found = [node for node in self.nodes.values()
                 if node.op == op and node.input and node.input[0] == tensor]
        if len(found) != 1:
            raise ValueError('%s has %d %s nodes reading %r, expected one: it is not the '
                             'TensorFlow Object Detection API graph this script expects'
                             % (self.path, len(found), op, tensor))
        return list(found[0].input)

    def scalar(self, name: str) -> float:
        """Value of a scalar Const node."""
        value = tensor_value(self.node(name).attr['value'].tensor)
        if value.size != 1:
            raise ValueError('node %r of %s holds %d values, expected one'
                             % (name, self.path, value.size))
        return float(value.reshape(()))


def tensor_value(proto) -> np.ndarray:
    """Numpy array of a TensorFlow TensorProto."""
    dtype = TF_DTYPES.get(proto.dtype)
    if dtype is None:
        raise ValueError('TensorFlow dtype enum %d is not supported' % proto.dtype)
    shape = tuple(d.size for d in proto.tensor_shape.dim)
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype=dtype).reshape(shape).copy()
    field_name = {np.float32: 'float_val', np.float64: 'double_val', np.int64: 'int64_val',
                  np.bool_: 'bool_val'}.get(dtype, 'int_val')
    values = np.asarray(getattr(proto, field_name), dtype=dtype)
    count = int(np.prod(shape)) if shape else 1
    if values.size == count:
        return values.reshape(shape)
    if values.size == 1:
        # TensorFlow stores a constant whose elements are all equal as one value.
        return np.full(shape, values[0], dtype=dtype)
    raise ValueError('TensorProto holds %d values for shape %s' % (values.size, shape))
