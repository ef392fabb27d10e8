# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The CPU pipeline on the real bundled detector and real photos, wired from core parts only."""

import cv2
import numpy as np
import pytest
from skimage import data

from trt_perception.core.decoders import make_decoder
from trt_perception.core.detection import load_labels
from trt_perception.core.image import RawImage
from trt_perception.core.models import default_model
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.core.pipeline import DetectionPipeline, preprocess_spec
from trt_perception.core.preprocess import CpuPreprocessor


def bgr(photo):
    return cv2.cvtColor(getattr(data, photo)(), cv2.COLOR_RGB2BGR)


def assert_same(got, want):
    """Assert detections per image alike: labels equal, scores within 0.02, boxes within 2 px."""
    assert len(got) == len(want) and any(want), 'the reference found nothing to compare'
    for mine, reference in zip(got, want):
        assert [d.label for d in mine] == [d.label for d in reference]
        np.testing.assert_allclose([d.score for d in mine], [d.score for d in reference],
                                   atol=0.02)
        np.testing.assert_allclose([d.box for d in mine], [d.box for d in reference], atol=2.0)


def core_pipeline(max_batch):
    """Assemble the bundled default detector on ONNX Runtime and the CPU by hand."""
    card = default_model()
    backend = OnnxRuntimeBackend(card.path, max_batch=max_batch)
    decoder = make_decoder(card.output_format, backend.outputs, load_labels(card.labels_path),
                           normalized_boxes=card.normalized_boxes)
    return DetectionPipeline(backend, CpuPreprocessor(preprocess_spec(card, backend)), decoder)


@pytest.fixture(scope='module')
def pipeline():
    with core_pipeline(max_batch=2) as pipe:
        yield pipe


def best(detections, label):
    found = [d for d in detections if d.label == label]
    assert found, 'no %s in %s' % (label, detections)
    return max(found, key=lambda d: d.score)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area


# Boxes drawn by hand around the subject of each scikit-image photo (x1, y1, x2, y2),
# checked by eye on the photos, independent of any model.
EXPECTED = {
    'astronaut': ('person', (15, 12, 365, 512)),
    'chelsea': ('cat', (0, 0, 420, 300)),
    'coffee': ('cup', (170, 12, 415, 300)),
}


@pytest.mark.parametrize('photo', sorted(EXPECTED))
def test_finds_the_subject_of_real_photos(pipeline, photo):
    frame = bgr(photo)
    result = pipeline.detect([RawImage.from_array(frame, 'bgr8')])
    label, box = EXPECTED[photo]
    found = best(result.detections[0], label)
    assert found.score > 0.5
    assert iou(found.box, box) > 0.6, found
    for det in result.detections[0]:
        assert 0 <= det.x1 < det.x2 <= frame.shape[1]
        assert 0 <= det.y1 < det.y2 <= frame.shape[0]
    assert min(result.timing.as_dict().values()) >= 0


@pytest.mark.parametrize('encoding,convert', [
    ('rgb8', cv2.COLOR_BGR2RGB), ('bgra8', cv2.COLOR_BGR2BGRA), ('mono8', cv2.COLOR_BGR2GRAY)])
def test_every_encoding_finds_the_person(pipeline, encoding, convert):
    frame = cv2.cvtColor(bgr('astronaut'), convert)
    result = pipeline.detect([RawImage.from_array(frame, encoding)])
    assert iou(best(result.detections[0], 'person').box, EXPECTED['astronaut'][1]) > 0.6


def test_yuv422_camera_frame_finds_the_person(pipeline):
    frame = bgr('astronaut')
    yuv = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV)
    uyvy = np.empty((frame.shape[0], frame.shape[1] * 2), np.uint8)
    uyvy[:, 1::2] = yuv[:, :, 0]
    uyvy[:, 0::4] = yuv[:, 0::2, 1]
    uyvy[:, 2::4] = yuv[:, 0::2, 2]
    image = RawImage.from_buffer(uyvy, frame.shape[1], frame.shape[0], uyvy.shape[1], 'yuv422')
    result = pipeline.detect([image])
    assert best(result.detections[0], 'person').score > 0.3


def test_batch_of_two_equals_two_single_runs(pipeline):
    frames = [RawImage.from_array(bgr(p), 'bgr8') for p in ('chelsea', 'coffee')]
    batched = pipeline.detect(frames)
    for frame, dets in zip(frames, batched.detections):
        single = pipeline.detect([frame]).detections[0]
        assert [(d.label, round(d.score, 4)) for d in dets] == \
            [(d.label, round(d.score, 4)) for d in single]
        np.testing.assert_allclose([d.box for d in dets], [d.box for d in single], atol=1e-3)


def test_too_many_frames_is_refused(pipeline):
    frame = RawImage.from_array(bgr('chelsea'), 'bgr8')
    with pytest.raises(ValueError, match='1..2 images'):
        pipeline.detect([frame] * 3)


def test_params_update_changes_output_and_rejects_bad_values(pipeline):
    frame = RawImage.from_array(bgr('coffee'), 'bgr8')
    before = pipeline.detect([frame]).detections[0]
    original = pipeline.params
    try:
        pipeline.update_params(conf_threshold=0.9)
        strict = pipeline.detect([frame]).detections[0]
        assert 0 < len(strict) < len(before)
        assert all(d.score >= 0.9 for d in strict)
        with pytest.raises(ValueError, match='conf_threshold'):
            pipeline.update_params(conf_threshold=1.5)
        assert pipeline.params.conf_threshold == 0.9
        cup = best(before, 'cup').class_id
        pipeline.update_params(conf_threshold=0.25, classes={cup})
        assert {d.label for d in pipeline.detect([frame]).detections[0]} == {'cup'}
    finally:
        pipeline.update_params(**{f: getattr(original, f)
                                  for f in ('conf_threshold', 'classes')})


def test_submit_then_complete_is_detect_and_one_batch_is_in_flight_on_the_cpu(pipeline):
    frames = [RawImage.from_array(bgr(p), 'bgr8') for p in ('chelsea', 'coffee')]
    expected = pipeline.detect(frames)
    assert (pipeline.depth, pipeline.in_flight) == (1, 0)
    submitted = pipeline.submit(frames)
    assert pipeline.in_flight == 1
    with pytest.raises(RuntimeError, match='complete'):
        pipeline.submit(frames[:1])
    result = pipeline.complete(submitted)
    assert pipeline.in_flight == 0 and result.gpu_times == {}
    for got, want in zip(result.detections, expected.detections):
        assert [(d.label, d.score, d.box) for d in got] == \
            [(d.label, d.score, d.box) for d in want]


def test_thresholds_are_those_in_force_when_a_batch_was_submitted(pipeline):
    frame = RawImage.from_array(bgr('coffee'), 'bgr8')
    original = pipeline.params
    try:
        submitted = pipeline.submit([frame])
        pipeline.update_params(conf_threshold=0.99)
        loose = pipeline.complete(submitted).detections[0]
        assert any(d.score < 0.99 for d in loose)
    finally:
        pipeline.update_params(conf_threshold=original.conf_threshold)
