# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Segmentation and pose decoders against Ultralytics' predictor on the same ONNX outputs.

Seeded networks from Ultralytics' YAML are exported to ONNX here (test/ultralytics_heads.py),
run with ONNX Runtime on real photos through our CPU preprocessing, and decoded both by our
decoders and by Ultralytics' predictor's postprocessing: the same detections, every mask with
IoU >= 0.99, every keypoint within 1 px.
"""

import numpy as np
import pytest

from trt_perception.core.backend import TensorSpec
from trt_perception.core.decoders import DetectionParams, YoloV8Decoder
from trt_perception.core.head_decoders import (head_decoder, model_decoder, PoseDecoder,
                                               SegmentationDecoder)
from trt_perception.core.image import RawImage
from trt_perception.core.keypoints import COCO_SKELETON, KeypointLayout
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.masks import full_mask
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.core.preprocess import CpuPreprocessor, PreprocessSpec

pytest.importorskip('ultralytics')
import ultralytics_heads as heads  # noqa: E402 (after the skip)

IOU, MAX_DET = 0.7, 300
"""Ultralytics' predictor defaults."""
CANDIDATES = 60
"""The confidence threshold of each photo lets about this many anchors through to NMS."""

NETWORKS = {'yolov8n-seg': 'segment', 'yolo11n-seg': 'segment', 'yolo26n-seg': 'segment',
            'yolov8n-pose': 'pose', 'yolo11n-pose': 'pose', 'yolo26n-pose': 'pose'}


@pytest.fixture(scope='module', params=sorted(NETWORKS))
def network(request, tmp_path_factory):
    path = heads.export(request.param + '.yaml', str(tmp_path_factory.mktemp(request.param)))
    backend = OnnxRuntimeBackend(path)
    yield NETWORKS[request.param], path, heads.metadata(path), backend
    backend.close()


def _run(backend, photo):
    rgb = heads.photo(photo)
    height, width = rgb.shape[:2]
    image = RawImage.from_buffer(rgb, width, height, width * 3, 'rgb8')
    with CpuPreprocessor(PreprocessSpec(heads.IMGSZ, heads.IMGSZ)) as preprocessor:
        batch = preprocessor.allocate_batch(1)
        letterbox = preprocessor.run_host(image, batch)
    return rgb, batch, letterbox, backend.infer(batch)


def _decoder(task, meta, backend):
    names = [meta['names'][i] for i in range(len(meta['names']))]
    decoder = head_decoder(task, backend.outputs, names, meta.get('kpt_shape'))
    assert isinstance(decoder, SegmentationDecoder if task == 'segment' else PoseDecoder)
    return decoder


def _threshold(decoder, outputs):
    """Halfway between the best-class scores ranked CANDIDATES and CANDIDATES + 1."""
    channels = outputs[decoder.output][0]
    best = np.sort(channels[4:channels.shape[0] - decoder.extra_channels].max(axis=0))
    return float(best[-CANDIDATES] + best[-CANDIDATES - 1]) / 2


@pytest.mark.parametrize('photo', heads.PHOTOS)
def test_equal_to_ultralytics(network, photo):
    task, _, meta, backend = network
    rgb, batch, letterbox, outputs = _run(backend, photo)
    decoder = _decoder(task, meta, backend)
    conf = _threshold(decoder, outputs)
    ours = decoder.decode(outputs, [letterbox], DetectionParams(conf, IOU, MAX_DET))[0]
    raw = [outputs[spec.name] for spec in backend.outputs]
    theirs = heads.reference(task, meta, raw, batch, rgb, conf, IOU, MAX_DET)
    if task == 'segment':
        # Ultralytics drops detections whose mask came out empty; we keep them (so the indices
        # stay those of the boxes) and compare the others.
        ours = [d for d in ours if d.mask.data.any()]
    assert 3 <= len(ours) < MAX_DET, 'the seeded network should give a handful of detections'
    assert len(ours) == len(theirs.boxes)
    np.testing.assert_allclose([d.box for d in ours], theirs.boxes.xyxy.numpy(), atol=1e-3)
    np.testing.assert_allclose([d.score for d in ours], theirs.boxes.conf.numpy(), atol=1e-6)
    assert [d.class_id for d in ours] == theirs.boxes.cls.numpy().astype(int).tolist()
    height, width = rgb.shape[:2]
    if task == 'segment':
        for detection, reference in zip(ours, theirs.masks.data.numpy().astype(bool)):
            mask = full_mask(detection.mask, width, height)
            assert (mask & reference).sum() / (mask | reference).sum() >= 0.99
    else:
        points = theirs.keypoints.data.numpy()
        for detection, reference in zip(ours, points):
            np.testing.assert_allclose(detection.keypoints.xy, reference[:, :2], atol=1.0)
            np.testing.assert_allclose(detection.keypoints.scores, reference[:, 2], atol=1e-5)


def test_coco_pose_gets_the_coco_skeleton(network):
    task, _, meta, _ = network
    if task == 'pose':
        assert KeypointLayout(*meta['kpt_shape']).skeleton == COCO_SKELETON


def _spec(name, *shape):
    return TensorSpec(name, shape, np.float32)


def test_segmentation_needs_a_fixed_mask_count():
    with pytest.raises(ValueError, match='fixed number M of masks'):
        SegmentationDecoder(['a'], _spec('output0', -1, 37, 2100),
                            _spec('output1', -1, -1, 80, 80))


def test_segmentation_names_both_outputs_on_wrong_shapes():
    decoder = SegmentationDecoder(['a'], _spec('output0', 1, 37, 2100),
                                  _spec('output1', 1, 32, 80, 80))
    outputs = {'output0': np.zeros((1, 37, 2100), np.float32),
               'output1': np.zeros((1, 16, 80, 80), np.float32)}
    with pytest.raises(ValueError, match="'output1' \\[N, 32, H, W\\]"):
        decoder.decode(outputs, [None], DetectionParams())


def test_pose_output_too_narrow_for_the_keypoints_is_refused():
    with pytest.raises(ValueError, match='4 \\+ C \\+ 51'):
        PoseDecoder(['a'], _spec('output0', 1, 50, 2100))


def test_two_value_keypoints_get_score_one():
    layout = KeypointLayout(4, 2)
    decoder = PoseDecoder(['a'], _spec('output0', 1, 13, 64), layout)
    prediction = np.zeros((1, 13, 64), np.float32)
    prediction[0, :4, 3] = [50, 40, 20, 10]
    prediction[0, 4, 3] = 0.9
    prediction[0, 5:, 3] = [10, 20, 30, 40, 50, 60, 70, 80]
    (detection,) = decoder.decode({'output0': prediction}, [Letterbox.fit(128, 128, 128, 128)],
                                  DetectionParams())[0]
    np.testing.assert_allclose(detection.keypoints.xy, [[10, 20], [30, 40], [50, 60],
                                                        [70, 80]])
    np.testing.assert_array_equal(detection.keypoints.scores, np.ones(4))
    assert layout.skeleton == ()


@pytest.mark.parametrize('task, specs, message', [
    ('detect', [_spec('output0', 1, 84, 2100)], "task 'detect' has no mask or keypoint"),
    ('segment', [_spec('output0', 1, 116, 2100)], 'one 4-D prototype output'),
    ('pose', [_spec('a', 1, 56, 2100), _spec('b', 1, 56, 2100)], 'a\\[1,56,2100\\]'),
])
def test_head_decoder_errors_name_the_outputs(task, specs, message):
    with pytest.raises(ValueError, match=message):
        head_decoder(task, specs, ['a'])


def test_head_decoder_refuses_a_bad_kpt_shape():
    with pytest.raises(ValueError, match='must be \\[K, D\\]'):
        head_decoder('pose', [_spec('output0', 1, 56, 2100)], ['person'], [17])


def test_head_decoder_defaults_to_coco_keypoints():
    decoder = head_decoder('pose', [_spec('output0', 1, 56, 2100)], ['person'])
    assert isinstance(decoder, PoseDecoder) and decoder.layout == KeypointLayout(17, 3)


def test_auto_takes_a_segmentation_signature_for_a_segmentation_head():
    decoder = model_decoder('auto', [_spec('output0', 1, 116, 2100),
                                     _spec('output1', 1, 32, 80, 80)], ['a'] * 80)
    assert isinstance(decoder, SegmentationDecoder) and decoder.masks
    assert decoder.keypoint_layout is None


def test_auto_leaves_a_detection_head_to_the_box_decoders():
    decoder = model_decoder('auto', [_spec('output0', 1, 84, 2100)], ['a'] * 80)
    assert type(decoder) is YoloV8Decoder
    assert not decoder.masks and decoder.keypoint_layout is None


def test_pose_is_chosen_by_name_with_the_metadata_kpt_shape():
    decoder = model_decoder('pose', [_spec('output0', 1, 5 + 4 * 2, 2100)], ['hand'],
                            kpt_shape=(4, 2))
    assert isinstance(decoder, PoseDecoder) and decoder.kind == 'pose'
    assert decoder.keypoint_layout == KeypointLayout(4, 2)


def test_pose_without_a_kpt_shape_is_coco():
    decoder = model_decoder('pose', [_spec('output0', 1, 56, 2100)], ['person'], kpt_shape=())
    assert decoder.keypoint_layout.skeleton == COCO_SKELETON
