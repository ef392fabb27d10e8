# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Triton with CUDA shared memory, on a real GPU with a real tritonserver on the same host.

The input of each slot is a device allocation shared with the server by a CUDA IPC handle;
the server's model (Python backend, ONNX Runtime on the CPU inside the server) reads it
there.  The reference is the local ONNX Runtime backend: with CPU preprocessing uploaded into
the region the detections must be identical; with GPU preprocessing writing the region in
place, equal within the GPU preprocessing tests' tolerance.  Needs pycuda and a CUDA device
(else skipped, as on CI), then tritonclient and the nvidia-pytriton wheel.
"""

import cuda_device  # noqa: F401 (first: skips this module without pycuda or a CUDA device)
import numpy as np
import pytest

from test_pipeline import assert_same
from test_triton_backend import infer_or_none, photo_frames
import triton_server
from triton_server import MODEL, person_card
from trt_perception.assembly import create_pipeline, PipelineConfig
from trt_perception.core.decoders import DetectionParams
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.gpu.context import CudaContext
from trt_perception.triton.device import TritonDeviceBackend
from trt_perception.triton.settings import expected_signature, TritonSettings

pytestmark = pytest.mark.gpu
triton = triton_server.triton
PARAMS = DetectionParams(conf_threshold=0.05)


def _pipelines(server, preprocess):
    settings = TritonSettings(url=server.grpc_url, shared_memory='cuda', timeout=10.0)
    local = create_pipeline(PipelineConfig(model=MODEL, backend='onnxruntime',
                                           onnxruntime_provider='cpu', max_batch=2,
                                           params=PARAMS))
    remote = create_pipeline(PipelineConfig(model=MODEL, backend='triton', max_batch=2,
                                            preprocess=preprocess, params=PARAMS,
                                            triton=settings))
    return local, remote


def test_uploaded_input_gives_the_local_backends_detections_exactly(triton):
    frames = photo_frames()
    local, remote = _pipelines(triton, 'cpu')
    with local, remote:
        info = remote.describe()
        assert (info['shared_memory'], info['preprocess'], info['zero_copy_input'],
                info['pipeline_depth']) == ('cuda', 'host', 'false', '2')
        for batch in (frames[:2], frames[2:], frames[:1]):
            assert remote.detect(batch).detections == local.detect(batch).detections


def test_gpu_preprocessing_writes_the_servers_input_in_place(triton):
    frames = photo_frames()
    local, remote = _pipelines(triton, 'auto')
    with local, remote:
        info = remote.describe()
        assert (info['shared_memory'], info['zero_copy_input']) == ('cuda', 'true')
        assert info['preprocess'] == 'device'
        batches = [frames[:2], frames[2:], frames[1:3]]
        expected = [local.detect(batch).detections for batch in batches]
        # Two batches in flight, each in its own shared region.
        first, second = remote.submit(batches[0]), remote.submit(batches[1])
        got = [remote.complete(first)]
        third = remote.submit(batches[2])
        got += [remote.complete(second), remote.complete(third)]
    # Per image over all batches: some photos have no person in them.
    assert_same([d for g in got for d in g.detections], [d for e in expected for d in e])


def test_a_restarted_server_gets_the_cuda_regions_registered_again(tmp_path):
    card = person_card()
    batch = np.random.default_rng(5).uniform(-1, 1, (2, 3, 300, 300)).astype(np.float32)
    with OnnxRuntimeBackend(card.path, max_batch=2) as local:
        reference = local.infer(batch)['output0']
    server = triton_server.new_server(tmp_path)
    server.start()
    context = CudaContext(0)
    try:
        with context.activated():
            backend = TritonDeviceBackend(server.grpc_url, MODEL, expected_signature(card, 2),
                                          context, max_batch=2, slots=2, timeout=10.0)
            with backend:
                np.testing.assert_array_equal(backend.infer(batch)['output0'], reference)
                server.kill()
                server.start()
                outputs = triton_server.wait_for(lambda: infer_or_none(backend, batch),
                                                 what='a result after the restart')
                np.testing.assert_array_equal(outputs['output0'], reference)
                assert backend.describe()['reconnects'] == '1'
    finally:
        server.stop()
        context.close()
