# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
GPU mask assembly (gpu/masks.py, masks.cu) against the CPU assembler: IoU >= 0.99 per mask.

On random smooth prototypes for several letterboxes (every upsampling factor) and on a seeded
YOLOv8n-seg network's real outputs for real photos, uploaded to the GPU as an engine would
leave them.  Needs a CUDA device and nvcc; skipped here otherwise.
"""

from cuda_device import cuda  # first: skips this module without pycuda or a CUDA device
import numpy as np
import pytest
from scipy import ndimage

from trt_perception.core.decoders import DetectionParams
from trt_perception.core.head_decoders import SegmentationDecoder
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.masks import full_mask, MaskAssembler
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.gpu.context import CudaContext
from trt_perception.gpu.masks import CudaMaskAssembler, DeviceTensor

pytestmark = pytest.mark.gpu


@pytest.fixture(scope='module')
def context():
    with CudaContext(0) as ctx:
        yield ctx


def _iou(a, b):
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def _compare(context, protos, coefficients, boxes, letterbox, capacity=64):
    """Assemble on both, check windows are equal and every mask's IoU >= 0.99."""
    cpu = MaskAssembler().assemble(protos, coefficients, boxes, letterbox)
    with context.activated():
        device = cuda.mem_alloc(protos.nbytes)
        cuda.memcpy_htod(device, np.ascontiguousarray(protos))
    try:
        with CudaMaskAssembler(context, protos.shape, protos.dtype, capacity) as assembler:
            gpu = assembler.assemble(DeviceTensor(int(device), protos.shape, protos.dtype),
                                     coefficients, boxes, letterbox)
    finally:
        with context.activated():
            device.free()
    assert len(gpu) == len(cpu)
    for ours, reference in zip(gpu, cpu):
        assert (ours.x0, ours.y0, ours.data.shape) == (reference.x0, reference.y0,
                                                       reference.data.shape)
        width, height = letterbox.src_width, letterbox.src_height
        assert _iou(full_mask(ours, width, height), full_mask(reference, width, height)) >= 0.99


@pytest.mark.parametrize('capacity', [64, 6])
@pytest.mark.parametrize('dtype', [np.float32, np.float16])
@pytest.mark.parametrize('src, network, proto', [
    ((637, 411), (320, 256), (80, 64)), ((640, 480), (320, 320), (80, 80)),
    ((1280, 648), (640, 640), (160, 160)), ((1920, 1080), (640, 640), (160, 160))])
def test_gpu_equals_cpu_on_random_prototypes(context, dtype, src, network, proto, capacity):
    # capacity 6: the 20 masks take four turns through the assembler's buffers.
    rng = np.random.default_rng(3)
    letterbox = Letterbox.fit(src[0], src[1], *network)
    raw = rng.normal(size=(32, proto[1], proto[0]))
    protos = (ndimage.gaussian_filter(raw, sigma=(0, 2, 2)) * 4).astype(dtype)
    coefficients = rng.normal(size=(20, 32)).astype(np.float32)
    corners = rng.uniform(0, 1, size=(20, 4)) * np.array([src[0], src[1]] * 2)
    boxes = np.concatenate([np.minimum(corners[:, :2], corners[:, 2:]),
                            np.maximum(corners[:, :2], corners[:, 2:])], axis=1)
    boxes[0] = [0, 0, src[0], src[1]]
    boxes[1] = [5, 5, 5, 9]  # empty window
    _compare(context, protos, coefficients, boxes, letterbox, capacity)


class _Recorder(MaskAssembler):
    """The CPU assembler, keeping what the decoder asked it for."""

    def __init__(self):
        self.calls = []

    def assemble(self, protos, coefficients, boxes, letterbox):
        self.calls.append((np.array(protos), np.array(coefficients), np.array(boxes), letterbox))
        return super().assemble(protos, coefficients, boxes, letterbox)


def test_gpu_equals_cpu_on_a_segmentation_network(context, tmp_path):
    heads = pytest.importorskip('ultralytics_heads')
    from test_head_decoders import _run

    path = heads.export('yolov8n-seg.yaml', str(tmp_path))
    recorder = _Recorder()
    with OnnxRuntimeBackend(path) as backend:
        output, protos = sorted(backend.outputs, key=lambda spec: len(spec.shape))
        decoder = SegmentationDecoder(['c%d' % i for i in range(80)], output, protos,
                                      assembler=recorder)
        for photo in heads.PHOTOS:
            _, _, letterbox, outputs = _run(backend, photo)
            decoder.decode(outputs, [letterbox], DetectionParams(0.2, 0.7, 64))
    assert len(recorder.calls) == len(heads.PHOTOS)
    for call in recorder.calls:
        _compare(context, *call)


def test_wrong_prototypes_are_refused(context):
    with CudaMaskAssembler(context, (32, 80, 80), np.float32, 4) as assembler:
        with pytest.raises(ValueError, match='DeviceTensor \\(32, 80, 80\\)'):
            assembler.assemble(np.zeros((32, 80, 80), np.float32), np.zeros((1, 32)),
                               np.zeros((1, 4)), Letterbox.fit(320, 320, 320, 320))


def test_a_gpu_backend_assembles_the_masks_where_the_prototypes_are(head_export):
    # The pipeline the node runs: ONNX Runtime CUDA (or TensorRT) keeps the prototypes on the
    # device and the decoder's assembler is the GPU one; its masks equal the CPU pipeline's.
    from trt_perception.assembly import create_pipeline, PipelineConfig
    from trt_perception.core.image import RawImage
    from ultralytics_heads import photo, PHOTOS

    path = head_export('yolov8n-seg.yaml')
    params = DetectionParams(conf_threshold=0.05)
    with create_pipeline(PipelineConfig(model=path, backend='onnxruntime',
                                        onnxruntime_provider='cpu', params=params)) as cpu, \
            create_pipeline(PipelineConfig(model=path, precision='fp32', params=params)) as gpu:
        assert isinstance(gpu.decoder.assembler, CudaMaskAssembler)
        for name in PHOTOS:
            rgb = photo(name)
            image = RawImage.from_array(np.ascontiguousarray(rgb), 'rgb8')
            ours = gpu.detect([image]).detections[0]
            reference = cpu.detect([image]).detections[0]
            height, width = rgb.shape[:2]
            pairs = [(a, b) for a, b in zip(ours, reference)
                     if np.allclose(a.box, b.box, atol=1.0)]
            assert len(pairs) >= 0.9 * len(reference)
            for a, b in pairs:
                assert _iou(full_mask(a.mask, width, height),
                            full_mask(b.mask, width, height)) >= 0.99
