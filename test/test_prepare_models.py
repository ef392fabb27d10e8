# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Tests for scripts/prepare_models.py: the TensorFlow-graph-to-ONNX translation and caching.

OpenCV's own TensorFlow importer is the independent reference: it runs small random graphs
built here and the original COCO frozen graph (with the text graph its package ships), and
the translated ONNX models must give the same numbers under ONNX Runtime.
"""

import json

import cv2
from model_prep.onnx_graph import OPSET
from model_prep.packaged_file import PackagedFile
from model_prep.preparation import prepare
from model_prep.tf_graph import FrozenGraph, tensor_value
from model_prep.translator import GraphTranslator
import numpy as np
import onnx
import onnxruntime as ort
import prepare_models
import pytest
import skimage.data

pytest.importorskip('tensorboard', reason='prepare_models reads graphs with tensorboard')
from tensorboard.compat.proto import attr_value_pb2, graph_pb2, tensor_pb2  # noqa: E402
from tensorboard.compat.proto import tensor_shape_pb2, types_pb2  # noqa: E402

PREPARATIONS = {p.name: p for p in prepare_models.PREPARATIONS}


def _shape(dims):
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims])


class GraphBuilder:
    """Writes small NHWC TensorFlow GraphDefs the way TensorFlow 1 froze them."""

    FLOAT = attr_value_pb2.AttrValue(type=types_pb2.DT_FLOAT)
    NHWC = attr_value_pb2.AttrValue(s=b'NHWC')

    def __init__(self):
        """Start an empty graph."""
        self.graph = graph_pb2.GraphDef()

    def node(self, name, op, inputs=(), **attrs):
        node = self.graph.node.add()
        node.name, node.op = name, op
        node.input.extend(inputs)
        for key, value in attrs.items():
            node.attr[key].CopyFrom(value)
        return name

    def const(self, name, array):
        array = np.asarray(array, dtype=np.float32)
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT,
                                        tensor_shape=_shape(array.shape),
                                        tensor_content=array.tobytes())
        return self.node(name, 'Const', value=attr_value_pb2.AttrValue(tensor=tensor),
                         dtype=self.FLOAT)

    def placeholder(self, name, dims):
        return self.node(name, 'Placeholder', dtype=self.FLOAT,
                         shape=attr_value_pb2.AttrValue(shape=_shape(dims)))

    def conv(self, name, x, kernel, stride, op='Conv2D', padding=b'SAME'):
        def ints(values):
            return attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(i=values))
        return self.node(name, op, [x, self.const(name + '/weights', kernel)], T=self.FLOAT,
                         strides=ints([1, stride, stride, 1]), dilations=ints([1, 1, 1, 1]),
                         padding=attr_value_pb2.AttrValue(s=padding), data_format=self.NHWC)

    def fused_batch_norm(self, name, x, rng, channels):
        params = [self.const(name + '/gamma', rng.uniform(0.5, 1.5, channels)),
                  self.const(name + '/beta', rng.normal(size=channels)),
                  self.const(name + '/mean', rng.normal(size=channels)),
                  self.const(name + '/variance', rng.uniform(0.5, 2.0, channels))]
        return self.node(name, 'FusedBatchNorm', [x] + params, T=self.FLOAT,
                         epsilon=attr_value_pb2.AttrValue(f=0.001),
                         is_training=attr_value_pb2.AttrValue(b=False), data_format=self.NHWC)

    def save(self, path):
        path.write_bytes(self.graph.SerializeToString())
        return path


def _translate(path, height, width, output):
    translator = GraphTranslator(FrozenGraph(path))
    graph_input = translator.placeholder('input', 'images', (-1, height, width, 3))
    result = translator.activation(output)
    dims = list(result.shape[1:])
    if result.nchw:
        dims = dims[-1:] + dims[:-1]
    graph_output = onnx.helper.make_tensor_value_info(result.name, onnx.TensorProto.FLOAT,
                                                      ['batch'] + dims)
    model = onnx.helper.make_model(
        onnx.helper.make_graph(translator.onnx.nodes, 'test', [graph_input], [graph_output],
                               initializer=translator.onnx.initializers),
        opset_imports=[onnx.helper.make_opsetid('', OPSET)])
    onnx.checker.check_model(model)
    return result, model, ort.InferenceSession(model.SerializeToString(),
                                               providers=['CPUExecutionProvider'])


@pytest.mark.parametrize('height, width, stride, multiplier', [
    (13, 16, 2, 1), (16, 13, 2, 2), (9, 9, 1, 1), (10, 7, 1, 3)])
def test_mobilenet_block_matches_opencv(tmp_path, height, width, stride, multiplier):
    seed = int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    b = GraphBuilder()
    x = b.placeholder('input', (1, height, width, 3))
    expand = b.node('expand/Relu6', 'Relu6', [b.fused_batch_norm(
        'expand/BatchNorm', b.conv('expand', x, rng.normal(size=(3, 3, 3, 8)) * 0.3, stride),
        rng, 8)], T=b.FLOAT)
    wide = 8 * multiplier
    depthwise = b.conv('depthwise', expand, rng.normal(size=(3, 3, 8, multiplier)) * 0.3,
                       stride, op='DepthwiseConv2dNative')
    # The unfused batch norm of older exports: x * scale + (beta - mean * scale).
    scaled = b.node('bn/mul_1', 'Mul', [depthwise, b.const('bn/scale', rng.uniform(
        0.5, 1.5, wide))], T=b.FLOAT)
    shifted = b.node('bn/add_1', 'Add', [scaled, b.const('bn/shift', rng.normal(size=wide))],
                     T=b.FLOAT)
    project = b.node('project/BiasAdd', 'BiasAdd', [
        b.conv('project', b.node('relu', 'Relu6', [shifted], T=b.FLOAT),
               rng.normal(size=(1, 1, wide, 8)) * 0.3, 1),
        b.const('project/bias', rng.normal(size=8))], T=b.FLOAT, data_format=b.NHWC)
    residual = expand if stride == 1 else project
    b.node('output', 'Add', [project, residual], T=b.FLOAT)
    path = b.save(tmp_path / 'block.pb')

    result, model, session = _translate(path, height, width, 'output')
    image = rng.normal(size=(2, height, width, 3)).astype(np.float32)
    (ours,) = session.run(None, {'images': image.transpose(0, 3, 1, 2)})
    net = cv2.dnn.readNetFromTensorflow(str(path))
    for i in range(2):
        net.setInput(image[i:i + 1].transpose(0, 3, 1, 2))
        reference = net.forward()
        np.testing.assert_allclose(ours[i:i + 1], reference, rtol=1e-4, atol=1e-4,
                                   err_msg='seed %d' % seed)
    assert result.nchw and result.shape[1:] == (-(-height // stride**2),
                                                -(-width // stride**2), 8)
    # Batch norms, scales and biases fold into the convolutions.
    assert [n.op_type for n in model.graph.node] == ['Conv', 'Clip', 'Conv', 'Clip', 'Conv',
                                                     'Add']


def test_reshape_and_concat_follow_tensorflow_layout(tmp_path):
    rng = np.random.default_rng(7)
    b = GraphBuilder()
    x = b.placeholder('input', (1, 4, 6, 3))
    conv = b.conv('conv', x, rng.normal(size=(1, 1, 3, 8)), 1)
    shape = b.node('shape', 'Shape', [conv], T=b.FLOAT)
    flat = b.node('flat', 'Reshape', [conv, shape], T=b.FLOAT)
    b.node('output', 'ConcatV2', [flat, flat, b.const('axis', 3)], T=b.FLOAT)
    path = b.save(tmp_path / 'reshape.pb')

    result, _, session = _translate(path, 4, 6, 'output')
    image = rng.normal(size=(1, 4, 6, 3)).astype(np.float32)
    (ours,) = session.run(None, {'images': image.transpose(0, 3, 1, 2)})
    kernel = _weights(path, 'conv/weights')[0, 0]
    nhwc = image.astype(np.float64) @ kernel
    np.testing.assert_allclose(ours, np.concatenate([nhwc, nhwc], axis=3), atol=1e-5)
    assert not result.nchw and result.shape == (-1, 4, 6, 16)


def _weights(path, name):
    graph = FrozenGraph(path)
    return tensor_value(graph.node(name).attr['value'].tensor).astype(np.float64)


def test_unsupported_operation_is_named(tmp_path):
    b = GraphBuilder()
    x = b.placeholder('input', (1, 4, 4, 3))
    b.node('odd', 'Softplus', [b.conv('conv', x, np.ones((1, 1, 3, 2)), 1)], T=b.FLOAT)
    path = b.save(tmp_path / 'odd.pb')
    with pytest.raises(ValueError, match="node 'odd' \\(op Softplus\\)"):
        _translate(path, 4, 4, 'odd')


@pytest.mark.parametrize('photo', ['astronaut', 'chelsea', 'coffee'])
def test_coco_model_matches_opencv_on_the_original_graph(photo):
    preparation = PREPARATIONS['ssd_mobilenet_v2_coco']
    graph_path = preparation.sources[0].locate()
    text_graph = graph_path.with_name('ssd_mobilenet_v2_coco_2018_03_29.pbtxt')
    net = cv2.dnn.readNetFromTensorflow(str(graph_path), str(text_graph))
    image = getattr(skimage.data, photo)()
    resized = cv2.resize(image, (300, 300), interpolation=cv2.INTER_LINEAR)
    # The text graph keeps TensorFlow's own normalisation: it takes 0..255 pixels.
    net.setInput(cv2.dnn.blobFromImage(resized, 1.0, (300, 300), swapRB=False))
    reference = net.forward()[0, 0]
    _, category, score, x1, y1, x2, y2 = reference[reference[:, 2].argmax()]

    card = json.loads(preparation.card_path(_models_dir()).read_text())
    pre = card['preprocessing']
    normalised = (resized * pre['scale'] - np.array(pre['mean'])) / np.array(pre['std'])
    session = ort.InferenceSession(str(preparation.onnx_path(_models_dir())),
                                   providers=['CPUExecutionProvider'])
    (output,) = session.run(None, {'images': normalised.transpose(2, 0, 1)[None].astype(
        np.float32)})
    column = prepare_models.COCO_CATEGORY_IDS.index(int(category))
    anchor = output[0, :, 5 + column].argmax()
    assert output[0, anchor, 5 + column] == pytest.approx(score, abs=2e-3)
    cx, cy, w, h = output[0, anchor, :4] / 300
    np.testing.assert_allclose([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
                               [x1, y1, x2, y2], atol=2e-3)


def _models_dir():
    return prepare_models.REPO_ROOT / 'models'


def test_prepare_skips_up_to_date_models_and_rebuilds_changed_ones(tmp_path):
    preparation = PREPARATIONS['ssdlite_mobilenet_v2_person']
    assert prepare(preparation, tmp_path, force=False).startswith('built')
    first = preparation.onnx_path(tmp_path).read_bytes()
    assert prepare(preparation, tmp_path, force=False) == 'up to date'
    with open(preparation.onnx_path(tmp_path), 'ab') as stream:
        stream.write(b'tampered')
    assert prepare(preparation, tmp_path, force=False).startswith('built')
    assert preparation.onnx_path(tmp_path).read_bytes() == first


def test_missing_or_wrong_package_says_how_to_install():
    wanted = PREPARATIONS['ssdlite_mobilenet_v2_person'].sources[0]
    missing = PackagedFile('no-such-package-xyz', '1.0', 'x.pb', '0' * 64)
    with pytest.raises(RuntimeError, match='no-such-package-xyz is not installed.*--no-deps'):
        missing.locate()
    other = PackagedFile(wanted.distribution, '9.9', wanted.member, wanted.sha256)
    with pytest.raises(RuntimeError, match='is installed.*prepared from 9.9.*pip install'):
        other.locate()
    tampered = PackagedFile(wanted.distribution, wanted.version, wanted.member, '0' * 64)
    with pytest.raises(RuntimeError, match='has sha256 .*expected 0000'):
        tampered.locate()
