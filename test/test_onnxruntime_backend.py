# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""ONNX Runtime backend on the real bundled model."""

import numpy as np
import onnxruntime as ort
import pytest

from trt_perception.core.backend import BackendError
from trt_perception.core.models import default_model
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend


@pytest.fixture(scope='module')
def card():
    return default_model()


def test_reports_io_and_runs_a_dynamic_batch(card):
    with OnnxRuntimeBackend(card.path, max_batch=3) as backend:
        assert backend.input.shape[1:] == (3, 300, 300)
        assert backend.max_batch == 3
        assert backend.providers == ['CPUExecutionProvider']
        batch = np.random.default_rng().uniform(-1, 1, (3, 3, 300, 300)).astype(np.float32)
        outputs = backend.infer(batch)
        assert set(outputs) == {o.name for o in backend.outputs}
        out = outputs[backend.outputs[0].name]
        assert out.shape == (3, 1917, 85)
        single = backend.infer(batch[1:2])[backend.outputs[0].name]
        np.testing.assert_allclose(single[0], out[1], rtol=1e-4, atol=1e-4)
        info = backend.describe()
        assert info['backend'] == 'onnxruntime'
        assert info['runtime_version'] == 'onnxruntime ' + ort.__version__
        with pytest.raises(BackendError, match='exceeds max_batch 3'):
            backend.infer(np.zeros((4, 3, 300, 300), np.float32))


def test_unavailable_providers_and_missing_files_are_explained(card, tmp_path):
    with pytest.raises(BackendError, match='NoSuchExecutionProvider'):
        OnnxRuntimeBackend(card.path, providers=['NoSuchExecutionProvider'])
    with pytest.raises(BackendError, match='setup.sh'):
        OnnxRuntimeBackend(str(tmp_path / 'missing.onnx'))
    broken = tmp_path / 'broken.onnx'
    broken.write_bytes(b'not a model')
    with pytest.raises(BackendError, match='cannot load'):
        OnnxRuntimeBackend(str(broken))
