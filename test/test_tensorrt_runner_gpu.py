# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
TensorRTBackend's buffers, stream, events and batch handling on a real GPU.

The engine and execution context are `fake_tensorrt` doubles handed in through the
`TensorRTApi` seam: they launch a pycuda kernel on the runner's stream that reads the bound
input address and writes every bound output, so these tests prove addresses, shapes, dynamic
batch, stream ordering and the GPU preprocessor writing into the engine input -- never that
TensorRT itself works (it cannot run here).
"""

import hashlib
import json

from cuda_device import cuda  # first: skips this module without pycuda or a CUDA device
from fake_tensorrt import fake_plan, make_fake_tensorrt, reference
import numpy as np
import pytest

from trt_perception.core.backend import BackendError
from trt_perception.gpu.context import CudaContext
from trt_perception.tensorrt.api import TensorRTApi
from trt_perception.tensorrt.backend import TensorRTBackend
from trt_perception.tensorrt.cache import EngineCache, EngineKey, resolve_engine

pytestmark = pytest.mark.gpu

H, W = 24, 20
SPIN_KERNEL = r"""
extern "C" __global__ void slow_fill(float* out, const float* src, int count,
                                     long long cycles)
{
    long long start = clock64();
    while (clock64() - start < cycles) { }
    for (int i = threadIdx.x; i < count; i += blockDim.x) out[i] = src[i];
}
"""


@pytest.fixture(scope='module')
def context():
    ctx = CudaContext(0)
    yield ctx
    ctx.close()


def open_backend(context, io_api='named', max_batch=4, slots=1, **plan_args):
    fake = make_fake_tensorrt(io_api)
    api = TensorRTApi.from_module(fake, 'tensorrt')
    plan_args.setdefault('profiles', slots)  # one optimization profile per slot, as built
    backend = TensorRTBackend(fake_plan(H, W, **plan_args), max_batch=max_batch, api=api,
                              context=context, source='fake.plan', slots=slots)
    fake.streams[backend.stream.handle] = backend.stream
    return fake, backend


def check(outputs, batch):
    expected = reference(batch)
    assert set(outputs) == set(expected)
    for name, want in expected.items():
        assert outputs[name].shape == want.shape, name
        np.testing.assert_allclose(outputs[name], want, rtol=1e-5, atol=1e-3, err_msg=name)


@pytest.mark.parametrize('io_api', ['named', 'bindings'])
def test_host_batches_of_every_size_then_back(context, rng, io_api):
    with context.activated():
        fake, backend = open_backend(context, io_api)
        with backend:
            assert backend.input.shape == (None, 3, H, W)
            assert [o.name for o in backend.outputs] == ['sums', 'corners']
            for n in [1, 2, 3, 4, 2, 4, 1]:
                batch = rng.standard_normal((n, 3, H, W)).astype(np.float32)
                check(backend.infer(batch), batch)
                assert set(backend.last_gpu_times) == {'upload', 'inference', 'download'}
                assert all(v >= 0 for v in backend.last_gpu_times.values())


@pytest.mark.parametrize('io_api', ['named', 'bindings'])
def test_device_input_then_infer_device_on_the_same_stream(context, rng, io_api):
    with context.activated():
        fake, backend = open_backend(context, io_api)
        with backend:
            for n in [3, 1, 4]:
                batch = rng.standard_normal((n, 3, H, W)).astype(np.float32)
                pinned = cuda.pagelocked_empty(batch.shape, np.float32)
                pinned[...] = batch
                target = backend.device_input(n)
                cuda.memcpy_htod_async(target, pinned, backend.stream)
                check(backend.infer_device(n), batch)
                assert set(backend.last_gpu_times) == {'preprocess', 'inference', 'download'}


def test_no_host_wait_between_preprocess_and_enqueue(context, rng):
    """A slow kernel still running at enqueue time proves no sync; right results prove order."""
    from pycuda.compiler import SourceModule

    with context.activated():
        fake, backend = open_backend(context)
        slow = SourceModule(SPIN_KERNEL, no_extern_c=True).get_function('slow_fill')
        done = cuda.Event()
        seen = []
        fake.enqueue_observers.append(lambda: seen.append(done.query()))
        with backend:
            batch = rng.standard_normal((2, 3, H, W)).astype(np.float32)
            source = cuda.to_device(batch)
            target = backend.device_input(2)
            # About 0.1 s of spinning at GPU clock rates before the input is written.
            slow(np.uintp(target), source, np.int32(batch.size), np.int64(2 * 10 ** 8),
                 block=(256, 1, 1), grid=(1, 1), stream=backend.stream)
            done.record(backend.stream)
            outputs = backend.infer_device(2)
            assert seen == [False], 'the runner waited for preprocessing before enqueueing'
            check(outputs, batch)
            source.free()


def test_fixed_batch_engine_runs_whole_batch_and_returns_the_first_images(context, rng):
    with context.activated():
        fake, backend = open_backend(context, max_batch=4, batch=4, profile=(4, 4, 4))
        with backend:
            assert backend.max_batch == 4 and backend.input.shape[0] == 4
            batch = rng.standard_normal((2, 3, H, W)).astype(np.float32)
            outputs = backend.infer(batch)
            check(outputs, batch)


def test_batches_outside_the_profile_are_refused(context):
    with context.activated():
        with pytest.raises(BackendError, match='accepts batches of 1..4, not max_batch=5'):
            open_backend(context, max_batch=5)
        fake, backend = open_backend(context, max_batch=3)
        with backend:
            with pytest.raises(BackendError, match='outside 1..3'):
                backend.device_input(4)
            with pytest.raises(BackendError, match='does not match input'):
                backend.infer(np.zeros((1, 3, H + 1, W), np.float32))


def test_foreign_plan_is_refused_with_a_rebuild_hint(context):
    with context.activated():
        api = TensorRTApi.from_module(make_fake_tensorrt(), 'tensorrt')
        with pytest.raises(BackendError, match='build_engine --onnx'):
            TensorRTBackend(b'\x00not a plan', api=api, context=context, source='x.plan')


def resolved_backend(path, context, api, **options):
    """Resolve the plan, then hand it to the runner, as the pipeline assembly does."""
    cc = '%d.%d' % context.compute_capability
    engine = resolve_engine(path, api, context.name, cc, **options)
    return TensorRTBackend(engine.plan, max_batch=options.get('max_batch', 1), api=api,
                           source=engine.source, precision=engine.precision, context=context)


def test_resolved_engine_file_and_cached_onnx_entry_run(context, rng, tmp_path):
    with context.activated():
        fake = make_fake_tensorrt()
        api = TensorRTApi.from_module(fake, 'tensorrt')
        engine = tmp_path / 'model.plan'
        engine.write_bytes(fake_plan(H, W))
        backend = resolved_backend(str(engine), context, api, max_batch=2)
        with backend:
            fake.streams[backend.stream.handle] = backend.stream
            batch = rng.standard_normal((2, 3, H, W)).astype(np.float32)
            check(backend.infer(batch), batch)
        onnx = tmp_path / 'model.onnx'
        onnx.write_bytes(b'an onnx model the fake never parses')
        key = EngineKey('model', hashlib.sha256(onnx.read_bytes()).hexdigest(), api.label,
                        context.name, '%d.%d' % context.compute_capability, 'fp16', 1, 3, 3)
        cache = EngineCache(str(tmp_path / 'engines'))
        cache.store(key, fake_plan(H, W), {'built_precision': 'fp16'})
        backend = resolved_backend(str(onnx), context, api, cache_dir=cache.directory,
                                   precision='fp16', max_batch=3)
        with backend:
            fake.streams[backend.stream.handle] = backend.stream
            batch = rng.standard_normal((3, 3, H, W)).astype(np.float32)
            check(backend.infer(batch), batch)
            info = backend.describe()
            assert info['precision'] == 'fp16' and context.name in info['device']
            assert info['model'] == cache.paths(key)[0]
        metadata = json.loads(open(cache.paths(key)[1]).read())
        assert metadata['key']['gpu_name'] == context.name


def test_cuda_preprocessor_writes_into_the_engine_input(context, rng):
    from trt_perception.core.image import RawImage
    from trt_perception.core.preprocess import CpuPreprocessor, PreprocessSpec
    from trt_perception.gpu.preprocess import CudaPreprocessor

    spec = PreprocessSpec(width=W, height=H)
    frames = [RawImage.from_array(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), 'bgr8')
              for h, w in [(48, 64), (31, 17), (24, 20)]]
    cpu = CpuPreprocessor(spec)
    expected = cpu.allocate_batch(len(frames))
    for slot, frame in enumerate(frames):
        cpu.run_host(frame, expected, slot)
    with context.activated():
        fake, backend = open_backend(context)
        with backend:
            gpu = CudaPreprocessor(spec, context, max_batch=backend.max_batch,
                                   stream=backend.stream)
            with gpu:
                target = backend.device_input(len(frames))
                for slot, frame in enumerate(frames):
                    gpu.run_device(frame, target, slot)
                outputs = backend.infer_device(len(frames))
    want = reference(expected)
    # CPU and GPU preprocessing agree to about one pixel level (see test_gpu_preprocess.py);
    # sums over H*W pixels may therefore differ by H*W/255.
    np.testing.assert_allclose(outputs['sums'], want['sums'], atol=H * W / 255.0)
    np.testing.assert_allclose(outputs['corners'], want['corners'], atol=2 / 255.0)


def test_close_is_idempotent_and_frees_buffers(context):
    with context.activated():
        free_before = cuda.mem_get_info()[0]
        fake, backend = open_backend(context, max_batch=4)
        backend.close()
        backend.close()
        assert cuda.mem_get_info()[0] >= free_before - (1 << 20)


@pytest.mark.parametrize('io_api', ['named', 'bindings'])
def test_slots_keep_batches_in_flight_apart(context, rng, io_api):
    with context.activated():
        fake, backend = open_backend(context, io_api, slots=3)
        with backend:
            assert backend.slots == 3 and backend.describe()['slots'] == '3'
            batches = [rng.standard_normal((n, 3, H, W)).astype(np.float32) for n in (2, 4, 1)]
            for slot, batch in enumerate(batches):
                backend.upload(batch, slot)
                backend.enqueue(batch.shape[0], slot)
            with pytest.raises(BackendError, match='collect'):
                backend.device_input(1, 0)
            for slot in (1, 0, 2):  # any order: each slot has its own buffers and events
                check(backend.collect(slot), batches[slot])
            with pytest.raises(BackendError, match='nothing enqueued'):
                backend.collect(0)
            with pytest.raises(BackendError, match='before its input was written'):
                backend.enqueue(1, 0)
            with pytest.raises(BackendError, match='outside 0..2'):
                backend.device_input(1, 3)


@pytest.mark.parametrize('io_api', ['named', 'bindings'])
def test_an_engine_with_one_profile_runs_one_slot_and_says_how_to_get_two(context, rng, io_api,
                                                                          caplog):
    # The strict fake refuses a second context on a taken profile, as TensorRT 8 does; the
    # backend runs one batch at a time instead, and says how to rebuild for two.
    with context.activated():
        fake, backend = open_backend(context, io_api, slots=2, profiles=1)
        with backend:
            assert backend.slots == 1
            batch = rng.standard_normal((2, 3, H, W)).astype(np.float32)
            check(backend.infer(batch), batch)
    assert 'build_engine --slots 2' in caplog.text
