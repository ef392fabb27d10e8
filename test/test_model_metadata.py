# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""What exported model files say about themselves, checked against the onnx package's parser."""

import json
import os

import pytest

from trt_perception.core.model_metadata import (engine_metadata, ModelMetadata,
                                                ModelMetadataError, onnx_metadata_props,
                                                split_engine_header)

# What Ultralytics 8.4 writes (str() of each value), for a custom two-class YOLO26 export.
ULTRALYTICS_PROPS = {
    'description': 'Ultralytics YOLO26n model', 'author': 'Ultralytics', 'stride': '32',
    'task': 'detect', 'head': 'Detect', 'batch': '1', 'imgsz': '[320, 416]',
    'names': "{0: 'traffic cone', 1: 'forklift'}",
    'args': "{'batch': 1, 'nms': False, 'dynamic': False}", 'channels': '3',
    'end2end': 'True',
}


def _onnx_file(path, props, initializer_floats=0):
    onnx = pytest.importorskip('onnx')
    from onnx import helper, numpy_helper, TensorProto
    import numpy as np

    weights = numpy_helper.from_array(np.arange(initializer_floats, dtype=np.float32), 'w')
    graph = helper.make_graph(
        [helper.make_node('Identity', ['x'], ['y'])], 'g',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 3, 4, 4])],
        initializer=[weights])
    model = helper.make_model(graph)
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, path)
    return onnx.load(path)


def test_onnx_metadata_props_equal_the_onnx_parsers(tmp_path):
    path = str(tmp_path / 'm.onnx')
    # A graph of a few MB, so the reader must seek past a large length-delimited field.
    model = _onnx_file(path, dict(ULTRALYTICS_PROPS, unicode='Gabelstapler \u00fc'),
                       initializer_floats=1 << 20)
    expected = {p.key: p.value for p in model.metadata_props}
    assert onnx_metadata_props(path) == expected


def test_a_file_without_metadata_gives_none(tmp_path):
    path = str(tmp_path / 'plain.onnx')
    _onnx_file(path, {})
    assert onnx_metadata_props(path) == {}
    assert ModelMetadata.from_dict({}).is_empty


def test_a_file_that_is_not_protobuf_is_refused(tmp_path):
    path = tmp_path / 'junk.onnx'
    path.write_bytes(b'\x0f' * 64)
    with pytest.raises(ModelMetadataError, match='not an ONNX model'):
        onnx_metadata_props(str(path))


def test_ultralytics_metadata_is_read():
    meta = ModelMetadata.from_dict(ULTRALYTICS_PROPS)
    assert meta.names == ('traffic cone', 'forklift')
    assert meta.imgsz == (320, 416)
    assert (meta.stride, meta.task, meta.head, meta.batch) == (32, 'detect', 'Detect', 1)
    assert meta.end2end and not meta.nms
    assert meta.output_format() == 'end2end'
    assert meta.resize() == 'letterbox'


@pytest.mark.parametrize('changes, output_format, resize', [
    ({'end2end': 'False'}, 'yolov8', 'letterbox'),
    ({'end2end': 'False', 'head': 'v10Detect'}, 'yolov8', 'letterbox'),
    ({'end2end': 'False', 'args': "{'nms': True}"}, 'end2end', 'letterbox'),
    ({'end2end': 'False', 'head': 'RTDETRDecoder'}, 'rtdetr', 'stretch'),
    ({'end2end': 'False', 'task': 'segment', 'head': 'Segment'}, 'segment', 'letterbox'),
    ({'end2end': 'False', 'task': 'pose', 'head': 'Pose'}, 'pose', 'letterbox'),
    ({'end2end': 'False', 'task': 'pose', 'head': ''}, 'pose', 'letterbox'),
])
def test_the_head_chooses_the_decoder_and_resize(changes, output_format, resize):
    meta = ModelMetadata.from_dict(dict(ULTRALYTICS_PROPS, **changes))
    assert (meta.output_format(), meta.resize()) == (output_format, resize)


def test_names_with_gaps_keep_their_ids():
    meta = ModelMetadata.from_dict({'names': "{0: 'a', 2: 'c'}"})
    assert meta.names == ('a', '1', 'c')


def _ultralytics_engine(path, metadata, plan):
    # As ultralytics/utils/export/engine.py writes it.
    meta = json.dumps(metadata)
    with open(path, 'wb') as stream:
        stream.write(len(meta).to_bytes(4, byteorder='little', signed=True))
        stream.write(meta.encode())
        stream.write(plan)


def test_engine_header_is_split_as_ultralytics_reads_it(tmp_path):
    base = pytest.importorskip('ultralytics.nn.backends.base')
    path = str(tmp_path / 'best.engine')
    metadata = {'names': {'0': 'cone'}, 'imgsz': [320, 320], 'task': 'detect'}
    plan = b'ftrt' + bytes(range(256)) * 4
    _ultralytics_engine(path, metadata, plan)
    offset, expected = base.BaseBackend.engine_header(path)
    with open(path, 'rb') as stream:
        data = stream.read()
    assert split_engine_header(data) == (expected, data[offset:])
    assert split_engine_header(data)[1] == plan
    assert engine_metadata(path) == metadata
    assert ModelMetadata.from_dict(engine_metadata(path)).names == ('cone',)


def test_a_plain_plan_is_left_whole(tmp_path):
    plan = b'ftrt\x00\x00\x00\x00' + os.urandom(512)
    assert split_engine_header(plan) == ({}, plan)
    path = tmp_path / 'plain.engine'
    path.write_bytes(plan)
    assert engine_metadata(str(path)) == {}
