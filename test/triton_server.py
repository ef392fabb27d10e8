# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Import first in a Triton test module: a real tritonserver on 127.0.0.1, or a skip.

The server is the one in the nvidia-pytriton wheel (requirements/triton.txt); its repository
is written by the package's own exporter, platform 'python', so ONNX Runtime runs the bundled
person detector inside the server.  Without the client or the wheel the module skips, and
under CI it fails instead: CI must run these tests.
"""

import importlib.util
import os
import time

import numpy as np
import pytest

for _module in ('tritonclient.grpc', 'tritonclient.http', 'pytriton'):
    try:
        _found = importlib.util.find_spec(_module) is not None
    except ImportError:
        _found = False
    if not _found:
        reason = '%s is not installed: run scripts/setup.sh (requirements/triton.txt)' % _module
        if os.environ.get('CI'):
            raise ImportError(reason)
        pytest.skip(reason, allow_module_level=True)

from trt_perception.core.backend import TensorSpec  # noqa: E402
from trt_perception.core.models import find_model  # noqa: E402
from trt_perception.tools.local_triton import LocalTritonServer, stub_python_path  # noqa: E402
from trt_perception.triton.client import ServerConnection  # noqa: E402
from trt_perception.triton.repository import export_repository  # noqa: E402
from trt_perception.triton.signature import ModelSignature  # noqa: E402

MODEL = 'ssdlite_mobilenet_v2_person'
"""The bundled model served in the tests: small, so a CPU serves it in about 15 ms."""
SLOW_MODEL = 'slow_identity'
"""A Python-backend model that takes `SLOW_SECONDS` per execution, for timeouts."""
SLOW_SECONDS = 3.0
SLOW_SIGNATURE = ModelSignature(TensorSpec('x', (None, 4), np.dtype(np.float32)),
                                (TensorSpec('y', (None, 4), np.dtype(np.float32)),), 4)

_SLOW_CONFIG = """name: "%s"
backend: "python"
max_batch_size: 4
input [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]
""" % SLOW_MODEL

_SLOW_MODEL_PY = """import sys
import time
sys.path[:0] = %r
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        time.sleep(%r)
        return [pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor(
            'y', pb_utils.get_input_tensor_by_name(r, 'x').as_numpy())]) for r in requests]
"""


def write_repository(folder: str, max_queue_delay_us: int = 5000) -> str:
    """Export the person detector (platform python) and the slow model into `folder`."""
    export_repository(folder, MODEL, platform='python', max_batch=8,
                      preferred_batch_sizes=[4, 8], max_queue_delay_us=max_queue_delay_us,
                      python_path=stub_python_path())
    slow = os.path.join(folder, SLOW_MODEL)
    os.makedirs(os.path.join(slow, '1'))
    with open(os.path.join(slow, 'config.pbtxt'), 'w') as stream:
        stream.write(_SLOW_CONFIG)
    with open(os.path.join(slow, '1', 'model.py'), 'w') as stream:
        stream.write(_SLOW_MODEL_PY % (stub_python_path(), SLOW_SECONDS))
    return folder


def new_server(base, max_queue_delay_us: int = 5000) -> LocalTritonServer:
    """Return a server (not started) over a fresh repository under the pathlib folder `base`."""
    repository = write_repository(str(base / 'models'), max_queue_delay_us)
    return LocalTritonServer(repository, str(base))


@pytest.fixture(scope='module')
def triton(tmp_path_factory):
    """Run a tritonserver for the whole module, stopped after it."""
    with new_server(tmp_path_factory.mktemp('triton')) as server:
        yield server


def batch_sizes(url: str, model: str = MODEL):
    """{batch size: executions} from the server's statistics for `model`."""
    connection = ServerConnection(url, 5.0)
    try:
        stats = connection.statistics(model)['model_stats'][0]
    finally:
        connection.close()
    return {int(b['batch_size']): int(b['compute_infer'].get('count', 0))
            for b in stats.get('batch_stats', [])}


def wait_for(predicate, timeout=30.0, what='condition'):
    """Poll `predicate` until it returns something true, else fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError('timed out after %.0f s waiting for %s' % (timeout, what))


def person_card():
    """Return the card of the served model."""
    return find_model(MODEL)
