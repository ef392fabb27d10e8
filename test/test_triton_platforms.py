# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The exporter's onnxruntime_onnx and tensorrt_plan repositories, read by a real tritonserver.

The wheel's server has only the Python backend, so these models cannot load here; but the
server parses each config.pbtxt, maps its platform to a backend and only then fails, for want
of the backend library.  A config it cannot parse fails earlier, with no version or state in
the repository index: the two controls below (a misspelt field, an unknown data type) show the
check tells the two apart.
"""

import os

import pytest

from triton_server import MODEL  # first: skips or fails the module without the server
from trt_perception.tools.local_triton import LocalTritonServer
from trt_perception.triton.client import ServerConnection
from trt_perception.triton.repository import export_repository


def _spoil(folder, old, new):
    path = os.path.join(folder, 'config.pbtxt')
    with open(path) as stream:
        text = stream.read()
    assert old in text
    with open(path, 'w') as stream:
        stream.write(text.replace(old, new, 1))


@pytest.fixture(scope='module')
def index(tmp_path_factory):
    base = tmp_path_factory.mktemp('platforms')
    repository = str(base / 'models')
    export_repository(repository, MODEL, platform='onnxruntime_onnx', max_batch=8,
                      name='onnx')
    engine = base / 'person.plan'  # any bytes: the server stops before reading it
    engine.write_bytes(b'not an engine')
    export_repository(repository, MODEL, platform='tensorrt_plan', max_batch=8,
                      engine=str(engine), name='plan')
    _spoil(export_repository(repository, MODEL, max_batch=8, name='misspelt'),
           'max_batch_size', 'max_batch_sise')
    _spoil(export_repository(repository, MODEL, max_batch=8, name='bad_type'),
           'TYPE_FP32', 'TYPE_FLOAT')
    # Keep serving with models that failed, so the index can be read.
    server = LocalTritonServer(repository, str(base), options=[
        '--exit-on-error', 'false', '--strict-readiness', 'false'])
    with server:
        connection = ServerConnection(server.grpc_url, 10.0)
        try:
            models = connection.repository_index()
        finally:
            connection.close()
    return {m['name']: m for m in models}


@pytest.mark.parametrize('name,backend', [('onnx', 'onnxruntime'), ('plan', 'tensorrt')])
def test_the_server_parses_the_config_and_asks_for_its_backend(index, name, backend):
    model = index[name]
    assert model['state'] == 'UNAVAILABLE'
    assert model['reason'] == ('Invalid argument: unable to find backend library for backend '
                               "'%s', try specifying runtime on the model configuration."
                               % backend)


@pytest.mark.parametrize('name', ['misspelt', 'bad_type'])
def test_a_config_the_server_cannot_parse_never_gets_that_far(index, name):
    assert index[name] == {'name': name}
