# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Our detections equal Ultralytics' own predictor on the same exported ONNX file, per head.

Each network is built from Ultralytics' own YAML (no weights are downloaded), given batch-norm
statistics of real photos and seeded random head layers so that its scores spread (a freshly
initialised head gives every anchor the same score), exported to ONNX at 320 pixels and run
two ways on three photos: by Ultralytics' predictor (``YOLO(onnx).predict``) and by our
pipeline with nothing but the file (no card: labels, decoder and resize come from the file's
metadata).  Boxes must agree within 1 px, scores within 1e-3, classes exactly.

torchvision cannot be imported in this environment and Ultralytics' predictor imports it for
NMS: the test gives Ultralytics a stand-in ``torchvision`` whose ``ops.nms`` is a plain-torch
greedy NMS (``ultralytics_exports.greedy_nms``).
"""

import numpy as np
import pytest

torch = pytest.importorskip('torch')
ultralytics = pytest.importorskip('ultralytics')
pytest.importorskip('skimage.data')

from trt_perception.assembly import create_pipeline, PipelineConfig  # noqa: E402
from trt_perception.core.decoders import DetectionParams  # noqa: E402
from trt_perception.core.image import RawImage  # noqa: E402
from ultralytics_exports import (CUSTOM_NAMES, export, IMGSZ, photos_rgb,  # noqa: E402
                                 torchvision_stand_in)

CONF = 0.25
IOU = 0.6
MAX_DET = 300

# (yaml, export arguments, our decoder the metadata must choose)
HEADS = [
    pytest.param('yolov5nu.yaml', {}, 'yolov8', id='yolov5nu'),
    pytest.param('yolov8n.yaml', {}, 'yolov8', id='yolov8n'),
    pytest.param('yolov10n.yaml', {}, 'yolov8', id='yolov10n-dense'),
    pytest.param('yolov10n.yaml', {'nms': False}, 'end2end', id='yolov10n-end2end'),
    pytest.param('yolo11n.yaml', {}, 'yolov8', id='yolo11n'),
    pytest.param('yolo11n.yaml', {'nms': True}, 'end2end', id='yolo11n-nms-embedded',
                 marks=pytest.mark.skip(
                     reason='nms=True exports torchvision.ops.nms into the graph, and the '
                            'compiled operators of torchvision cannot be imported here (they '
                            'do not match the CPU torch)')),
    pytest.param('yolo12n.yaml', {}, 'yolov8', id='yolo12n'),
    pytest.param('yolo26n.yaml', {}, 'yolov8', id='yolo26n-dense'),
    pytest.param('yolo26n.yaml', {'nms': False}, 'end2end', id='yolo26n-end2end'),
    pytest.param('rtdetr-l.yaml', {}, 'rtdetr', id='rtdetr-l'),
]


@pytest.fixture(scope='module')
def ultralytics_without_torchvision():
    with torchvision_stand_in():
        yield


def reference_detections(path, yaml):
    """Ultralytics' own predictor on the ONNX file: per photo, an array of x1 y1 x2 y2 s c."""
    from ultralytics import RTDETR, YOLO

    model = RTDETR(path) if yaml.startswith('rtdetr') else YOLO(path, task='detect')
    results = model.predict([photo[:, :, ::-1].copy() for photo in photos_rgb()], imgsz=IMGSZ,
                            conf=CONF, iou=IOU, max_det=MAX_DET, verbose=False)
    detections = []
    for result in results:
        rows = result.boxes.data.numpy().astype(np.float64)
        # Ours are clipped to the image, as the YOLO predictor's are; the RT-DETR one's are not.
        height, width = result.orig_shape
        rows[:, [0, 2]] = rows[:, [0, 2]].clip(0, width)
        rows[:, [1, 3]] = rows[:, [1, 3]].clip(0, height)
        detections.append(rows)
    return detections


def our_detections(path):
    config = PipelineConfig(model=path, backend='onnxruntime', preprocess='cpu',
                            onnxruntime_provider='cpu', params=DetectionParams(
                                conf_threshold=CONF, iou_threshold=IOU,
                                max_detections=MAX_DET))
    with create_pipeline(config) as pipeline:
        detections = [pipeline.detect([RawImage.from_array(photo, 'rgb8')]).detections[0]
                      for photo in photos_rgb()]
        kind = pipeline.decoder.kind
    return kind, detections


def largest_differences(expected, detections):
    """Match each reference box to ours (same class, best IoU); return (box px, score)."""
    ours = np.array([[d.x1, d.y1, d.x2, d.y2, d.score, d.class_id] for d in detections]
                    ).reshape(-1, 6)
    assert len(ours) == len(expected)
    used = np.zeros(len(ours), dtype=bool)
    box_error = score_error = 0.0
    for row in expected:
        distance = np.abs(ours[:, :4] - row[:4]).max(axis=1) + np.abs(ours[:, 4] - row[4])
        distance[used | (ours[:, 5] != row[5])] = np.inf
        best = int(np.argmin(distance))
        assert np.isfinite(distance[best]), 'no detection of class %d like %s' % (row[5], row)
        used[best] = True
        box_error = max(box_error, float(np.abs(ours[best, :4] - row[:4]).max()))
        score_error = max(score_error, float(abs(ours[best, 4] - row[4])))
    return box_error, score_error


@pytest.mark.parametrize('yaml, arguments, kind', HEADS)
def test_detections_equal_ultralytics_predictor(ultralytics_without_torchvision, tmp_path,
                                                yaml, arguments, kind, capsys):
    path = export(yaml, tmp_path, format='onnx', **arguments)
    expected = reference_detections(path, yaml)
    chosen, detections = our_detections(path)
    assert chosen == kind
    assert all(len(e) >= 20 for e in expected), [len(e) for e in expected]
    worst_box = worst_score = 0.0
    for reference, ours in zip(expected, detections):
        assert {d.label for d in ours} <= set(CUSTOM_NAMES.values())
        box_error, score_error = largest_differences(reference, ours)
        worst_box, worst_score = max(worst_box, box_error), max(worst_score, score_error)
    with capsys.disabled():
        print('\n%s %s: %s detections, largest box difference %.2g px, score %.2g'
              % (yaml, arguments or '', [len(e) for e in expected], worst_box, worst_score))
    assert worst_box <= 1.0
    assert worst_score <= 1e-3


def test_a_dynamic_export_takes_its_input_size_from_the_metadata(tmp_path):
    static = export('yolo11n.yaml', tmp_path / 'static', format='onnx')
    dynamic = export('yolo11n.yaml', tmp_path / 'dynamic', format='onnx', dynamic=True)
    _, expected = our_detections(static)
    config = PipelineConfig(model=dynamic, backend='onnxruntime', preprocess='cpu',
                            onnxruntime_provider='cpu', params=DetectionParams(
                                conf_threshold=CONF, iou_threshold=IOU,
                                max_detections=MAX_DET))
    with create_pipeline(config) as pipeline:
        assert not any(isinstance(d, int) for d in pipeline.backend.input.shape[2:])
        assert (pipeline.preprocessor.spec.width, pipeline.preprocessor.spec.height) == (
            IMGSZ, IMGSZ)
        photo = photos_rgb()[1]
        found = pipeline.detect([RawImage.from_array(photo, 'rgb8')]).detections[0]
    reference = np.array([[d.x1, d.y1, d.x2, d.y2, d.score, d.class_id] for d in expected[1]])
    assert len(found) == len(reference) > 20
    box_error, score_error = largest_differences(reference, found)
    assert box_error <= 1e-3 and score_error <= 1e-5
