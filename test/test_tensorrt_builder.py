# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
EngineBuilder, the engine cache and the build_engine CLI with a real TensorRT builder.

TensorRT-RTX (``tensorrt_rtx``) builds plans from ONNX on a CPU-only machine, so the whole
build path runs for real here: ONNX parsing, parser errors, the batch profile, serialisation,
progress reporting, cache entries and the rebuild decisions.  It has no FP16/INT8 builder
flags (networks are strongly typed), which the builder must detect and report.  The plans
are never executed: TensorRT cannot run on these machines.
"""

import errno
import glob
import json
import logging
import os
import subprocess
import sys
import threading
import time

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import pytest

trt = pytest.importorskip(
    'tensorrt_rtx', reason='TensorRT-RTX is not installed (pip install -r '
    'requirements/tensorrt-ci.txt)')

from trt_perception.core.backend import BackendError  # noqa: E402
from trt_perception.core.models import file_sha256  # noqa: E402
from trt_perception.tensorrt import cache as cache_module  # noqa: E402
from trt_perception.tensorrt.api import TensorRTApi  # noqa: E402
from trt_perception.tensorrt.builder import _Heartbeat, BuildOptions, EngineBuilder  # noqa: E402
from trt_perception.tensorrt.cache import EngineCache, EngineKey, resolve_engine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLED = sorted(glob.glob(os.path.join(ROOT, 'models', '*.onnx')), key=os.path.getsize)


def conv_net(path, rng, batch='batch', size=(3, 64, 64), ops=None):
    """Save a small detector-shaped conv net: images[N,3,H,W] -> output0[N, 6, H/2*W/2]."""
    c, h, w = size
    weights = [numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32),
                                       'w1'),
               numpy_helper.from_array(rng.standard_normal((6, 8, 1, 1)).astype(np.float32),
                                       'w2'),
               numpy_helper.from_array(np.array([0, 6, -1], np.int64), 'shape')]
    nodes = ops or [
        helper.make_node('Conv', ['images', 'w1'], ['c1'], strides=[2, 2], pads=[1, 1, 1, 1],
                         name='stem_conv'),
        helper.make_node('Relu', ['c1'], ['r1'], name='stem_relu'),
        helper.make_node('Conv', ['r1', 'w2'], ['c2'], name='head_conv'),
        helper.make_node('Reshape', ['c2', 'shape'], ['output0'], name='head_reshape'),
    ]
    graph = helper.make_graph(
        nodes, 'test_detector',
        [helper.make_tensor_value_info('images', TensorProto.FLOAT, [batch, c, h, w])],
        [helper.make_tensor_value_info('output0', TensorProto.FLOAT, None)], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return str(path)


@pytest.fixture
def api():
    return TensorRTApi.from_module(trt, 'tensorrt_rtx')


def test_the_rtx_module_is_detected_as_a_strongly_typed_builder(api):
    assert api.can_build and api.io_api == 'named' and api.is_rtx
    assert not api.has_fp16_flag and not api.has_int8_flag
    assert api.has_progress_monitor and api.has_compute_capability_targets
    assert api.network_flags == 0 and api.label.startswith('rtx')


def test_builds_a_dynamic_batch_plan_with_progress(api, rng, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    model = conv_net(tmp_path / 'net.onnx', rng)
    result = EngineBuilder(api).build(model, BuildOptions(max_batch=4, opt_batch=2))
    assert len(result.plan) > 1000 and result.precision == 'fp32'
    assert result.input_name == 'images' and result.input_shape == (-1, 3, 64, 64)
    assert result.output_names == ['output0'] and result.notes == []
    assert 'TensorRT build: Building engine' in caplog.text
    assert 'engine built in' in caplog.text


@pytest.mark.parametrize('precision', ['fp16', 'int8'])
def test_reduced_precision_is_reported_as_not_applied(api, rng, tmp_path, precision):
    model = conv_net(tmp_path / 'net.onnx', rng)
    result = EngineBuilder(api).build(model, BuildOptions(precision=precision))
    assert result.precision == 'as-model'
    assert any('strongly typed' in note and precision in note for note in result.notes)


def test_fixed_batch_model_keeps_its_batch_and_says_so(api, rng, tmp_path):
    model = conv_net(tmp_path / 'net.onnx', rng, batch=1)
    result = EngineBuilder(api).build(model, BuildOptions(max_batch=2, opt_batch=2))
    assert result.input_shape == (1, 3, 64, 64)
    assert any('fixed at 1' in note for note in result.notes)


def test_parser_errors_name_the_node(api, rng, tmp_path):
    bad = [helper.make_node('Conv', ['images', 'w1'], ['c1'], name='stem_conv'),
           helper.make_node('NoSuchOperator', ['c1'], ['output0'], name='mystery_node')]
    model = conv_net(tmp_path / 'bad.onnx', rng, ops=bad)
    with pytest.raises(BackendError) as info:
        EngineBuilder(api).build(model, BuildOptions())
    message = str(info.value)
    assert 'cannot parse' in message and 'node 1' in message
    assert "NoSuchOperator 'mystery_node'" in message


def test_dynamic_image_size_and_missing_model_are_refused(api, rng, tmp_path):
    model = conv_net(tmp_path / 'net.onnx', rng, size=(3, 'height', 64))
    with pytest.raises(BackendError, match='fixed input size'):
        EngineBuilder(api).build(model, BuildOptions())
    with pytest.raises(BackendError, match='does not exist'):
        EngineBuilder(api).build(str(tmp_path / 'none.onnx'), BuildOptions())


def test_target_compute_capabilities(api, rng, tmp_path):
    model = conv_net(tmp_path / 'net.onnx', rng)
    result = EngineBuilder(api).build(model, BuildOptions(
        target_compute_capabilities=('8.6', '8.9')))
    assert len(result.plan) > 1000
    with pytest.raises(BackendError, match='9.0 is not a tensorrt_rtx target'):
        EngineBuilder(api).build(model, BuildOptions(target_compute_capabilities=('9.0',)))


def test_heartbeat_reports_builds_without_a_progress_monitor(caplog):
    # TensorRT < 10 has no IProgressMonitor; the heartbeat keeps a Jetson build visibly alive.
    caplog.set_level(logging.INFO)
    with _Heartbeat(logging.getLogger('heartbeat'), 0.01):
        for _ in range(500):
            if 'still running after' in caplog.text:
                break
            time.sleep(0.01)
    assert 'TensorRT build: still running after' in caplog.text


def test_options_are_validated_before_building():
    with pytest.raises(ValueError, match='min \\(2\\) <= opt \\(1\\)'):
        BuildOptions(min_batch=2, opt_batch=1, max_batch=4)
    with pytest.raises(ValueError, match='precision'):
        BuildOptions(precision='int4')
    with pytest.raises(ValueError, match='profiles=0'):
        BuildOptions(profiles=0)


def test_one_identical_profile_per_slot_is_built_into_the_plan(
        api, rng, tmp_path, monkeypatch):
    model = conv_net(tmp_path / 'net.onnx', rng)
    added = []
    add = trt.IBuilderConfig.add_optimization_profile

    def counting(config, profile):
        index = add(config, profile)
        added.append((index, [tuple(s) for s in profile.get_shape('images')]))
        return index

    monkeypatch.setattr(trt.IBuilderConfig, 'add_optimization_profile', counting)
    result = EngineBuilder(api).build(model, BuildOptions(max_batch=4, opt_batch=2, profiles=2))
    assert len(result.plan) > 1000
    assert added == [(k, [(1, 3, 64, 64), (2, 3, 64, 64), (4, 3, 64, 64)]) for k in range(2)]


def cache_key(api, model, **changes):
    values = {'model_stem': 'net', 'model_sha256': file_sha256(model), 'trt_version': api.label,
              'gpu_name': 'cpu-build', 'compute_capability': '8.6', 'precision': 'fp32',
              'min_batch': 1, 'opt_batch': 2, 'max_batch': 2}
    values.update(changes)
    return EngineKey(**values)


def test_cache_load_rebuild_and_refuse_decisions_with_real_plans(api, rng, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    model = conv_net(tmp_path / 'net.onnx', rng)
    cache = EngineCache(str(tmp_path / 'engines'))
    builder = EngineBuilder(api)
    builds = []

    def build():
        builds.append(1)
        result = builder.build(model, BuildOptions(opt_batch=2, max_batch=2))
        return result.plan, result.details()

    first = cache.load_or_build(cache_key(api, model), model, build)
    metadata = json.load(open(cache.paths(cache_key(api, model))[1]))
    assert metadata['input_shape'] == [-1, 3, 64, 64] and metadata['outputs'] == ['output0']
    assert cache.load_or_build(cache_key(api, model), model, build).plan == first.plan
    assert len(builds) == 1

    # A changed model is a new key: rebuilt, with the old entry's difference logged.
    conv_net(model, rng)
    cache.load_or_build(cache_key(api, model), model, build)
    assert len(builds) == 2 and 'model sha256' in caplog.text

    # Metadata claiming another GPU and TensorRT version is never trusted.
    plan_path, meta_path = cache.paths(cache_key(api, model))
    metadata = json.load(open(meta_path))
    metadata['key'].update(trt_version='8.2.1', gpu_name='NVIDIA Tegra X2')
    with open(meta_path, 'w') as f:
        json.dump(metadata, f)
    caplog.clear()
    cache.load_or_build(cache_key(api, model), model, build)
    assert len(builds) == 3
    assert 'TensorRT version 8.2.1 (built) vs %s (here)' % api.label in caplog.text

    # A half-written plan is rebuilt, never handed to TensorRT.
    with open(plan_path, 'r+b') as f:
        f.truncate(os.path.getsize(plan_path) // 3)
    caplog.clear()
    entry = cache.load_or_build(cache_key(api, model), model, build)
    assert len(builds) == 4 and 'corrupt' in caplog.text
    assert len(entry.plan) == os.path.getsize(plan_path)

    # Neither a usable entry nor the ONNX model: a refusal that says so.
    unseen = cache_key(api, model, model_sha256='0' * 64)
    os.unlink(model)
    with pytest.raises(BackendError, match='does not exist'):
        cache.load_or_build(unseen, model, build)
    assert len(builds) == 4


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ROOT] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]
        + [os.path.dirname(os.path.dirname(trt.__file__))]))
    return subprocess.run([sys.executable, '-m', 'trt_perception.tools.build_engine']
                          + list(args), capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.skipif(not BUNDLED, reason='no bundled model: run scripts/prepare_models.py')
def test_cli_builds_the_bundled_model(tmp_path):
    engine = tmp_path / 'out' / 'bundled.plan'
    done = run_cli('--onnx', BUNDLED[0], '--engine', str(engine), '--fp16', '--max-batch', '2',
                   '--module', 'tensorrt_rtx')
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary['engine'] == str(engine) and engine.stat().st_size > 1000
    assert summary['input_shape'][0] == -1 and summary['input_shape'][1] == 3
    assert summary['built_precision'] == 'as-model'
    assert 'strongly typed' in done.stderr and 'TensorRT build:' in done.stderr


def test_cli_reports_failures_and_exits_1(tmp_path):
    done = run_cli('--onnx', str(tmp_path / 'missing.onnx'), '--module', 'tensorrt_rtx')
    assert done.returncode == 1 and 'does not exist' in done.stderr
    done = run_cli('--onnx', str(tmp_path / 'missing.onnx'), '--int8', '--module',
                   'tensorrt_rtx')
    assert done.returncode == 1 and '--calib-images' in done.stderr


def test_concurrent_resolutions_of_one_engine_build_it_once(api, rng, tmp_path):
    # flock locks belong to open file descriptions, so two threads each opening the lock
    # file contend exactly as two node processes would.
    model = conv_net(tmp_path / 'net.onnx', rng)
    cache_dir = str(tmp_path / 'engines')
    records = []

    class Collect(logging.Handler):

        def emit(self, record):
            records.append(record.getMessage())

    log = logging.getLogger('test_concurrent_resolutions')
    log.addHandler(Collect())
    log.setLevel(logging.INFO)
    start = threading.Barrier(2)
    results, errors = [], []

    def resolve():
        start.wait()
        try:
            results.append(resolve_engine(model, api, 'cpu-build', '8.6', precision='fp32',
                                          max_batch=2, cache_dir=cache_dir, log=log))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=resolve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors and len(results) == 2
    assert sum('building an engine' in r for r in records) == 1, records
    assert sum('built by another process meanwhile' in r for r in records) == 1, records
    assert results[0].plan == results[1].plan and results[0].source == results[1].source
    assert results[0].source.startswith(cache_dir) and results[0].source.endswith('.plan')


def test_a_read_only_cache_serves_the_built_engine_and_says_so(api, rng, tmp_path, caplog):
    if os.geteuid() == 0:
        blocker = tmp_path / 'not-a-folder'
        blocker.write_bytes(b'')
        cache_dir = str(blocker / 'engines')  # root ignores permissions, not a file parent
    else:
        cache_dir = str(tmp_path / 'locked')
        os.makedirs(cache_dir, mode=0o500)
    model = conv_net(tmp_path / 'net.onnx', rng)
    caplog.set_level(logging.INFO)
    engine = resolve_engine(model, api, 'cpu-build', '8.6', precision='fp32',
                            cache_dir=cache_dir)
    assert engine.plan and engine.source == model
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum('not writable' in w and 'engine_cache_dir' in w for w in warnings) == 1


def test_a_full_cache_serves_the_built_engine_and_says_so(
        api, rng, tmp_path, caplog, monkeypatch):
    def disk_full(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
    monkeypatch.setattr(cache_module, 'write_atomic', disk_full)
    model = conv_net(tmp_path / 'net.onnx', rng)
    caplog.set_level(logging.INFO)
    engine = resolve_engine(model, api, 'cpu-build', '8.6', precision='fp32',
                            cache_dir=str(tmp_path / 'engines'))
    assert engine.plan and engine.source == model
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum('could not store the engine' in w and 'No space left' in w
               for w in warnings) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_engine_file_is_read_as_it_is_and_a_missing_one_is_named(api, tmp_path):
    engine = tmp_path / 'net.TRT'
    engine.write_bytes(b'serialised plan')
    resolved = resolve_engine(str(engine), api, 'cpu-build', '8.6')
    assert (resolved.plan, resolved.source, resolved.precision) == (
        b'serialised plan', str(engine), 'as built')
    with pytest.raises(BackendError, match='build_engine --onnx'):
        resolve_engine(str(tmp_path / 'missing.plan'), api, 'cpu-build', '8.6')


class FakeTimingCache:
    """
    A named fake of ITimingCache: tactic timings as a dict, tagged by device.

    TensorRT-RTX documents its timing cache as a no-op, so no real builder here can merge.
    """

    def __init__(self, data=b''):
        stored = json.loads(data.decode()) if data else {'device': 'sm87', 'timings': {}}
        self.device, self.timings = stored['device'], dict(stored['timings'])

    def combine(self, other, ignore_mismatch):
        if other.device != self.device and not ignore_mismatch:
            return False
        self.timings.update(other.timings)
        return True

    def serialize(self):
        return json.dumps({'device': self.device, 'timings': self.timings}).encode()


class FakeBuilderConfig:
    """The two IBuilderConfig calls the timing-cache merge makes (a named fake)."""

    def __init__(self, ours):
        self._ours = ours

    def get_timing_cache(self):
        return self._ours

    def create_timing_cache(self, data):
        return FakeTimingCache(data)


def test_timing_caches_of_concurrent_builds_are_merged_not_overwritten(api, tmp_path):
    path = str(tmp_path / 'timing.cache')
    builder = EngineBuilder(api)
    first, second = FakeTimingCache(), FakeTimingCache()
    first.timings = {'conv_a': 1.5}
    second.timings = {'conv_b': 2.5}
    builder._save_timing_cache(FakeBuilderConfig(first), path)
    builder._save_timing_cache(FakeBuilderConfig(second), path)
    assert FakeTimingCache(open(path, 'rb').read()).timings == {'conv_a': 1.5, 'conv_b': 2.5}
    # A file from another GPU does not combine: this build's timings replace it.
    other = FakeTimingCache()
    other.device, other.timings = 'sm62', {'conv_c': 9.0}
    builder._save_timing_cache(FakeBuilderConfig(other), path)
    assert FakeTimingCache(open(path, 'rb').read()).timings == {'conv_c': 9.0}


def test_an_ultralytics_engine_gives_its_plan_and_its_metadata(api, rng, tmp_path):
    from trt_perception.core.models import find_model

    plan = EngineBuilder(api).build(conv_net(tmp_path / 'net.onnx', rng, batch=1),
                                    BuildOptions()).plan
    metadata = {'names': {'0': 'cone', '1': 'forklift'}, 'imgsz': [64, 64], 'task': 'detect',
                'head': 'Detect', 'end2end': False, 'batch': 1, 'stride': 32,
                'args': {'nms': False, 'dynamic': False}}
    engine = tmp_path / 'best.engine'
    # As ultralytics/utils/export/engine.py writes it: 4-byte little-endian length, JSON, plan.
    text = json.dumps(metadata)
    engine.write_bytes(len(text).to_bytes(4, byteorder='little', signed=True)
                       + text.encode() + plan)
    resolved = resolve_engine(str(engine), api, 'cpu-build', '8.6')
    assert resolved.plan == plan
    card = find_model(str(engine))
    assert card.labels == ('cone', 'forklift') and not card.labels_path
    assert (card.output_format, card.resize) == ('yolov8', 'letterbox')
    # The plain plan, without the block, is read whole.
    (tmp_path / 'plain.engine').write_bytes(plan)
    assert resolve_engine(str(tmp_path / 'plain.engine'), api, 'cpu-build', '8.6').plan == plan
    # TensorRT's own runtime rejects the wrapped file at its header check; the plan we pass
    # gets past it (and then fails only for want of a GPU here).
    assert 'magicTag' in deserialize_errors(engine.read_bytes())
    assert 'magicTag' not in deserialize_errors(resolved.plan)


def deserialize_errors(data):
    """Messages TensorRT-RTX's runtime logs while deserializing `data`."""
    messages = []

    class Collector(trt.ILogger):

        def __init__(self):
            trt.ILogger.__init__(self)

        def log(self, severity, msg):
            messages.append(msg)

    logger = Collector()
    runtime = trt.Runtime(logger)
    runtime.deserialize_cuda_engine(data)
    return '\n'.join(messages)


def test_cli_carries_the_onnx_metadata_into_the_engine_file(rng, tmp_path):
    from trt_perception.core.model_metadata import engine_metadata
    from trt_perception.core.models import find_model

    path = conv_net(tmp_path / 'custom.onnx', rng, batch=1)
    model = onnx.load(path)
    for key, value in (('names', "{0: 'cone', 1: 'forklift'}"), ('head', 'Detect'),
                       ('task', 'detect'), ('imgsz', '[64, 64]'), ('end2end', 'False')):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, path)
    engine = tmp_path / 'custom.engine'
    done = run_cli('--onnx', path, '--engine', str(engine), '--module', 'tensorrt_rtx')
    assert done.returncode == 0, done.stderr
    assert engine_metadata(str(engine)) == {'names': {'0': 'cone', '1': 'forklift'},
                                            'head': 'Detect', 'task': 'detect',
                                            'imgsz': [64, 64], 'end2end': False}
    assert find_model(str(engine)).labels == ('cone', 'forklift')
    plan = resolve_engine(str(engine), TensorRTApi.from_module(trt, 'tensorrt_rtx'),
                          'cpu-build', '8.6').plan
    assert 'magicTag' not in deserialize_errors(plan)
