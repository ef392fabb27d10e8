# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Assembling pipelines from a PipelineConfig: backend and preprocessor choice, fallbacks."""

import logging

import numpy as np
import pytest
from skimage import data

from test_pipeline import best, bgr, EXPECTED, iou
from trt_perception import assembly
from trt_perception.assembly import (BACKEND_PLUGINS, BACKENDS, choose_backend, create_pipeline,
                                     pipeline_depth, PipelineConfig)
from trt_perception.core.backend import BackendError
from trt_perception.core.backend_plugin import BackendPlugin, TRY
from trt_perception.core.decoders import DetectionParams, YoloV8Decoder
from trt_perception.core.image import RawImage
from trt_perception.core.masks import MaskAssembler
from trt_perception.core.models import find_model
from trt_perception.core.onnxruntime_plugin import ONNXRUNTIME_CPU
from trt_perception.gpu.plugin import ONNXRUNTIME_GPU, onnxruntime_gpu_unavailable_reason
from trt_perception.tensorrt import tensorrt_unavailable_reason
from trt_perception.tensorrt.plugin import TENSORRT
from trt_perception.triton.plugin import TRITON


def test_the_default_config_runs_the_bundled_detector_on_the_cpu():
    with create_pipeline(PipelineConfig(backend='onnxruntime')) as pipe:
        info = pipe.describe()
        result = pipe.detect([RawImage.from_array(bgr('astronaut'), 'bgr8')])
    assert info['backend'] == 'onnxruntime' and info['preprocess'] == 'host'
    assert info['zero_copy_input'] == 'false'
    label, box = EXPECTED['astronaut']
    assert iou(best(result.detections[0], label).box, box) > 0.6


def test_auto_falls_back_to_onnxruntime_and_says_why():
    reason = tensorrt_unavailable_reason()
    if reason is None:
        pytest.skip('TensorRT, pycuda and a GPU are all usable here: no fallback to observe')
    with create_pipeline(PipelineConfig(backend='auto')) as pipe:
        info = pipe.describe()
    assert info['backend'] == 'onnxruntime'
    assert 'TensorRT: ' + reason in info['fallback']
    gpu_reason = onnxruntime_gpu_unavailable_reason('cuda')
    if gpu_reason is None:  # ONNX Runtime's CUDA provider, fed in place by the GPU kernel
        assert info['fallback'].startswith('ONNX Runtime on the GPU because')
        assert (info['preprocess'], info['zero_copy_input']) == ('device', 'true')
        assert info['pipeline_depth'] == '1'  # kernel-by-kernel launches: see assembly
    else:
        assert info['fallback'].startswith('ONNX Runtime on the CPU because')
        assert 'ONNX Runtime CUDA: ' + gpu_reason in info['fallback']
        assert (info['preprocess'], info['pipeline_depth']) == ('host', '1')


def test_forced_onnxruntime_gpu_without_one_fails_clearly():
    reason = onnxruntime_gpu_unavailable_reason('cuda')
    if reason is None:
        pytest.skip('ONNX Runtime can use a GPU here')
    with pytest.raises(BackendError) as info:
        create_pipeline(PipelineConfig(backend='onnxruntime', onnxruntime_provider='cuda'))
    assert reason in str(info.value) and "'cpu'" in str(info.value)


def test_onnxruntime_provider_cpu_stays_on_the_cpu():
    config = PipelineConfig(backend='onnxruntime', onnxruntime_provider='cpu')
    with create_pipeline(config) as pipe:
        info = pipe.describe()
    assert info['device'] == 'CPUExecutionProvider' and 'fallback' not in info


def test_forced_tensorrt_without_tensorrt_fails_clearly():
    reason = tensorrt_unavailable_reason()
    if reason is None:
        pytest.skip('TensorRT, pycuda and a GPU are all usable here')
    with pytest.raises(BackendError) as info:
        create_pipeline(PipelineConfig(backend='tensorrt'))
    assert reason in str(info.value) and 'onnxruntime' in str(info.value)


def test_bad_config_values_are_named():
    with pytest.raises(ValueError, match='backend'):
        PipelineConfig(backend='tensorflow')
    with pytest.raises(ValueError, match='max_batch'):
        PipelineConfig(max_batch=0)
    with pytest.raises(ValueError, match='pipeline_depth'):
        PipelineConfig(pipeline_depth=-1)
    with pytest.raises(ValueError, match='onnxruntime_provider'):
        PipelineConfig(onnxruntime_provider='rocm')


def test_yolov8_random_architecture_runs_for_benchmarks():
    try:
        card = find_model('yolov8n-random')
    except FileNotFoundError:
        pytest.skip('yolov8n-random is built only when torch is installed (scripts/setup.sh)')
    config = PipelineConfig(model=card.path, backend='onnxruntime',
                            params=DetectionParams(conf_threshold=0.01))
    with create_pipeline(config) as pipe:
        assert isinstance(pipe.decoder, YoloV8Decoder)
        assert pipe.backend.outputs[0].shape[1:] == (84, 8400)
        result = pipe.detect([RawImage.from_array(bgr('astronaut'), 'bgr8')])
    assert len(result.detections) == 1


@pytest.mark.gpu
def test_gpu_preprocessing_gives_the_cpu_pipelines_detections():
    import cuda_device  # noqa: F401 (skips without pycuda or a CUDA device)
    try:
        card = find_model('ssdlite_mobilenet_v2_person')
    except FileNotFoundError:
        pytest.skip('ssdlite_mobilenet_v2_person is not prepared here (scripts/setup.sh)')
    frames = [RawImage.from_array(bgr('astronaut'), 'bgr8'),
              RawImage.from_array(data.camera(), 'mono8')]
    results = {}
    for preprocess in ('cpu', 'gpu'):
        config = PipelineConfig(model=card.path, backend='onnxruntime', preprocess=preprocess,
                                max_batch=2)
        with create_pipeline(config) as pipe:
            assert pipe.describe()['preprocess'] == ('host' if preprocess == 'cpu' else 'device')
            results[preprocess] = pipe.detect(frames).detections
    for cpu, gpu in zip(results['cpu'], results['gpu']):
        assert [d.label for d in gpu] == [d.label for d in cpu] and cpu
        np.testing.assert_allclose([d.score for d in gpu], [d.score for d in cpu], atol=0.02)
        np.testing.assert_allclose([d.box for d in gpu], [d.box for d in cpu], atol=2.0)


def test_backends_are_the_plugins_in_the_order_auto_tries_them():
    assert BACKEND_PLUGINS == (TENSORRT, ONNXRUNTIME_GPU, ONNXRUNTIME_CPU, TRITON)
    assert BACKENDS == ('auto', 'onnxruntime', 'tensorrt', 'triton')


def test_auto_records_why_it_passed_over_each_plugin():
    card = find_model('')
    tensorrt = tensorrt_unavailable_reason()
    gpu = onnxruntime_gpu_unavailable_reason('cuda')
    if tensorrt is None or gpu is None:
        pytest.skip('a GPU backend is usable here: nothing is passed over')
    choice = choose_backend(PipelineConfig(), card)
    assert choice.plugin is ONNXRUNTIME_CPU
    assert choice.passed_over == ('TensorRT: ' + tensorrt, 'ONNX Runtime CUDA: ' + gpu)
    assert choice.fallback().startswith('ONNX Runtime on the CPU because TensorRT: ')
    assert choose_backend(PipelineConfig(backend='triton'), card).plugin is TRITON
    cpu = choose_backend(PipelineConfig(onnxruntime_provider='cpu', backend='onnxruntime'), card)
    assert (cpu.plugin, cpu.passed_over) == (ONNXRUNTIME_CPU, ())


def test_a_new_plugin_is_one_list_entry(monkeypatch):
    class Unusable(BackendPlugin):
        backend = 'onnxruntime'
        name = 'Fancy'

        def demand(self, config, card):
            return TRY

        def unavailable_reason(self, config):
            return 'no fancy accelerator'

        def default_depth(self, config):
            return 3

        def create(self, config, card, context, depth, log):
            raise AssertionError('never created: unusable')

    monkeypatch.setattr(assembly, 'BACKEND_PLUGINS', (Unusable(), ONNXRUNTIME_CPU))
    with create_pipeline(PipelineConfig(backend='onnxruntime')) as pipe:
        info = pipe.describe()
    assert info['fallback'] == 'ONNX Runtime on the CPU because Fancy: no fancy accelerator'


def test_pipeline_depth_auto_is_the_plugins_default_and_capped_by_it(caplog):
    log = logging.getLogger('test')
    auto = PipelineConfig()
    assert [pipeline_depth(auto, plugin, log) for plugin in BACKEND_PLUGINS] == [2, 1, 1, 2]
    graphs = PipelineConfig(cuda_graphs=True)
    assert pipeline_depth(graphs, ONNXRUNTIME_GPU, log) == 2
    assert pipeline_depth(PipelineConfig(pipeline_depth=3), TENSORRT, log) == 3
    assert pipeline_depth(PipelineConfig(pipeline_depth=3), ONNXRUNTIME_CPU, log) == 1
    assert 'pipeline_depth 3: ONNX Runtime on the CPU runs at most 1' in caplog.text


def test_labels_come_from_the_model_file_unless_a_label_file_is_given(tmp_path):
    onnx = pytest.importorskip('onnx')
    model = onnx.load(find_model('yolov8n-random').path)
    names = repr({i: 'part%d' % i for i in range(80)})
    for key, value in (('names', names), ('head', 'Detect'), ('task', 'detect')):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    path = str(tmp_path / 'custom.onnx')
    onnx.save(model, path)
    with create_pipeline(PipelineConfig(model=path, backend='onnxruntime')) as pipe:
        assert pipe.decoder.labels[:2] == ['part0', 'part1'] and pipe.decoder.kind == 'yolov8'
    labels = tmp_path / 'mine.txt'
    labels.write_text('\n'.join('mine%d' % i for i in range(80)))
    with create_pipeline(PipelineConfig(model=path, backend='onnxruntime',
                                        labels=str(labels))) as pipe:
        assert pipe.decoder.labels[:2] == ['mine0', 'mine1']


def _astronaut():
    rgb = np.ascontiguousarray(data.astronaut())
    height, width = rgb.shape[:2]
    return RawImage.from_buffer(rgb, width, height, width * 3, 'rgb8')


@pytest.mark.parametrize('yaml, kind', [('yolov8n-seg.yaml', 'segment'),
                                        ('yolo11n-pose.yaml', 'pose')])
def test_an_ultralytics_seg_or_pose_export_needs_no_card(head_export, yaml, kind):
    # As `yolo export model=yolo11n-seg.pt format=onnx` leaves it: the task in the metadata.
    config = PipelineConfig(model=head_export(yaml), backend='onnxruntime',
                            params=DetectionParams(conf_threshold=0.01))
    with create_pipeline(config) as pipe:
        found = pipe.detect([_astronaut()]).detections[0]
    assert pipe.decoder.kind == kind and found
    assert all((d.mask is not None) == (kind == 'segment') for d in found)
    assert all((d.keypoints is not None) == (kind == 'pose') for d in found)
    assert (pipe.decoder.keypoint_layout is not None) == (kind == 'pose')


def test_a_segmentation_export_without_metadata_is_read_by_its_outputs(head_export, tmp_path):
    onnx = pytest.importorskip('onnx')
    model = onnx.load(head_export('yolov8n-seg.yaml'))
    del model.metadata_props[:]
    path = str(tmp_path / 'bare-seg.onnx')
    onnx.save(model, path)
    with create_pipeline(PipelineConfig(model=path, backend='onnxruntime')) as pipe:
        assert pipe.decoder.kind == 'segment' and pipe.decoder.masks


@pytest.mark.parametrize('mask_assembly', ['auto', 'cpu'])
def test_masks_are_assembled_on_the_host_for_a_host_backend(head_export, mask_assembly):
    config = PipelineConfig(model=head_export('yolov8n-seg.yaml'), backend='onnxruntime',
                            onnxruntime_provider='cpu', mask_assembly=mask_assembly)
    with create_pipeline(config) as pipe:
        assert type(pipe.decoder.assembler) is MaskAssembler
