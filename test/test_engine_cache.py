# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
EngineCache: names, metadata, atomic writes, and when a plan is loaded, rebuilt or refused.

Crash safety is tested by killing a writer process (SIGKILL) at the dangerous points and at
random moments: afterwards a lookup returns either nothing or exactly the plan that was
stored, never a partial one.
"""

import hashlib
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time

import pytest

from trt_perception.core.backend import BackendError
from trt_perception.core.models import file_sha256
from trt_perception.tensorrt.cache import (default_cache_dir, EngineCache, EngineKey, slug,
                                           write_atomic)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHA = hashlib.sha256(b'model').hexdigest()


def make_key(**changes) -> EngineKey:
    values = {'model_stem': 'yolov8n', 'model_sha256': SHA, 'trt_version': '10.3.0',
              'gpu_name': 'Orin', 'compute_capability': '8.7', 'precision': 'fp16',
              'min_batch': 1, 'opt_batch': 2, 'max_batch': 2}
    values.update(changes)
    return EngineKey(**values)


@pytest.fixture
def plan():
    seed = secrets.randbits(32)
    print('random seed %d' % seed)
    return hashlib.sha256(str(seed).encode()).digest() * 4096


def test_file_name_follows_the_engines_readme():
    key = EngineKey('yolov8n', '3f0c9a1b27de' + '0' * 52, '8.2.1', 'NVIDIA Tegra X2', '6.2',
                    'fp16', 1, 1, 1)
    assert key.file_stem() == 'yolov8n-3f0c9a1b27de-trt8.2.1-nvidia-tegra-x2-sm62-fp16-b1'


def test_file_name_spells_out_a_non_default_profile():
    assert make_key().file_stem().endswith('-orin-sm87-fp16-b2')
    assert make_key(min_batch=1, opt_batch=1).file_stem().endswith('-fp16-b1-1-2')
    assert make_key(trt_version='rtx1.7.1').file_stem().startswith(
        'yolov8n-%s-trtrtx1.7.1-' % SHA[:12])


def test_the_profile_count_is_part_of_the_key():
    assert make_key(profiles=2).file_stem().endswith('-fp16-b2-p2')
    assert make_key(profiles=2) != make_key()
    assert make_key().mismatches(make_key(profiles=2)) == [
        'optimization profiles 2 (built) vs 1 (here)']
    # Metadata written before the field existed describes a one-profile engine.
    old = make_key().as_dict()
    del old['profiles']
    assert EngineKey.from_dict(old) == make_key()


def test_slug_and_key_round_trip():
    assert slug('NVIDIA GeForce RTX 4090') == 'nvidia-geforce-rtx-4090'
    assert slug('  ') == 'unknown'
    key = make_key()
    assert EngineKey.from_dict(json.loads(json.dumps(key.as_dict()))) == key
    assert make_key(gpu_name='Xavier').mismatches(key) == ['GPU Orin (built) vs Xavier (here)']


def test_default_dir_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv('TRT_PERCEPTION_ENGINE_CACHE', str(tmp_path))
    assert default_cache_dir() == str(tmp_path)
    monkeypatch.delenv('TRT_PERCEPTION_ENGINE_CACHE')
    # Run from this source checkout: its engines/ folder (it has a README and is writable).
    assert default_cache_dir() == os.path.join(ROOT, 'engines')
    # An installed package has no checkout beside it: the user's cache folder.
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    assert default_cache_dir(checkout_engines=str(tmp_path / 'none')) == \
        str(tmp_path / 'xdg' / 'trt_perception' / 'engines')


def test_store_then_lookup_returns_the_same_bytes(tmp_path, plan):
    cache = EngineCache(str(tmp_path / 'engines'))
    entry = cache.store(make_key(), plan, {'built_precision': 'fp16'})
    found = cache.lookup(make_key())
    assert found.entry is not None and found.entry.plan == plan
    assert found.entry.plan_path == entry.plan_path == cache.paths(make_key())[0]
    metadata = json.load(open(cache.paths(make_key())[1]))
    assert metadata['plan_sha256'] == hashlib.sha256(plan).hexdigest()
    assert metadata['built_precision'] == 'fp16'
    assert sorted(os.listdir(cache.directory)) == sorted(
        os.path.basename(p) for p in cache.paths(make_key()))


def test_missing_plan_metadata_or_corruption_is_a_miss_with_a_reason(tmp_path, plan):
    cache = EngineCache(str(tmp_path))
    assert 'no cached engine' in cache.lookup(make_key()).reason
    plan_path, meta_path = cache.paths(make_key())
    cache.store(make_key(), plan)
    with open(plan_path, 'r+b') as f:
        f.truncate(len(plan) // 2)
    found = cache.lookup(make_key())
    assert found.entry is None and 'corrupt' in found.reason
    cache.store(make_key(), plan)
    with open(plan_path, 'r+b') as f:
        f.seek(100)
        f.write(b'\xff' * 8)
    assert 'corrupt' in cache.lookup(make_key()).reason
    os.unlink(meta_path)
    assert 'has no metadata' in cache.lookup(make_key()).reason
    with open(meta_path, 'w') as f:
        f.write('{"format": 1, "key": ')
    assert 'unreadable' in cache.lookup(make_key()).reason


def test_metadata_for_another_version_or_gpu_is_never_trusted(tmp_path, plan):
    cache = EngineCache(str(tmp_path))
    cache.store(make_key(), plan)
    plan_path, meta_path = cache.paths(make_key())
    metadata = json.load(open(meta_path))
    metadata['key'].update(trt_version='8.2.1', gpu_name='NVIDIA Tegra X2')
    write_atomic(meta_path, json.dumps(metadata).encode())
    found = cache.lookup(make_key())
    assert found.entry is None
    assert 'TensorRT version 8.2.1 (built) vs 10.3.0 (here)' in found.reason
    assert 'GPU NVIDIA Tegra X2 (built) vs Orin (here)' in found.reason


def test_a_miss_explains_why_other_entries_of_the_model_do_not_fit(tmp_path, plan):
    cache = EngineCache(str(tmp_path))
    cache.store(make_key(gpu_name='Xavier', compute_capability='7.2'), plan)
    cache.store(make_key(model_stem='yolov8n-seg'), plan)
    reason = cache.lookup(make_key()).reason
    assert 'GPU Xavier (built) vs Orin (here)' in reason
    assert 'compute capability 7.2 (built) vs 8.7 (here)' in reason
    assert 'yolov8n-seg' not in reason


def test_load_or_build_builds_once_then_reuses(tmp_path, plan, caplog):
    caplog.set_level(logging.INFO)
    onnx = tmp_path / 'yolov8n.onnx'
    onnx.write_bytes(b'model')
    cache = EngineCache(str(tmp_path / 'engines'))
    builds = []

    def build():
        builds.append(1)
        return plan, {'built_precision': 'fp16'}

    first = cache.load_or_build(make_key(), str(onnx), build)
    second = cache.load_or_build(make_key(), str(onnx), build)
    assert first.plan == second.plan == plan and len(builds) == 1
    assert 'building an engine from' in caplog.text and 'no cached engine' in caplog.text
    assert file_sha256(str(onnx)) == SHA


def test_changed_model_hash_rebuilds_and_says_why(tmp_path, plan, caplog):
    caplog.set_level(logging.INFO)
    onnx = tmp_path / 'yolov8n.onnx'
    onnx.write_bytes(b'model')
    cache = EngineCache(str(tmp_path))
    cache.load_or_build(make_key(), str(onnx), lambda: (plan, {}))
    onnx.write_bytes(b'model v2')
    new_key = make_key(model_sha256=file_sha256(str(onnx)))
    entry = cache.load_or_build(new_key, str(onnx), lambda: (plan[::-1], {}))
    assert entry.plan == plan[::-1]
    assert 'model sha256 %s (built) vs %s (here)' % (SHA, new_key.model_sha256) in caplog.text


def test_no_entry_and_no_onnx_is_a_clear_refusal(tmp_path):
    cache = EngineCache(str(tmp_path))
    with pytest.raises(BackendError, match="ONNX model '.*missing.onnx' to build one from "
                                           'does not exist'):
        cache.load_or_build(make_key(), str(tmp_path / 'missing.onnx'),
                            lambda: pytest.fail('must not build'))


def test_write_atomic_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / 'file.bin'
    write_atomic(str(target), b'old')
    with pytest.raises(TypeError):
        write_atomic(str(target), object())
    assert target.read_bytes() == b'old'
    assert os.listdir(str(tmp_path)) == ['file.bin']


_WRITER = r"""
import os, signal, sys
sys.path.insert(0, %(root)r)
from trt_perception.tensorrt import cache as cache_module
from trt_perception.tensorrt.cache import EngineCache, EngineKey
mode, directory, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
key = EngineKey(**%(key)r)
die = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
if mode == 'during-plan-fsync':
    cache_module.os.fsync = die
elif mode == 'before-metadata':
    real = cache_module.write_atomic
    def write_atomic(path, data):
        if path.endswith('.json'):
            die()
        real(path, data)
    cache_module.write_atomic = write_atomic
payload = bytes([int(sys.argv[4])]) * size
print('ready', flush=True)
while True:
    EngineCache(directory).store(key, payload)
    if mode != 'loop':
        break
"""


def run_writer(mode, directory, size, fill):
    script = _WRITER % {'root': ROOT, 'key': make_key().as_dict()}
    return subprocess.Popen([sys.executable, '-c', script, mode, directory, str(size),
                             str(fill)], stdout=subprocess.PIPE)


def assert_consistent(cache, allowed):
    found = cache.lookup(make_key())
    if found.entry is not None:
        assert found.entry.plan in allowed, 'a partial or foreign plan was loaded'
    return found


@pytest.mark.parametrize('mode', ['during-plan-fsync', 'before-metadata'])
def test_killed_writer_never_leaves_a_loadable_half_plan(tmp_path, mode):
    cache = EngineCache(str(tmp_path))
    old = b'\x01' * 4096
    cache.store(make_key(), old)
    process = run_writer(mode, str(tmp_path), 1 << 20, 2)
    assert process.wait(timeout=60) == -signal.SIGKILL
    found = assert_consistent(cache, [old, b'\x02' * (1 << 20)])
    # The old metadata is gone before the new plan lands, so a crash is a miss, not old data
    # vouching for new bytes.
    assert found.entry is None
    entry = cache.load_or_build(make_key(), __file__, lambda: (old, {}))
    assert entry.plan == old


def test_random_kills_during_repeated_writes(tmp_path):
    rng_seed = secrets.randbits(32)
    print('random seed %d' % rng_seed)
    delays = [(rng_seed >> (4 * i) & 0xF) / 100.0 for i in range(6)]
    cache = EngineCache(str(tmp_path))
    payloads = [bytes([fill]) * (8 << 20) for fill in range(len(delays))]
    for fill, delay in enumerate(delays):
        process = run_writer('loop', str(tmp_path), 8 << 20, fill)
        assert process.stdout.readline().strip() == b'ready'
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert_consistent(cache, payloads)
