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

torchvision cannot be imported in this environment (its compiled operators do not match the
CPU torch), and Ultralytics' predictor imports it for NMS: the test gives Ultralytics a
stand-in ``torchvision`` whose ``ops.nms`` is `greedy_nms` below, written here in plain torch.
"""

import sys
import types

import numpy as np
import pytest

torch = pytest.importorskip('torch')
ultralytics = pytest.importorskip('ultralytics')
skimage_data = pytest.importorskip('skimage.data')

from trt_perception.assembly import create_pipeline, PipelineConfig  # noqa: E402
from trt_perception.core.decoders import DetectionParams  # noqa: E402
from trt_perception.core.image import RawImage  # noqa: E402

IMGSZ = 320
CONF = 0.25
IOU = 0.6
MAX_DET = 300
PHOTOS = ('astronaut', 'coffee', 'chelsea')
CUSTOM_NAMES = {i: 'part_%02d' % i for i in range(80)}

# (yaml, export arguments, our decoder the metadata must choose)
HEADS = [
    ('yolov5nu.yaml', {}, 'yolov8'),
    ('yolov8n.yaml', {}, 'yolov8'),
    ('yolov10n.yaml', {'nms': False}, 'end2end'),
    ('yolo11n.yaml', {}, 'yolov8'),
    ('yolo12n.yaml', {}, 'yolov8'),
    ('yolo26n.yaml', {}, 'yolov8'),
    ('yolo26n.yaml', {'nms': False}, 'end2end'),
    ('rtdetr-l.yaml', {}, 'rtdetr'),
]


def greedy_nms(boxes, scores, iou_threshold):
    """Torchvision's ``ops.nms`` contract in plain torch: kept indices, best score first."""
    order = torch.argsort(scores, descending=True, stable=True)
    ordered = boxes[order]
    area = (ordered[:, 2] - ordered[:, 0]) * (ordered[:, 3] - ordered[:, 1])
    top_left = torch.maximum(ordered[:, None, :2], ordered[None, :, :2])
    bottom_right = torch.minimum(ordered[:, None, 2:], ordered[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(dim=2)
    iou = inter / (area[:, None] + area[None, :] - inter)
    keep = torch.ones(len(order), dtype=torch.bool)
    for i in range(len(order)):
        if keep[i]:
            keep[i + 1:] &= iou[i, i + 1:] <= iou_threshold
    return order[keep]


@pytest.fixture(scope='module')
def ultralytics_without_torchvision():
    """Give Ultralytics a torchvision whose only part is a plain-torch NMS."""
    saved = sys.modules.get('torchvision')
    stand_in = types.ModuleType('torchvision')
    stand_in.ops = types.SimpleNamespace(nms=greedy_nms)
    sys.modules['torchvision'] = stand_in
    yield
    if saved is None:
        sys.modules.pop('torchvision', None)
    else:
        sys.modules['torchvision'] = saved


def photos_rgb():
    return [getattr(skimage_data, name)() for name in PHOTOS]


def seeded_network(yaml):
    """Build `yaml`, re-estimate batch norm on the photos and seed the head's last layers."""
    import cv2
    from ultralytics import RTDETR, YOLO

    torch.manual_seed(0)
    model = (RTDETR if yaml.startswith('rtdetr') else YOLO)(yaml)
    net = model.model
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # a plain average over the batches seen
    batch = torch.stack([
        torch.from_numpy(cv2.resize(photo, (IMGSZ, IMGSZ))).permute(2, 0, 1).float() / 255
        for photo in photos_rgb()])
    net.train()
    with torch.no_grad():
        net(batch)
    net.eval()
    head = net.model[-1]
    generator = torch.Generator().manual_seed(1)
    last_layers = [branch[-1] for name in ('cv2', 'cv3', 'one2one_cv2', 'one2one_cv3')
                   for branch in (getattr(head, name, None) or [])]
    last_layers += list(getattr(head, 'dec_score_head', []))
    for layer in last_layers:
        layer.weight.data = torch.randn(layer.weight.shape, generator=generator) * 0.02
        layer.bias.data = torch.randn(layer.bias.shape, generator=generator) * 0.5 - 1.0
    net.names = dict(CUSTOM_NAMES)
    return model


@pytest.fixture(scope='module')
def exports(tmp_path_factory, ultralytics_without_torchvision):
    """Export each head once per test run, on first use, each into its own folder."""
    folder = tmp_path_factory.mktemp('ultralytics_exports')
    made = {}

    def export(yaml, arguments):
        key = (yaml, tuple(sorted(arguments.items())))
        if key not in made:
            model = seeded_network(yaml)
            out = folder / str(len(made))
            out.mkdir()
            # Ultralytics writes the .onnx beside the YAML's name in the working folder.
            with pytest.MonkeyPatch.context() as patch:
                patch.chdir(out)
                made[key] = str(out / model.export(format='onnx', imgsz=IMGSZ, **arguments))
        return made[key]
    return export


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


@pytest.mark.parametrize('yaml, arguments, kind', HEADS,
                         ids=['%s%s' % (y[:-5], '-end2end' if a else '') for y, a, _ in HEADS])
def test_detections_equal_ultralytics_predictor(exports, yaml, arguments, kind, capsys):
    path = exports(yaml, arguments)
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
