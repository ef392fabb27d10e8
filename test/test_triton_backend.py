# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
TritonBackend against a real tritonserver on 127.0.0.1: results, batching and faults.

The independent reference is the local ONNX Runtime backend on the same bundled model: the
server runs the same ONNX file with ONNX Runtime (Python backend), so detections must be
identical, not merely close.
"""

import importlib.util
import logging
import threading
import time

import numpy as np
import pytest
from skimage import data

import triton_server
from triton_server import (batch_sizes, MODEL, new_server, person_card, SLOW_MODEL,
                           SLOW_SIGNATURE, wait_for)
from trt_perception.assembly import create_pipeline, PipelineConfig
from trt_perception.core.backend import BackendError
from trt_perception.core.decoders import DetectionParams
from trt_perception.core.image import RawImage
from trt_perception.core.models import find_model
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.tools.local_triton import free_ports
from trt_perception.triton.backend import ServerUnavailable, TritonBackend
from trt_perception.triton.retry import RetryPolicy
from trt_perception.triton.settings import expected_signature, TritonSettings

PHOTOS = ('astronaut', 'coffee', 'chelsea', 'immunohistochemistry')
FAST_RETRY = RetryPolicy(initial=0.05, factor=2.0, maximum=0.4)
triton = triton_server.triton
"""The module's tritonserver (a fixture)."""


def photo_frames():
    return [RawImage.from_array(np.ascontiguousarray(getattr(data, name)()), 'rgb8')
            for name in PHOTOS]


def url_of(server, scheme):
    return server.grpc_url if scheme == 'grpc' else server.http_url


@pytest.mark.parametrize('scheme,shared_memory', [
    ('grpc', 'none'), ('grpc', 'system'), ('http', 'none'), ('http', 'system')])
def test_detections_equal_the_local_onnxruntime_backends(triton, scheme, shared_memory):
    params = DetectionParams(conf_threshold=0.05)
    settings = TritonSettings(url=url_of(triton, scheme), shared_memory=shared_memory)
    frames = photo_frames()
    with create_pipeline(PipelineConfig(model=MODEL, backend='onnxruntime', max_batch=4,
                                        params=params)) as local, \
            create_pipeline(PipelineConfig(model=MODEL, backend='triton', max_batch=4,
                                           params=params, triton=settings)) as remote:
        for batch in (frames[:1], frames):
            expected = local.detect(batch).detections
            assert remote.detect(batch).detections == expected
        info = remote.describe()
    assert any(d.label == 'person' and d.score > 0.5 for d in expected[0])
    assert info['backend'] == 'triton' and info['server_state'] == 'ready'
    assert info['shared_memory'] == shared_memory


def test_a_served_model_that_does_not_fit_the_local_model_is_refused(triton):
    other = expected_signature(find_model('ssd_mobilenet_v2_coco'), 1)
    with pytest.raises(BackendError) as error:
        TritonBackend(triton.grpc_url, MODEL, other)
    assert ('output output0[N,1917,85]:float32 is served as output0[N,1917,6]:float32'
            in str(error.value))


def test_a_max_batch_beyond_the_served_max_batch_size_is_refused(triton):
    with pytest.raises(BackendError, match='batches of up to 16 are needed .max_batch. but '
                                           'the model takes at most 8'):
        TritonBackend(triton.grpc_url, MODEL, expected_signature(person_card(), 16),
                      max_batch=16)


def test_a_model_that_is_not_ready_is_retried_with_growing_waits(triton):
    backend = TritonBackend(triton.grpc_url, 'absent', SLOW_SIGNATURE,
                            retry=RetryPolicy(initial=0.05, factor=2.0, maximum=0.2))
    with backend:
        assert not backend.ready
        assert "model 'absent' on %s is not ready" % triton.grpc_url \
            in backend.describe()['server_state']
        batch = np.zeros((1, 4), np.float32)
        for retry, wait in ((2, 0.1), (3, 0.2), (4, 0.2)):
            with pytest.raises(ServerUnavailable) as error:
                backend.infer(batch)
            assert str(error.value).endswith('retry %d in %.1f s' % (retry, wait))


@pytest.mark.parametrize('scheme', ['grpc', 'http'])
def test_a_request_over_the_timeout_fails_with_the_reason(triton, scheme):
    with TritonBackend(url_of(triton, scheme), SLOW_MODEL, SLOW_SIGNATURE, timeout=0.5,
                       max_batch=1, retry=FAST_RETRY) as backend:
        assert backend.ready
        with pytest.raises(ServerUnavailable) as error:
            backend.infer(np.zeros((1, 4), np.float32))
        assert 'request to model %r on %s failed' % (SLOW_MODEL, url_of(triton, scheme)) \
            in str(error.value)
        assert not backend.ready


def test_concurrent_cameras_are_batched_by_the_server(triton):
    before = batch_sizes(triton.grpc_url)
    expected = expected_signature(person_card(), 1)
    batch = np.zeros((1, 3, 300, 300), np.float32)
    backends = [TritonBackend(triton.grpc_url, MODEL, expected) for _ in range(4)]
    failures = []

    def camera(backend):
        try:
            for _ in range(10):
                backend.infer(batch)
        except Exception as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=camera, args=(b,)) for b in backends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for backend in backends:
        backend.close()
    assert failures == []
    after = batch_sizes(triton.grpc_url)
    executions = {size: after[size] - before.get(size, 0) for size in after}
    assert sum(size * count for size, count in executions.items()) == 40
    assert sum(count for size, count in executions.items() if size > 1) > 0, executions


def infer_or_none(backend, batch):
    """Return the outputs of `batch`, or None while the server is unavailable."""
    try:
        return backend.infer(batch)
    except ServerUnavailable:
        return None


def test_down_at_start_then_killed_and_restarted_mid_stream(tmp_path):
    server = new_server(tmp_path)
    card = person_card()
    batch = np.random.default_rng(3).uniform(-1, 1, (2, 3, 300, 300)).astype(np.float32)
    with OnnxRuntimeBackend(card.path, max_batch=2) as local:
        reference = local.infer(batch)['output0']
    backend = TritonBackend(server.grpc_url, MODEL, expected_signature(card, 2), max_batch=2,
                            shared_memory='system', retry=FAST_RETRY)
    try:
        assert not backend.ready
        assert 'unreachable' in backend.describe()['server_state']
        with pytest.raises(ServerUnavailable, match='unreachable'):
            backend.infer(batch)
        server.start()
        outputs = wait_for(lambda: infer_or_none(backend, batch), what='the first result')
        np.testing.assert_array_equal(outputs['output0'], reference)
        server.kill()
        with pytest.raises(ServerUnavailable, match='request to .* failed'):
            backend.infer(batch)
        server.start()
        outputs = wait_for(lambda: infer_or_none(backend, batch), what='a result after the '
                           'restart')
        # The restarted server forgot the shared-memory regions: they were registered again.
        np.testing.assert_array_equal(outputs['output0'], reference)
        assert backend.describe()['reconnects'] == '2'
    finally:
        backend.close()
        server.stop()


@pytest.mark.parametrize('scheme', ['grpc', 'http'])
def test_a_backend_made_on_one_thread_runs_on_another(triton, scheme):
    # As in the node: the pipeline is built on the main thread and run on the worker.
    batch = np.zeros((1, 3, 300, 300), np.float32)
    results = []
    with TritonBackend(url_of(triton, scheme), MODEL,
                       expected_signature(person_card(), 1)) as backend:
        worker = threading.Thread(target=lambda: results.append(backend.infer(batch)))
        worker.start()
        worker.join()
    assert [r['output0'].shape for r in results] == [(1, 1917, 6)]


@pytest.mark.parametrize('scheme', ['grpc', 'http'])
def test_closing_with_the_server_gone_releases_the_shared_memory(scheme):
    port = free_ports(1)[0]  # nothing listens there
    backend = TritonBackend('%s://127.0.0.1:%d' % (scheme, port), MODEL,
                            expected_signature(person_card(), 1), shared_memory='system')
    assert not backend.ready
    backend.close()
    backend.close()


@pytest.mark.parametrize('scheme,shared_memory', [
    ('grpc', 'none'), ('grpc', 'system'), ('http', 'none'), ('http', 'system')])
def test_batches_in_flight_complete_in_order_with_the_local_detections(triton, scheme,
                                                                       shared_memory):
    # The pipeline keeps pipeline_depth requests on the server at once (auto: 2 for Triton),
    # each in its own slot of regions: submitting the next batch must not overwrite the one
    # still on the server.
    params = DetectionParams(conf_threshold=0.05)
    frames = photo_frames()
    settings = TritonSettings(url=url_of(triton, scheme), shared_memory=shared_memory)
    with create_pipeline(PipelineConfig(model=MODEL, backend='onnxruntime', max_batch=2,
                                        params=params)) as local, \
            create_pipeline(PipelineConfig(model=MODEL, backend='triton', max_batch=2,
                                           params=params, triton=settings)) as remote:
        assert remote.depth == 2 and remote.describe()['pipeline_depth'] == '2'
        batches = [frames[:2], frames[2:], frames[1:3], frames[:1]]
        expected = [local.detect(batch).detections for batch in batches]
        submitted = [remote.submit(batches[0]), remote.submit(batches[1])]
        assert remote.in_flight == 2
        assert remote.backend.describe()['requests_in_flight'] == '2'
        with pytest.raises(RuntimeError, match='already in flight'):
            remote.submit(batches[2])
        got = [remote.complete(submitted.pop(0))]
        submitted.append(remote.submit(batches[2]))
        got.append(remote.complete(submitted.pop(0)))
        submitted.append(remote.submit(batches[3]))
        got += [remote.complete(s) for s in submitted]
    assert [g.detections for g in got] == expected


def test_two_requests_of_one_backend_are_on_the_server_at_once(tmp_path):
    # With a long queue delay the server's dynamic batcher waits for more requests, so the
    # two requests one backend sends back to back run as one execution of batch 2: they
    # were both on the server before either was answered.
    server = new_server(tmp_path, max_queue_delay_us=400000)
    batch = np.zeros((1, 3, 300, 300), np.float32)
    with server, TritonBackend(server.grpc_url, MODEL, expected_signature(person_card(), 1),
                               slots=2, timeout=5.0) as backend:
        before = batch_sizes(server.grpc_url)
        backend.send(batch, 0)
        backend.send(batch, 1)
        outputs = [backend.collect(0), backend.collect(1)]
        after = batch_sizes(server.grpc_url)
    assert [o['output0'].shape for o in outputs] == [(1, 1917, 6)] * 2
    assert {size: after[size] - before.get(size, 0) for size in after} == {2: 1}


def test_the_slots_of_a_request_backend_are_checked(triton):
    batch = np.zeros((1, 3, 300, 300), np.float32)
    with TritonBackend(triton.grpc_url, MODEL, expected_signature(person_card(), 1),
                       slots=2) as backend:
        with pytest.raises(BackendError, match='slot 2 is outside 0..1'):
            backend.send(batch, 2)
        with pytest.raises(BackendError, match='no request sent in that slot'):
            backend.collect(1)
        backend.send(batch, 1)
        with pytest.raises(BackendError, match='slot 1 still holds a request'):
            backend.send(batch, 1)
        assert backend.collect(1)['output0'].shape == (1, 1917, 6)


@pytest.mark.parametrize('scheme', ['grpc', 'http'])
def test_requests_in_flight_when_the_server_dies_fail_and_count_once(tmp_path, scheme):
    server = new_server(tmp_path)
    server.start()
    batch = np.zeros((1, 4), np.float32)
    backend = TritonBackend(url_of(server, scheme), SLOW_MODEL, SLOW_SIGNATURE, slots=2,
                            timeout=10.0, retry=FAST_RETRY)
    try:
        assert backend.ready
        backend.send(batch, 0)
        backend.send(batch, 1)  # both wait on the slow model when the server dies
        time.sleep(0.5)
        server.kill()
        errors = []
        for slot in (0, 1):
            with pytest.raises(ServerUnavailable) as error:
                backend.collect(slot)
            errors.append(str(error.value))
        assert not backend.ready
        # The first failure starts the backoff; the second is the same outage, not another.
        assert errors[0].endswith('reconnecting in 0.1 s'), errors
        assert errors[1].endswith('; reconnecting'), errors
        assert backend.describe()['requests_in_flight'] == '0'
        with pytest.raises(ServerUnavailable, match='unreachable.*retry 2 in 0.1 s'):
            backend.send(batch, 0)
    finally:
        backend.close()
        server.stop()


@pytest.mark.skipif(importlib.util.find_spec('pycuda') is not None,
                    reason='pycuda is installed: test_triton_cuda.py runs CUDA shared memory')
def test_cuda_shared_memory_without_a_gpu_says_what_to_use_instead(triton):
    settings = TritonSettings(url=triton.grpc_url, shared_memory='cuda')
    with pytest.raises(BackendError, match="triton shared_memory 'cuda' needs pycuda and a "
                                           "CUDA GPU on this host .*set it to 'system'"):
        create_pipeline(PipelineConfig(model=MODEL, backend='triton', triton=settings))


def test_closing_with_a_request_in_flight_logs_no_error_from_the_grpc_callback(triton, caplog):
    # The closed channel cancels the request; its callback then finds the backend's future
    # cancelled and must leave it alone (setting it raised InvalidStateError, which gRPC
    # logged as an ERROR from its callback thread).
    backend = TritonBackend(triton.grpc_url, SLOW_MODEL, SLOW_SIGNATURE, slots=1, timeout=10.0)
    backend.send(np.zeros((1, 4), np.float32), 0)
    with caplog.at_level(logging.WARNING):
        backend.close()
        time.sleep(0.5)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
