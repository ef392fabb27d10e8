# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The TensorRT 10 runner path against the real TensorRT 10 Python bindings.

``tensorrt_lean`` (pip tensorrt-lean-cu13, pinned in requirements/tensorrt-ci.txt) is
NVIDIA's lean runtime: the same runtime classes as the full ``tensorrt`` module, importable on
a CPU-only machine.  Every member the runner uses is listed in the surface tables of
`trt_perception.tensorrt.api`; these tests check those tables against the real module, and
check that the GPU tests' fakes expose exactly the same members, so the runner cannot call
anything the real runtime lacks without a test failing.  Nothing here executes an engine.
"""

import inspect
import logging

import numpy as np
import pytest

import fake_tensorrt
from trt_perception.tensorrt import api as api_module
from trt_perception.tensorrt import tensorrt_unavailable_reason
from trt_perception.tensorrt.api import (
    BINDINGS_SURFACE, NAMED_TENSOR_SURFACE, RUNTIME_SURFACE, TensorRTApi, TensorRTUnavailable,
    missing_members)


def _public(cls):
    return {name for name, _ in inspect.getmembers(cls) if not name.startswith('_')}


def _declared(owner, *surfaces):
    return set().union(*(surface.get(owner, ()) for surface in surfaces))


@pytest.mark.parametrize('engine, context, surface', [
    (fake_tensorrt.FakeEngine, fake_tensorrt.FakeExecutionContext, NAMED_TENSOR_SURFACE),
    (fake_tensorrt.FakeBindingsEngine, fake_tensorrt.FakeBindingsExecutionContext,
     BINDINGS_SURFACE),
])
def test_fakes_expose_exactly_the_declared_surface(engine, context, surface):
    assert _public(engine) == _declared('ICudaEngine', RUNTIME_SURFACE, surface)
    assert _public(context) == _declared('IExecutionContext', RUNTIME_SURFACE, surface)


@pytest.mark.parametrize('io_api', ['named', 'bindings'])
def test_fake_modules_are_probed_like_the_real_versions(io_api):
    api = TensorRTApi.from_module(fake_tensorrt.make_fake_tensorrt(io_api), 'tensorrt')
    assert api.io_api == io_api and not api.can_build


def test_a_module_missing_runtime_members_is_refused_with_the_names():
    module = fake_tensorrt.make_fake_tensorrt()
    del module.nptype
    with pytest.raises(TensorRTUnavailable, match='lacks nptype'):
        TensorRTApi.from_module(module)


def test_unavailable_reason_never_raises(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError('driver exploded')

    monkeypatch.setattr(api_module.TensorRTApi, 'load', broken)
    assert 'driver exploded' in tensorrt_unavailable_reason()


def test_unavailable_reason_names_the_missing_module(monkeypatch):
    monkeypatch.setenv(api_module.MODULE_ENV, 'tensorrt')
    try:
        import tensorrt  # noqa: F401
    except Exception:
        reason = tensorrt_unavailable_reason()
        assert 'tensorrt' in reason and 'install' in reason
    else:
        pytest.skip('the full TensorRT is importable here')


def test_without_a_gpu_the_pipeline_gets_a_reason_to_fall_back():
    # CI machines have no CUDA device (and usually no pycuda): auto must pick ONNX Runtime.
    try:
        import pycuda.driver as cuda
        cuda.init()
        if cuda.Device.count():
            pytest.skip('a CUDA device is present')
    except Exception:
        pass
    reason = tensorrt_unavailable_reason()
    assert isinstance(reason, str) and reason


@pytest.fixture
def lean():
    return pytest.importorskip(
        'tensorrt_lean', reason='tensorrt-lean-cu13 is not installed (pip install -r '
        'requirements/tensorrt-ci.txt)')


@pytest.fixture
def api(lean):
    return TensorRTApi.from_module(lean, 'tensorrt_lean')


def test_runner_surface_exists_in_tensorrt_10(lean, api):
    assert api.version_tuple[:1] == (10,), 'pin the TensorRT 10 lean runtime the runner targets'
    assert missing_members(lean, RUNTIME_SURFACE) == []
    assert missing_members(lean, NAMED_TENSOR_SURFACE) == []
    assert api.io_api == 'named'


def test_tensorrt_10_dropped_the_bindings_api(lean, api):
    # So the bindings path can only ever be chosen for TensorRT < 8.5 (JetPack 4.6).
    assert set(missing_members(lean, BINDINGS_SURFACE)) >= {
        'ICudaEngine.num_bindings', 'IExecutionContext.execute_async_v2'}


def test_lean_runtime_cannot_build_and_says_what_to_install(lean, api, monkeypatch):
    assert not api.can_build and 'runtime only' in api.describe()
    with pytest.raises(TensorRTUnavailable, match='cannot build engines.*build_engine'):
        api.require_builder()
    monkeypatch.setenv(api_module.MODULE_ENV, 'tensorrt_lean')
    reason = tensorrt_unavailable_reason()
    assert 'tensorrt_lean' in reason and 'cannot build engines' in reason


def test_logger_subclass_forwards_to_python_logging(lean, api, caplog):
    logger = api.logger(logging.getLogger('contract'))
    assert isinstance(logger, lean.ILogger)
    with caplog.at_level(logging.DEBUG, logger='contract'):
        logger.log(lean.ILogger.Severity.WARNING, 'engine is old')
        logger.log(lean.ILogger.Severity.VERBOSE, 'chatter')
    levels = {(r.levelno, r.getMessage()) for r in caplog.records}
    assert (logging.WARNING, 'TensorRT: engine is old') in levels
    assert (logging.DEBUG, 'TensorRT: chatter') in levels


def test_datatypes_map_to_numpy(lean, api):
    assert api.nptype(lean.DataType.FLOAT) is np.float32
    assert api.nptype(lean.DataType.HALF) is np.float16
    assert api.nptype(lean.DataType.INT32) is np.int32
    assert api.nptype(lean.DataType.INT8) is np.int8
    assert lean.TensorIOMode.INPUT != lean.TensorIOMode.OUTPUT


def test_enqueue_and_binding_signatures(lean, api):
    doc = lean.IExecutionContext.execute_async_v3.__doc__
    assert 'stream_handle' in doc
    assert 'name' in lean.IExecutionContext.set_tensor_address.__doc__
    assert 'profile_index' in lean.ICudaEngine.get_tensor_profile_shape.__doc__
