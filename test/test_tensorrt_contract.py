# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The TensorRT API tables against TensorRT 10's real bindings and TensorRT 8.0/8.2's sources.

``tensorrt_lean`` (pip tensorrt-lean-cu13, pinned in requirements/tensorrt-ci.txt) is
NVIDIA's lean runtime: the same runtime classes as the full ``tensorrt`` module, importable on
a CPU-only machine.  Every member the runner uses is listed in the surface tables of
`trt_perception.tensorrt.api`; these tests check those tables against the real module, and
check that the GPU tests' fakes expose exactly the same members, so the runner cannot call
anything the real runtime lacks without a test failing.  Nothing here executes an engine.

TensorRT 8.0 and 8.2 (JetPack 4.6 and 4.6.1+) have no wheel that imports here, so the names
the code uses are kept below as facts, read from NVIDIA's published source of those Python
bindings, and a module built from them goes through the same probe.
"""

import glob
import inspect
import logging
import os
import types

import fake_tensorrt
import numpy as np
import pytest

from trt_perception.tensorrt import api as api_module
from trt_perception.tensorrt import tensorrt_unavailable_reason
from trt_perception.tensorrt.api import (BINDINGS_SURFACE, BUILDER_SURFACE, missing_members,
                                         NAMED_TENSOR_SURFACE, RUNTIME_SURFACE, TensorRTApi,
                                         TensorRTUnavailable)

TENSORRT_8_2_1 = {
    '': ('Builder', 'BuilderFlag', 'DataType', 'DeviceType', 'IInt8EntropyCalibrator2',
         'ILogger', 'ITimingCache', 'Logger', 'NetworkDefinitionCreationFlag', 'OnnxParser',
         'Runtime', '__version__', 'init_libnvinfer_plugins', 'nptype'),
    'Builder': ('build_engine', 'build_serialized_network', 'create_builder_config',
                'create_network', 'create_optimization_profile', 'num_DLA_cores',
                'platform_has_fast_fp16', 'platform_has_fast_int8'),
    'BuilderFlag': ('FP16', 'GPU_FALLBACK', 'INT8'),
    'DataType': ('FLOAT', 'HALF', 'INT32', 'INT8'),
    'DeviceType': ('DLA',),
    'IBuilderConfig': ('DLA_core', 'add_optimization_profile', 'create_timing_cache',
                       'default_device_type', 'get_timing_cache', 'int8_calibrator',
                       'max_workspace_size', 'set_calibration_profile', 'set_flag',
                       'set_timing_cache'),
    'ICudaEngine': ('binding_is_input', 'create_execution_context', 'get_binding_dtype',
                    'get_binding_name', 'get_binding_shape', 'get_profile_shape',
                    'num_bindings', 'num_optimization_profiles'),
    'IExecutionContext': ('active_optimization_profile', 'execute_async_v2',
                          'get_binding_shape', 'set_binding_shape',
                          'set_optimization_profile_async'),
    'IInt8EntropyCalibrator2': ('get_batch', 'get_batch_size', 'read_calibration_cache',
                                'write_calibration_cache'),
    'ILogger': ('log',),
    'ILogger.Severity': ('ERROR', 'INFO', 'INTERNAL_ERROR', 'VERBOSE', 'WARNING'),
    'INetworkDefinition': ('get_input', 'get_output', 'num_inputs', 'num_outputs'),
    'IOptimizationProfile': ('set_shape',),
    'ITensor': ('dtype', 'name', 'shape'),
    'ITimingCache': ('serialize',),
    'NetworkDefinitionCreationFlag': ('EXPLICIT_BATCH',),
    'OnnxParser': ('get_error', 'num_errors', 'parse'),
    'ParserError': ('code', 'desc', 'node'),
    'Runtime': ('deserialize_cuda_engine',),
}
"""
Every TensorRT name this package uses, as TensorRT 8.2.1's Python module has it.

Source: NVIDIA/TensorRT on GitHub, tag 8.2.1, the pybind11 bindings in python/src/infer/
(pyCore.cpp, pyGraph.cpp, pyInt8.cpp, pyFoundationalTypes.cpp), python/src/parsers/pyOnnx.cpp
and python/packaging/tensorrt/__init__.py (nptype), the code NVIDIA builds the
python3-libnvinfer of JetPack 4.6.1 from and documents at
https://docs.nvidia.com/deeplearning/tensorrt/archives/tensorrt-821/api/python_api/.  Read
2026-12.  In every version ``Logger`` is a subclass of ``ILogger``.  Profiles (pyCore.cpp at
tags 8.0.1 and 8.2.1): ``set_optimization_profile_async(profile_index, stream_handle)`` is there
and raises RuntimeError on failure; ``active_optimization_profile`` has a deprecated setter.
"""

TENSORRT_8_0_1 = dict(TENSORRT_8_2_1)
del TENSORRT_8_0_1['ILogger.Severity']
TENSORRT_8_0_1['Logger.Severity'] = TENSORRT_8_2_1['ILogger.Severity']
"""
TensorRT 8.0.1 (JetPack 4.6), from the same files at tag 8.0.1: among the names this package
uses, the one difference is that the Severity enum is defined on ``Logger``, not ``ILogger``.
"""

NOT_IN_TENSORRT_8 = {
    '': ('TensorIOMode', 'MemoryPoolType', 'IProgressMonitor', 'ComputeCapability'),
    'ICudaEngine': ('num_io_tensors', 'get_tensor_name', 'get_tensor_mode', 'get_tensor_shape',
                    'get_tensor_dtype', 'get_tensor_profile_shape'),
    'IExecutionContext': ('set_input_shape', 'set_tensor_address', 'get_tensor_shape',
                          'execute_async_v3'),
    'IBuilderConfig': ('set_memory_pool_limit', 'progress_monitor', 'set_compute_capability'),
    'ParserError': ('node_name', 'node_operator'),
}
"""
Names the code uses only where present, absent from both 8.0.1 and 8.2.1 (same source).

Named tensors arrived in 8.5, the memory pool API in 8.4, progress monitors in 10.0, parser
node names in 8.6; compute-capability targets are TensorRT-RTX's.
"""

BUILDER_AND_CALIBRATOR_NAMES = (
    'platform_has_fast_int8', 'num_DLA_cores', 'int8_calibrator', 'default_device_type',
    'get_timing_cache', 'set_timing_cache', 'create_timing_cache', 'DeviceType',
    'get_batch_size', 'read_calibration_cache', 'write_calibration_cache')
"""Names the builder and calibrator use beyond the surface tables (on every version)."""


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


def test_tensorrt_10_selects_profiles_only_through_the_async_call(lean):
    # PROFILE_RULES: the runner never sets active_optimization_profile, which 10.x made
    # read-only (8.0.1 .. 8.6 had a deprecated setter, TENSORRT_8_2_1).
    assert lean.IExecutionContext.active_optimization_profile.fset is None
    signature = lean.IExecutionContext.set_optimization_profile_async.__doc__
    assert 'profile_index' in signature and 'stream_handle' in signature
    assert isinstance(lean.ICudaEngine.num_optimization_profiles, property)


def test_every_profile_rule_names_its_source():
    for rule, text in api_module.PROFILE_RULES.items():
        assert 'NvInferRuntime.h' in text or 'pyCore.cpp' in text, rule


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


def _tensorrt_8_module(table, version):
    """Build a module with exactly the classes, members and enum values of `table`."""
    module = types.ModuleType('tensorrt')
    module.__version__ = version
    classes = {'ILogger': type('ILogger', (), {})}
    classes['Logger'] = type('Logger', (classes['ILogger'],), {})

    def placeholder(*args, **kwargs):
        return None

    for name in table['']:
        if name == '__version__':
            continue
        if name[0].isupper():
            classes.setdefault(name, type(name, (), {}))
            setattr(module, name, classes[name])
        else:
            setattr(module, name, placeholder)
    for owner, members in table.items():
        if not owner:
            continue
        parent, _, nested = owner.rpartition('.')
        if nested and parent:
            target = type(nested, (), {})
            setattr(classes[parent], nested, target)
        else:
            target = classes.setdefault(owner, type(owner, (), {}))
            setattr(module, owner, target)
        for value, member in enumerate(members):
            setattr(target, member, value if member.isupper() else placeholder)
    return module


TENSORRT_8 = pytest.mark.parametrize('table, version', [
    (TENSORRT_8_0_1, '8.0.1.6'), (TENSORRT_8_2_1, '8.2.1.8')], ids=['8.0.1', '8.2.1'])


def test_the_tensorrt_8_facts_cover_every_name_the_code_uses():
    surfaces = [RUNTIME_SURFACE, NAMED_TENSOR_SURFACE, BINDINGS_SURFACE, BUILDER_SURFACE,
                {owner: (member,) for owner, member
                 in api_module._OPTIONAL_BUILDER_FEATURES.values()}]
    unrecorded = set()
    for surface in surfaces:
        for owner, members in surface.items():
            for member in members:
                known = (member in TENSORRT_8_2_1.get(owner, ())
                         or member in TENSORRT_8_0_1.get(owner, ())
                         or member in NOT_IN_TENSORRT_8.get(owner, ())
                         or owner.split('.')[0] in NOT_IN_TENSORRT_8[''])
                if not known:
                    unrecorded.add('%s.%s' % (owner, member) if owner else member)
    assert unrecorded == set(), 'record whether TensorRT 8.0/8.2 have these (see the source ' \
        'named in TENSORRT_8_2_1)'
    sources = ''
    for path in glob.glob(os.path.join(os.path.dirname(api_module.__file__), '*.py')):
        with open(path) as f:
            sources += f.read()
    assert [name for name in BUILDER_AND_CALIBRATOR_NAMES if name not in sources] == []


@TENSORRT_8
def test_tensorrt_8_has_every_name_of_the_bindings_and_builder_paths(table, version):
    module = _tensorrt_8_module(table, version)
    for surface in (RUNTIME_SURFACE, BINDINGS_SURFACE, BUILDER_SURFACE):
        assert missing_members(module, surface) == []
    everything = set().union(*table.values())
    assert [name for name in BUILDER_AND_CALIBRATOR_NAMES if name not in everything] == []
    for owner, members in NOT_IN_TENSORRT_8.items():
        assert sorted(missing_members(module, {owner: members})) == sorted(
            '%s.%s' % (owner, m) if owner else m for m in members)


@TENSORRT_8
def test_tensorrt_8_is_probed_as_the_bindings_api_with_a_workspace_limit(table, version):
    module = _tensorrt_8_module(table, version)
    api = TensorRTApi.from_module(module, 'tensorrt')
    assert (api.io_api, api.can_build, api.is_rtx) == ('bindings', True, False)
    assert api.has_max_workspace_size and not api.has_memory_pool
    assert not api.has_progress_monitor and not api.has_parser_node_names
    assert not api.has_compute_capability_targets
    assert api.has_timing_cache and api.has_fast_fp16_query and api.has_entropy_calibrator
    assert api.has_fp16_flag and api.has_int8_flag and api.has_plugin_init and api.has_dla
    assert api.network_flags == 1 << module.NetworkDefinitionCreationFlag.EXPLICIT_BATCH
    assert api.describe() == 'tensorrt %s (bindings I/O API)' % version


@TENSORRT_8
def test_tensorrt_8_logger_finds_the_severities(table, version, caplog):
    module = _tensorrt_8_module(table, version)
    logger = TensorRTApi.from_module(module, 'tensorrt').logger(logging.getLogger('trt8'))
    assert isinstance(logger, module.ILogger)
    with caplog.at_level(logging.DEBUG, logger='trt8'):
        logger.log(module.Logger.Severity.ERROR, 'cannot deserialize')
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, 'TensorRT: cannot deserialize')]


def test_tensorrt_rtx_builder_has_none_of_the_removed_calls():
    # TensorRT 10 removed build_engine and max_workspace_size; TensorRT-RTX is built on 10.
    rtx = pytest.importorskip('tensorrt_rtx', reason='tensorrt-rtx-cu13 is not installed (pip '
                              'install -r requirements/tensorrt-ci.txt)')
    assert not hasattr(rtx.Builder, 'build_engine')
    assert not hasattr(rtx.IBuilderConfig, 'max_workspace_size')
    api = TensorRTApi.from_module(rtx, 'tensorrt_rtx')
    assert api.has_memory_pool and not api.has_max_workspace_size and api.io_api == 'named'
