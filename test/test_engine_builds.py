# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
EngineBuild: a real TensorRT-RTX build on the CPU in the background, its progress and hand-over.

Each build waits on a gate the test opens, so "still building" is observed without relying
on how long a build takes.
"""

import logging
import threading
import time

import pytest
from test_tensorrt_builder import api, conv_net  # noqa: F401 (api is a fixture)

from trt_perception.assembly import PipelineConfig  # noqa: E402
from trt_perception.core.backend import BackendError  # noqa: E402
from trt_perception.engine_builds import BuildTarget, EngineBuild, start_pipeline  # noqa: E402
from trt_perception.tensorrt import tensorrt_unavailable_reason  # noqa: E402
from trt_perception.tensorrt.cache import resolve_engine  # noqa: E402

LOG = logging.getLogger('test_engine_builds')


def wait_until(predicate, timeout=600.0):
    """Poll `predicate` until true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.05)


def gated(build, gate):
    def run():
        assert gate.wait(600)
        return build()
    return run


def test_a_real_build_runs_in_the_background_and_is_handed_over(api, rng, tmp_path,  # noqa: F811
                                                                caplog):
    model = conv_net(tmp_path / 'net.onnx', rng)
    cache = str(tmp_path / 'engines')
    gate = threading.Event()
    caplog.set_level(logging.INFO, LOG.name)
    build = EngineBuild(gated(lambda: resolve_engine(model, api, 'cpu-build', '8.6',
                                                     precision='fp32', cache_dir=cache, log=LOG),
                              gate),
                        BuildTarget('net', 'fp32', cache), LOG)
    assert build.state == 'building' and build.take() is None
    info = build.status().values()
    assert (info['engine_build'], info['engine_build_model'], info['engine_build_cache']) == (
        'building', 'net', cache)
    assert 'in the background, cached in %s' % cache in caplog.text
    gate.set()
    wait_until(lambda: build.state != 'building')
    assert build.state == 'ready', build.error
    engine = build.take()
    assert engine is not None and engine.plan and engine.source.startswith(cache)
    assert build.take() is None and build.state == 'in use'
    assert float(build.status().values()['engine_build_seconds']) >= 0


def test_a_failed_build_says_why_and_hands_nothing_over(caplog):
    def fail():
        raise BackendError('ONNX parser: node stem_conv: unsupported')
    build = EngineBuild(fail, BuildTarget('net', 'fp16', '/cache'), LOG)
    wait_until(lambda: build.state != 'building')
    assert build.state == 'failed' and build.take() is None
    assert build.error == 'BackendError: ONNX parser: node stem_conv: unsupported'
    assert build.status().values()['engine_build_error'] == build.error
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and 'still serving with ONNX Runtime' in errors[0].getMessage()


def test_a_result_arriving_after_close_is_released():
    gate, released = threading.Event(), []
    build = EngineBuild(gated(lambda: 'engine', gate), BuildTarget('net', 'fp16', '/c'), LOG,
                        close=released.append)
    build.close()
    gate.set()
    wait_until(lambda: released)
    assert released == ['engine'] and build.take() is None


@pytest.mark.skipif(tensorrt_unavailable_reason() is None, reason='TensorRT can run here')
def test_without_tensorrt_nothing_builds_and_auto_keeps_its_fallback():
    pipeline, build = start_pipeline(PipelineConfig(backend='auto'), LOG)
    with pipeline:
        assert build is None
        assert pipeline.describe()['backend'] == 'onnxruntime'
        assert 'because TensorRT: ' in pipeline.describe()['fallback']


def test_without_onnxruntime_to_serve_the_engine_is_built_first(monkeypatch, caplog):
    # A native ROS install with JetPack's TensorRT but no onnxruntime: the node must start,
    # building the engine in the foreground rather than failing on the interim pipeline.
    import sys
    from trt_perception.engine_builds import _builds_engine
    from trt_perception.tensorrt.plugin import TENSORRT
    monkeypatch.setattr(TENSORRT, 'unavailable_reason', lambda config: None)
    config = PipelineConfig(backend='auto')
    assert _builds_engine(config, LOG)
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    assert not _builds_engine(config, LOG)
    assert 'ONNX Runtime is not installed' in caplog.text
