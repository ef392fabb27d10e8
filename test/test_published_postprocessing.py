# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Heads Ultralytics cannot build here, checked against their own published postprocessing.

D-FINE / DEIM: a deploy-style ONNX model is built here (torch) whose outputs come from fixed
query logits and boxes through the steps of D-FINE's ``DFINEPostProcessor`` in deploy mode
(sigmoid, top-k over queries x classes, cx cy w h to corners scaled by ``orig_target_sizes``),
and run through our whole pipeline; the oracle is D-FINE's ``tools/inference/onnx_inf.py``
flow in float64 numpy: the original image size fed as ``orig_target_sizes``, then ``score >
threshold``.  We feed the network input size instead and map back ourselves, so the two paths
differ and must meet.

YOLOX: synthetic raw outputs shaped as YOLOX's ONNX export gives them (``decode_in_inference``
off) go through our decoder; the oracle is YOLOX's ``demo_postprocess`` and class-agnostic
``multiclass_nms`` (its demo's default) ported to float64 numpy.  YOLOX's NMS measures areas
as ``(x2 - x1 + 1) * (y2 - y1 + 1)``; the synthetic boxes are either near-duplicates or
apart, so that convention cannot change which survive (checked).
"""

import json

import numpy as np
import pytest

from trt_perception.assembly import create_pipeline, PipelineConfig
from trt_perception.core.backend import TensorSpec
from trt_perception.core.decoders import DetectionParams, make_decoder, YoloxDecoder
from trt_perception.core.image import RawImage
from trt_perception.core.letterbox import Letterbox

QUERIES, CLASSES, TOP_K = 40, 5, 30


def _dfine_outputs(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(-2.0, 2.0, (1, QUERIES, CLASSES))
    centres = rng.uniform(0.1, 0.9, (1, QUERIES, 2))
    sizes = rng.uniform(0.05, 0.4, (1, QUERIES, 2))
    return logits, np.concatenate([centres, sizes], axis=2)


def _dfine_model(path, logits, boxes):
    """Export a D-FINE-style deploy model: images and orig_target_sizes in, labels/boxes/scores."""
    torch = pytest.importorskip('torch')

    class Deploy(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.register_buffer('logits', torch.tensor(logits, dtype=torch.float32))
            self.register_buffer('boxes', torch.tensor(boxes, dtype=torch.float32))

        def forward(self, images, orig_target_sizes):
            logits = self.logits + images.mean() * 0
            cx, cy, w, h = self.boxes.unbind(-1)
            corners = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)
            corners = corners * orig_target_sizes.repeat(1, 2).unsqueeze(1)
            scores, index = torch.topk(torch.sigmoid(logits).flatten(1), TOP_K, dim=-1)
            labels = index % CLASSES
            index = torch.div(index, CLASSES, rounding_mode='floor')
            chosen = corners.gather(1, index.unsqueeze(-1).repeat(1, 1, 4))
            return labels, chosen, scores

    torch.onnx.export(Deploy(), (torch.zeros(1, 3, 64, 96), torch.tensor([[96, 64]])), path,
                      input_names=['images', 'orig_target_sizes'],
                      output_names=['labels', 'boxes', 'scores'], opset_version=17,
                      dynamo=False)


def dfine_oracle(logits, boxes, width, height, threshold):
    """D-FINE's postprocessor and onnx_inf threshold in float64, for an image width x height."""
    scores = (1.0 / (1.0 + np.exp(-logits[0]))).ravel()
    index = np.argsort(-scores, kind='stable')[:TOP_K]
    labels, queries = index % CLASSES, index // CLASSES
    cx, cy, w, h = boxes[0, queries].T
    corners = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    corners *= np.array([width, height, width, height], dtype=np.float64)
    keep = scores[index] > threshold
    return corners[keep], scores[index][keep], labels[keep]


def test_dfine_deploy_export_equals_its_postprocessor(tmp_path):
    logits, boxes = _dfine_outputs(0)
    path = str(tmp_path / 'dfine.onnx')
    _dfine_model(path, logits, boxes)
    # D-FINE resizes without keeping the aspect ratio: a card says so (nothing in the file).
    (tmp_path / 'dfine.json').write_text(json.dumps({
        'preprocessing': {'resize': 'stretch'}, 'output': {'format': 'auto'}}))
    frame = np.zeros((300, 451, 3), dtype=np.uint8)
    threshold = 0.3
    config = PipelineConfig(model=path, backend='onnxruntime', preprocess='cpu',
                            onnxruntime_provider='cpu',
                            params=DetectionParams(conf_threshold=threshold, max_detections=100))
    with create_pipeline(config) as pipeline:
        assert pipeline.decoder.kind == 'detr'
        ours = pipeline.detect([RawImage.from_array(frame, 'rgb8')]).detections[0]
    corners, scores, labels = dfine_oracle(logits, boxes, 451, 300, threshold)
    corners = np.clip(corners, 0, [451, 300, 451, 300])
    assert len(ours) == len(scores) >= 5
    got = np.array([[d.x1, d.y1, d.x2, d.y2] for d in ours])
    np.testing.assert_allclose(got, corners, atol=0.01)
    np.testing.assert_allclose([d.score for d in ours], scores, atol=1e-6)
    assert [d.class_id for d in ours] == labels.tolist()


def yolox_oracle(outputs, width, height, nms_thr, score_thr):
    """Run YOLOX's demo_postprocess and class-agnostic multiclass_nms in float64."""
    predictions = outputs[0].astype(np.float64).copy()
    grids, strides = [], []
    for stride in (8, 16, 32):
        hsize, wsize = height // stride, width // stride
        xv, yv = np.meshgrid(np.arange(wsize), np.arange(hsize))
        grids.append(np.stack((xv, yv), 2).reshape(-1, 2))
        strides.append(np.full((hsize * wsize, 1), stride))
    grids, strides = np.concatenate(grids), np.concatenate(strides)
    predictions[:, :2] = (predictions[:, :2] + grids) * strides
    predictions[:, 2:4] = np.exp(predictions[:, 2:4]) * strides
    boxes = predictions[:, :4]
    scores = predictions[:, 4:5] * predictions[:, 5:]
    xyxy = np.stack([boxes[:, 0] - boxes[:, 2] / 2, boxes[:, 1] - boxes[:, 3] / 2,
                     boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2], axis=1)
    cls_inds = scores.argmax(1)
    cls_scores = scores[np.arange(len(cls_inds)), cls_inds]
    valid = cls_scores > score_thr
    valid_boxes, valid_scores = xyxy[valid], cls_scores[valid]
    kept = {one: _yolox_nms(valid_boxes, valid_scores, nms_thr, one) for one in (0, 1)}
    assert kept[0] == kept[1], 'the synthetic boxes sit too near the IoU threshold'
    keep = kept[1]
    return valid_boxes[keep], valid_scores[keep], cls_inds[valid][keep]


def _yolox_nms(boxes, scores, nms_thr, one):
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1 + one) * (y2 - y1 + one)
    order = scores.argsort()[::-1]
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        w = np.maximum(0.0, np.minimum(x2[i], x2[order[1:]])
                       - np.maximum(x1[i], x1[order[1:]]) + one)
        h = np.maximum(0.0, np.minimum(y2[i], y2[order[1:]])
                       - np.maximum(y1[i], y1[order[1:]]) + one)
        inter = w * h
        ovr = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[np.where(ovr <= nms_thr)[0] + 1]
    return keep


def _yolox_outputs(width, height, classes, seed):
    """Raw YOLOX rows: a few objects, each seen by a cluster of neighbouring anchors."""
    rng = np.random.default_rng(seed)
    anchors = sum((height // s) * (width // s) for s in (8, 16, 32))
    out = np.zeros((1, anchors, 5 + classes), dtype=np.float32)
    out[0, :, :2] = rng.uniform(0, 1, (anchors, 2))
    out[0, :, 2:4] = rng.uniform(0, 1.5, (anchors, 2))
    out[0, :, 4] = rng.uniform(0, 0.05, anchors)
    out[0, :, 5:] = rng.uniform(0, 1, (anchors, classes))
    first_32 = anchors - (height // 32) * (width // 32)
    for anchor in rng.choice(np.arange(first_32), 12, replace=False):
        out[0, anchor, 4] = rng.uniform(0.5, 1.0)
        out[0, anchor, 5 + rng.integers(classes)] = 1.0
    return out


@pytest.mark.parametrize('seed, source', [(0, (320, 256)), (1, (320, 256)), (2, (451, 300)),
                                          (3, (1280, 720))])
def test_yolox_raw_output_equals_demo_postprocess(seed, source):
    width, height, classes = 320, 256, 6
    raw = _yolox_outputs(width, height, classes, seed)
    spec = TensorSpec('output', raw.shape, np.float32)
    labels = ['c%d' % i for i in range(classes)]
    decoder = make_decoder('yolox', [spec], labels, input_size=(width, height))
    assert isinstance(decoder, YoloxDecoder)
    params = DetectionParams(conf_threshold=0.3, iou_threshold=0.45, agnostic=True,
                             max_detections=100)
    # YOLOX's preproc: one ratio, the frame in the top-left corner; its demo divides the boxes
    # by that ratio.  We resize to round(side x ratio) where it truncates, so the scale back
    # may differ by half a pixel in the resized side: a few tenths of a pixel in the source.
    letterbox = Letterbox.fit(source[0], source[1], width, height, centred=False)
    ours = decoder.decode({'output': raw}, [letterbox], params)[0]
    boxes, scores, class_ids = yolox_oracle(raw, width, height, 0.45, 0.3)
    ratio = min(width / source[0], height / source[1])
    boxes = np.clip(boxes / ratio, 0, [source[0], source[1]] * 2)
    assert len(ours) == len(scores) >= 5
    order = np.argsort(-scores, kind='stable')
    got = np.array([[d.x1, d.y1, d.x2, d.y2] for d in ours])
    np.testing.assert_allclose(got, boxes[order], atol=0.5 if source != (width, height)
                               else 1e-3)
    np.testing.assert_allclose([d.score for d in ours], scores[order], atol=1e-6)
    assert [d.class_id for d in ours] == class_ids[order].tolist()


def test_auto_names_yolox_and_yolov5_when_the_anchor_count_fits_both():
    spec = TensorSpec('output', (1, 1680, 11), np.float32)
    with pytest.raises(ValueError, match='yolov5 with 6 classes or yolox with 6 classes'):
        make_decoder('auto', [spec], ['c'] * 6, input_size=(320, 256))
    assert make_decoder('auto', [TensorSpec('output', (1, 3 * 1680, 11), np.float32)],
                        ['c'] * 6, input_size=(320, 256)).kind == 'yolov5'


def test_yolox_refuses_an_anchor_count_of_another_input_size():
    with pytest.raises(ValueError, match='1680'):
        make_decoder('yolox', [TensorSpec('output', (1, 2100, 11), np.float32)], [],
                     input_size=(320, 256))
