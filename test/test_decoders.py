# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Decoders on raw outputs built from known boxes, and against an OpenCV-based reference."""

import dataclasses
import math
import os

import numpy as np
from opencv_nms import nms_boxes_batched
import pytest

from trt_perception.core.backend import TensorSpec
from trt_perception.core.decoders import (DetectionParams, EfficientNmsDecoder, make_decoder,
                                          YoloV5Decoder, YoloV8Decoder)
from trt_perception.core.detection import load_labels
from trt_perception.core.letterbox import Letterbox

LABELS = load_labels(os.path.join(os.path.dirname(__file__), os.pardir, 'config', 'coco.names'))
CLASSES = len(LABELS)
NET_W, NET_H = 640, 480
NOISE = 0.2
"""Every score that is not a ground-truth box's stays below this."""
TRT_NAMES = ('num_detections', 'detection_boxes', 'detection_scores', 'detection_classes')
EXPORT_NAMES = ('num_dets', 'det_boxes', 'det_scores', 'det_classes')


def _seeded():
    seed = np.random.SeedSequence().entropy
    return seed, np.random.default_rng(seed)


def _letterboxes():
    # Odd sizes, one wide and one tall, so padding, rounding and both scales are exercised.
    return [Letterbox.fit(637, 411, NET_W, NET_H), Letterbox.fit(301, 533, NET_W, NET_H)]


def _network_boxes(letterbox, boxes):
    """Source -> network pixels straight from the letterbox geometry, in float64."""
    gain = np.array([letterbox.resized_width / letterbox.src_width,
                     letterbox.resized_height / letterbox.src_height] * 2)
    return boxes * gain + np.array([letterbox.pad_left, letterbox.pad_top] * 2)


@dataclasses.dataclass
class Scene:
    """Ground truth for one image: source boxes, scores (distinct) and classes."""

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    def subset(self, keep):
        order = np.argsort(-self.scores[keep], kind='stable')
        index = np.flatnonzero(keep)[order]
        return Scene(self.boxes[index], self.scores[index], self.classes[index])


def _scene(rng, letterbox, count=12):
    """Boxes in distinct cells of a 5 x 4 grid over the source image, so none overlap."""
    cells = rng.choice(20, size=count, replace=False)
    cell_w, cell_h = letterbox.src_width / 5, letterbox.src_height / 4
    x0, y0 = (cells % 5) * cell_w, (cells // 5) * cell_h
    fx = rng.uniform(0.05, 0.45, size=(count, 2))
    fy = rng.uniform(0.05, 0.45, size=(count, 2))
    fx[:, 1] = rng.uniform(fx[:, 0] + 0.3, 0.95)
    fy[:, 1] = rng.uniform(fy[:, 0] + 0.3, 0.95)
    boxes = np.stack([x0 + fx[:, 0] * cell_w, y0 + fy[:, 0] * cell_h,
                      x0 + fx[:, 1] * cell_w, y0 + fy[:, 1] * cell_h], axis=1)
    scores = rng.permutation(np.linspace(0.3, 0.95, count)).astype(np.float32)
    return Scene(boxes, scores, rng.integers(0, CLASSES, size=count))


def _cxcywh(boxes):
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2,
                     boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], axis=1)


def _noise_boxes(rng, count):
    return np.stack([rng.uniform(0, NET_W, count), rng.uniform(0, NET_H, count),
                     rng.uniform(4, 120, count), rng.uniform(4, 120, count)], axis=1)


def _dense_rows(rng, letterbox, scene, anchors, width):
    """
    Build rows [anchors, width] of noise, and anchors for the boxes and their echoes.

    Each box gets a weaker shifted copy (same class, IoU well above 0.45) that NMS must remove.
    """
    rows = np.zeros((anchors, width), dtype=np.float32)
    rows[:, :4] = _noise_boxes(rng, anchors)
    rows[:, 4:] = rng.uniform(0, NOISE, size=(anchors, width - 4))
    slots = rng.choice(anchors, size=2 * len(scene.scores), replace=False)
    boxes = _cxcywh(_network_boxes(letterbox, scene.boxes))
    echoes = boxes + np.array([1.0, -1.0, 1.5, 0.5])
    return rows, slots, np.concatenate([boxes, echoes]), np.concatenate(
        [scene.scores, scene.scores * 0.9]).astype(np.float32), np.tile(scene.classes, 2)


def _yolov8(rng, letterboxes, scenes, transposed=False, anchors=2100):
    batch = []
    for letterbox, scene in zip(letterboxes, scenes):
        rows, slots, boxes, scores, classes = _dense_rows(rng, letterbox, scene, anchors,
                                                          4 + CLASSES)
        rows[slots, :4] = boxes
        rows[slots, 4 + classes] = scores
        batch.append(rows if transposed else rows.T)
    array = np.ascontiguousarray(np.stack(batch))
    return {'output0': array}, [TensorSpec('output0', array.shape, np.float32)]


def _yolov5(rng, letterboxes, scenes, anchors=6300):
    batch = []
    for letterbox, scene in zip(letterboxes, scenes):
        rows, slots, boxes, scores, classes = _dense_rows(rng, letterbox, scene, anchors,
                                                          5 + CLASSES)
        # Noise objectness reaches 1 so the objectness pre-filter is passed by rows whose
        # products still stay under NOISE.
        rows[:, 4] = rng.uniform(0, 1, size=anchors)
        objectness = rng.uniform(scores, 1.0).astype(np.float32)
        rows[slots, :4] = boxes
        rows[slots, 4] = objectness
        rows[slots, 5:] = rng.uniform(0, NOISE / 4, size=(slots.size, CLASSES))
        rows[slots, 5 + classes] = scores / objectness
        batch.append(rows)
    array = np.stack(batch)
    return {'output': array}, [TensorSpec('output', (None, anchors, 5 + CLASSES), np.float32)]


def _efficient_nms(rng, letterboxes, scenes, names=TRT_NAMES, normalized=False, slots=100):
    count = np.zeros((len(scenes), 1), dtype=np.int32)
    boxes = rng.uniform(0, NET_W, size=(len(scenes), slots, 4)).astype(np.float32)
    scores = rng.uniform(0, 1, size=(len(scenes), slots)).astype(np.float32)
    classes = rng.integers(0, CLASSES, size=(len(scenes), slots)).astype(np.int32)
    for i, (letterbox, scene) in enumerate(zip(letterboxes, scenes)):
        order = np.argsort(-scene.scores)
        n = order.size
        count[i] = n
        net = _network_boxes(letterbox, scene.boxes[order])
        if normalized:
            net = net / np.array([NET_W, NET_H] * 2)
        boxes[i, :n] = net
        scores[i, :n] = scene.scores[order]
        classes[i, :n] = scene.classes[order]
    arrays = dict(zip(names, (count, boxes, scores, classes)))
    return arrays, [TensorSpec(name, (None,) + a.shape[1:], a.dtype)
                    for name, a in arrays.items()]


FORMATS = {
    'yolov8': _yolov8,
    'yolov8_transposed': lambda rng, lbs, scenes: _yolov8(rng, lbs, scenes, transposed=True),
    'yolov5': _yolov5,
    'efficient_nms': _efficient_nms,
    'efficient_nms_exported': lambda rng, lbs, scenes: _efficient_nms(rng, lbs, scenes,
                                                                      EXPORT_NAMES),
}
EXPECTED_DECODER = {'yolov8': YoloV8Decoder, 'yolov8_transposed': YoloV8Decoder,
                    'yolov5': YoloV5Decoder, 'efficient_nms': EfficientNmsDecoder,
                    'efficient_nms_exported': EfficientNmsDecoder}


def _assert_found(detections, scene, context):
    order = np.argsort(-scene.scores, kind='stable')
    assert len(detections) == order.size, context
    np.testing.assert_array_equal([d.class_id for d in detections], scene.classes[order],
                                  err_msg=context)
    assert [d.label for d in detections] == [LABELS[c] for c in scene.classes[order]], context
    np.testing.assert_allclose([d.score for d in detections], scene.scores[order], rtol=1e-6,
                               err_msg=context)
    np.testing.assert_allclose(np.reshape([d.box for d in detections], (-1, 4)),
                               scene.boxes[order], atol=1e-3, rtol=0, err_msg=context)


def _run(fmt, params, count=12):
    seed, rng = _seeded()
    letterboxes = _letterboxes()
    scenes = [_scene(rng, lb, count) for lb in letterboxes]
    outputs, specs = FORMATS[fmt](rng, letterboxes, scenes)
    decoder = make_decoder('auto', specs, LABELS)
    assert isinstance(decoder, EXPECTED_DECODER[fmt])
    return decoder.decode(outputs, letterboxes, params), scenes, 'seed %d' % seed


@pytest.mark.parametrize('fmt', sorted(FORMATS))
def test_boxes_come_back_in_source_pixels_for_a_batch_of_two(fmt):
    found, scenes, context = _run(fmt, DetectionParams())
    assert len(found) == 2
    for detections, scene in zip(found, scenes):
        _assert_found(detections, scene, context)


@pytest.mark.parametrize('fmt', sorted(FORMATS))
def test_confidence_threshold(fmt):
    found, scenes, context = _run(fmt, DetectionParams(conf_threshold=0.6))
    for detections, scene in zip(found, scenes):
        _assert_found(detections, scene.subset(scene.scores > 0.6), context)


@pytest.mark.parametrize('fmt', sorted(FORMATS))
def test_class_filter(fmt):
    seed, rng = _seeded()
    wanted = frozenset(rng.choice(CLASSES, size=30, replace=False).tolist())
    found, scenes, context = _run(fmt, DetectionParams(classes=wanted))
    for detections, scene in zip(found, scenes):
        _assert_found(detections, scene.subset(np.isin(scene.classes, list(wanted))),
                      context + ' classes seed %d' % seed)


@pytest.mark.parametrize('fmt', sorted(FORMATS))
def test_max_detections_keeps_the_best(fmt):
    found, scenes, context = _run(fmt, DetectionParams(max_detections=5))
    for detections, scene in zip(found, scenes):
        best = np.zeros(scene.scores.size, dtype=bool)
        best[np.argsort(-scene.scores)[:5]] = True
        _assert_found(detections, scene.subset(best), context)


@pytest.mark.parametrize('fmt', sorted(FORMATS))
def test_nothing_above_threshold_gives_empty_lists(fmt):
    found, _, _ = _run(fmt, DetectionParams(conf_threshold=0.99))
    assert found == [[], []]


@pytest.mark.parametrize('fmt', ['yolov8', 'yolov5'])
def test_class_filter_applies_to_the_best_class_only(fmt):
    # Filtering must give the unfiltered result restricted to the wanted classes, never turn
    # a confident "bus" into a weaker "truck".
    seed, rng = _seeded()
    letterbox = Letterbox.fit(637, 411, NET_W, NET_H)
    scene = Scene(np.array([[100.0, 100.0, 200.0, 180.0]]), np.array([0.9], np.float32),
                  np.array([5]))
    outputs, specs = FORMATS[fmt](rng, [letterbox], [scene])
    array = outputs[specs[0].name]
    anchor = np.argmax(array[0, 4 + 5] if fmt == 'yolov8' else array[0, :, 4] * array[0, :, 10])
    if fmt == 'yolov8':
        array[0, 4 + 7, anchor] = 0.6
    else:
        array[0, anchor, 5 + 7] = 0.6 / array[0, anchor, 4]
    decoder = make_decoder(fmt, specs, LABELS)
    assert decoder.decode(outputs, [letterbox], DetectionParams(classes={7}))[0] == []
    _assert_found(decoder.decode(outputs, [letterbox], DetectionParams(classes={5, 9}))[0],
                  scene, 'seed %d' % seed)


def test_normalized_efficient_nms_boxes():
    seed, rng = _seeded()
    letterboxes = _letterboxes()
    scenes = [_scene(rng, lb) for lb in letterboxes]
    outputs, specs = _efficient_nms(rng, letterboxes, scenes, normalized=True)
    decoder = make_decoder('efficient_nms', specs, LABELS, normalized_boxes=True)
    for detections, scene in zip(decoder.decode(outputs, letterboxes, DetectionParams()),
                                 scenes):
        _assert_found(detections, scene, 'seed %d' % seed)


@pytest.mark.parametrize('fmt', ['yolov8', 'yolov5'])
def test_agnostic_lets_classes_suppress_each_other(fmt):
    seed, rng = _seeded()
    letterbox = Letterbox.fit(637, 411, NET_W, NET_H)
    near = np.array([[100.0, 100.0, 200.0, 180.0], [102.0, 101.0, 203.0, 182.0]])
    scene = Scene(near, np.array([0.9, 0.8], dtype=np.float32), np.array([3, 7]))
    outputs, specs = FORMATS[fmt](rng, [letterbox], [scene])
    decoder = make_decoder(fmt, specs, LABELS)
    _assert_found(decoder.decode(outputs, [letterbox], DetectionParams())[0], scene, seed)
    agnostic = decoder.decode(outputs, [letterbox], DetectionParams(agnostic=True))[0]
    _assert_found(agnostic, scene.subset(np.array([True, False])), seed)


def test_boxes_reaching_into_the_padding_are_clipped():
    letterbox = Letterbox.fit(637, 411, NET_W, NET_H)
    assert letterbox.pad_top > 20
    top = letterbox.pad_top
    array = np.zeros((1, 4 + CLASSES, 100), dtype=np.float32)
    array[0, :4, 0] = _cxcywh(np.array([[-15.0, top - 20.0, 50.0, top + 40.0]]))[0]
    array[0, 4 + 5, 0] = 0.8
    decoder = YoloV8Decoder(LABELS, TensorSpec('output0', array.shape, np.float32))
    (detection,) = decoder.decode({'output0': array}, [letterbox], DetectionParams())[0]
    gain = letterbox.resized_width / letterbox.src_width
    np.testing.assert_allclose(detection.box, [0.0, 0.0, 50.0 / gain,
                                               40.0 * letterbox.src_height
                                               / letterbox.resized_height], atol=1e-3)


def _reference_v8(prediction, letterbox, params, max_candidates):
    """Threshold + argmax + OpenCV batched NMS + letterbox inverse, written independently."""
    prediction = prediction.astype(np.float64)
    scores_all = prediction[4:].astype(np.float32)
    best = scores_all.max(axis=0)
    anchors = np.flatnonzero(best > np.float32(params.conf_threshold))
    anchors = anchors[np.argsort(-best[anchors], kind='stable')][:max_candidates]
    cx, cy, w, h = prediction[:4, anchors]
    classes = scores_all[:, anchors].argmax(axis=0).astype(np.int32)
    # OpenCV's batched NMS offsets classes by the largest coordinate, which needs positive
    # coordinates; a shift changes no IoU.
    rects = np.stack([cx - w / 2 + 5000.0, cy - h / 2 + 5000.0, w, h], axis=1)
    kept = nms_boxes_batched(rects, best[anchors], classes, params.iou_threshold)
    kept = kept[:params.max_detections]
    x1 = (cx[kept] - w[kept] / 2 - letterbox.pad_left) * letterbox.src_width
    y1 = (cy[kept] - h[kept] / 2 - letterbox.pad_top) * letterbox.src_height
    x2 = (cx[kept] + w[kept] / 2 - letterbox.pad_left) * letterbox.src_width
    y2 = (cy[kept] + h[kept] / 2 - letterbox.pad_top) * letterbox.src_height
    boxes = np.stack([x1 / letterbox.resized_width, y1 / letterbox.resized_height,
                      x2 / letterbox.resized_width, y2 / letterbox.resized_height], axis=1)
    boxes[:, ::2] = np.clip(boxes[:, ::2], 0, letterbox.src_width)
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, letterbox.src_height)
    return boxes, best[anchors][kept], classes[kept]


@pytest.mark.parametrize('max_candidates', [30000, 150])
def test_yolov8_matches_an_opencv_reference_on_random_outputs(max_candidates):
    seed, rng = _seeded()
    letterboxes = _letterboxes()
    array = np.empty((2, 4 + CLASSES, 8400), dtype=np.float32)
    array[:, :4] = np.moveaxis(_noise_boxes(rng, 2 * 8400).reshape(2, 8400, 4), 2, 1)
    # Dense random scores: about 600 candidates per image over the threshold, many
    # overlapping, so suppression and the caps all have work to do.
    array[:, 4:] = rng.uniform(0, 1, size=(2, CLASSES, 8400)) ** 40
    spec = TensorSpec('output0', (None, 4 + CLASSES, None), np.float32)
    decoder = YoloV8Decoder(LABELS, spec, max_candidates=max_candidates)
    for params in (DetectionParams(conf_threshold=0.3, iou_threshold=0.5, max_detections=300),
                   DetectionParams(conf_threshold=0.2, iou_threshold=0.3)):
        found = decoder.decode({'output0': array}, letterboxes, params)
        for i, (detections, letterbox) in enumerate(zip(found, letterboxes)):
            boxes, scores, classes = _reference_v8(array[i], letterbox, params,
                                                   max_candidates)
            context = 'seed %d image %d %s' % (seed, i, params)
            assert len(detections) == scores.size > 30, context
            np.testing.assert_array_equal([d.class_id for d in detections], classes,
                                          err_msg=context)
            np.testing.assert_array_equal(np.float32([d.score for d in detections]), scores,
                                          err_msg=context)
            np.testing.assert_allclose([d.box for d in detections], boxes, atol=1e-6,
                                       err_msg=context)


def test_a_batch_dimension_larger_than_the_frames_is_ignored():
    seed, rng = _seeded()
    letterboxes = _letterboxes()
    scenes = [_scene(rng, lb) for lb in letterboxes]
    outputs, specs = _yolov8(rng, letterboxes, scenes)
    decoder = make_decoder('yolov8', specs, LABELS)
    found = decoder.decode(outputs, letterboxes[:1], DetectionParams())
    assert len(found) == 1
    _assert_found(found[0], scenes[0], 'seed %d' % seed)
    with pytest.raises(ValueError, match='fewer than the 3 images'):
        decoder.decode(outputs, letterboxes + letterboxes[:1], DetectionParams())


def test_a_missing_output_is_named():
    decoder = make_decoder('auto', [TensorSpec('output0', (1, 84, 8400), np.float32)], LABELS)
    with pytest.raises(ValueError, match=r"'output0'.*\['logits'\]"):
        decoder.decode({'logits': np.zeros((1, 84, 8400), np.float32)}, _letterboxes()[:1],
                       DetectionParams())


def _specs(*shapes, names=None):
    names = names or ['output%d' % i for i in range(len(shapes))]
    return [TensorSpec(name, shape, np.float32) for name, shape in zip(names, shapes)]


@pytest.mark.parametrize('specs, labels, expected', [
    (_specs((1, 84, 8400)), LABELS, YoloV8Decoder),
    (_specs(('batch', 84, 'anchors')), LABELS, YoloV8Decoder),
    (_specs((1, 84, 8400)), [], YoloV8Decoder),
    (_specs((1, 5, 8400)), ['cone'], YoloV8Decoder),
    (_specs((1, 8400, 84)), LABELS, YoloV8Decoder),
    (_specs((1, 25200, 85)), LABELS, YoloV5Decoder),
    (_specs((None, None, 85)), LABELS, YoloV5Decoder),
    (_specs((1, 8400, 85)), LABELS, YoloV5Decoder),
    (_specs((1, 25200, 85), (1, 3, 80, 80, 85), (1, 3, 40, 40, 85), (1, 3, 20, 20, 85)),
     LABELS, YoloV5Decoder),
    (_specs((-1, 1), (-1, 100, 4), (-1, 100), (-1, 100), names=TRT_NAMES), LABELS,
     EfficientNmsDecoder),
    (_specs((1, 1), (1, 100, 4), (1, 100), (1, 100), names=EXPORT_NAMES[::-1]), [],
     EfficientNmsDecoder),
])
def test_auto_picks_the_decoder_for_the_outputs(specs, labels, expected):
    assert type(make_decoder('auto', specs, labels)) is expected


@pytest.mark.parametrize('kind, specs, labels, message', [
    ('auto', _specs((1, 1000)), LABELS, r'output0\[1,1000\].*decoder parameter'),
    ('auto', _specs((1, 25200, 85)), [],
     r'yolov8 with 81 classes or yolov5 with 80 classes; the label file has 0 names'),
    ('auto', _specs((1, 84, 8400), (1, 8400, 84)), LABELS, 'single 3-D output'),
    ('auto', _specs((1, 84, 84)), LABELS, 'no YOLO layout fits'),
    ('auto', [], LABELS, 'outputs none'),
    ('yolov9', _specs((1, 84, 8400)), LABELS, "decoder='yolov9' is not one of auto, yolov8"),
    ('efficient_nms', _specs((1, 84, 8400)), LABELS, r'output0\[1,84,8400\].*decoder'),
    ('yolov8', _specs((1, 84, 84)), LABELS, 'more anchors'),
    ('yolov5', _specs((1, 8400, 4)), LABELS, 'not a YOLOv5 output'),
])
def test_errors_name_the_outputs_and_the_parameter(kind, specs, labels, message):
    with pytest.raises(ValueError, match=message):
        make_decoder(kind, specs, labels)


def test_explicit_kind_overrides_the_label_count():
    specs = _specs((1, 25200, 85))
    assert type(make_decoder('yolov5', specs, [])) is YoloV5Decoder
    assert type(make_decoder('yolov8', specs, [])) is YoloV8Decoder


def test_dynamic_layout_that_cannot_be_read_is_reported_at_decode():
    decoder = make_decoder('yolov8', _specs((None, None, None)), LABELS)
    with pytest.raises(ValueError, match='more anchors'):
        decoder.decode({'output0': np.zeros((1, 84, 84), np.float32)}, _letterboxes()[:1],
                       DetectionParams())


def test_params_normalise_classes():
    assert DetectionParams(classes=[2, np.int64(0), 2]).classes == frozenset({0, 2})
    assert DetectionParams(classes=[]).classes is None
    params = dataclasses.replace(DetectionParams(), conf_threshold=np.float32(0.5))
    assert params.conf_threshold == 0.5 and type(params.conf_threshold) is float


@pytest.mark.parametrize('changes, message', [
    ({'conf_threshold': 1.5}, 'conf_threshold=1.5'),
    ({'conf_threshold': -0.1}, 'conf_threshold=-0.1'),
    ({'conf_threshold': math.nan}, 'conf_threshold=nan'),
    ({'conf_threshold': '0.5'}, "conf_threshold='0.5'"),
    ({'iou_threshold': True}, 'iou_threshold=True'),
    ({'max_detections': 0}, 'max_detections=0'),
    ({'max_detections': 2.5}, 'max_detections=2.5'),
    ({'classes': [1, -1]}, r'\[-1\] are not class ids'),
    ({'classes': ['person']}, 'are not class ids'),
    ({'classes': 'person'}, "classes='person' must be a collection"),
    ({'classes': 3}, 'classes=3 must be a collection'),
    ({'agnostic': 'yes'}, "agnostic_nms='yes'"),
])
def test_params_reject_bad_values_naming_them(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(DetectionParams(), **changes)


def _one_box_rows():
    # x1 y1 x2 y2 (or cx cy w h in 0..1), score, class, then two extra channels.
    return np.array([[[10, 20, 50, 60, 0.9, 2, 7, 7], [0, 0, 5, 5, 0.2, 0, 7, 7],
                      [30, 30, 40, 40, 0.6, 1.0000001, 7, 7], [1, 1, 2, 2, 0.8, 2, 7, 7]]],
                    dtype=np.float32)


def test_end2end_rows_are_thresholded_filtered_and_capped_without_nms():
    rows = _one_box_rows()
    decoder = make_decoder('end2end', [TensorSpec('output0', rows.shape, np.float32)], LABELS)
    box = Letterbox.fit(200, 100, 100, 100)  # scale 0.5, 25 rows of padding on top
    found = decoder.decode({'output0': rows}, [box], DetectionParams(conf_threshold=0.5))[0]
    assert [(d.class_id, d.label, d.score) for d in found] == [
        (2, 'car', pytest.approx(0.9)), (2, 'car', pytest.approx(0.8)),
        (1, 'bicycle', pytest.approx(0.6))]
    np.testing.assert_allclose(found[0].box, [20, 0, 100, 70])
    capped = decoder.decode({'output0': rows}, [box], DetectionParams(
        conf_threshold=0.1, classes={1, 0}, max_detections=1))[0]
    assert [d.class_id for d in capped] == [1]


def test_rtdetr_boxes_are_centre_size_fractions_of_the_input():
    rows = np.array([[[0.5, 0.5, 0.2, 0.4, 0.7, 3]]], dtype=np.float32)
    decoder = make_decoder('rtdetr', [TensorSpec('output0', (1, 300, 6), np.float32)], LABELS)
    box = Letterbox.stretch(640, 480, 320, 320)
    found = decoder.decode({'output0': rows}, [box], DetectionParams())[0]
    np.testing.assert_allclose(found[0].box, [256, 144, 384, 336], atol=1e-4)


@pytest.mark.parametrize('normalized', [False, True])
def test_detr_outputs_are_found_by_name(normalized):
    specs = [TensorSpec('labels', (1, 3), np.int64), TensorSpec('boxes', (1, 3, 4), np.float32),
             TensorSpec('scores', (1, 3), np.float32)]
    decoder = make_decoder('auto', specs, LABELS, normalized_boxes=normalized)
    assert decoder.kind == 'detr'
    scale = 1 / 64 if normalized else 1.0
    outputs = {'labels': np.array([[0, 5, 2]]), 'scores': np.array([[0.3, 0.9, 0.1]]),
               'boxes': np.array([[[0, 0, 32, 32], [16, 16, 48, 64], [0, 0, 1, 1]]]) * scale}
    found = decoder.decode(outputs, [Letterbox.stretch(128, 128, 64, 64)],
                           DetectionParams(conf_threshold=0.2))[0]
    assert [(d.label, d.score) for d in found] == [('bus', 0.9), ('person', 0.3)]
    np.testing.assert_allclose(found[0].box, [32, 32, 96, 128])


def test_auto_names_both_readings_of_k_by_6_rows():
    spec = TensorSpec('output0', (1, 300, 6), np.float32)
    with pytest.raises(ValueError, match='end2end or rtdetr.*set the decoder parameter'):
        make_decoder('auto', [spec], LABELS)
    with pytest.raises(ValueError, match='needs an output \\[N, K, 6\\]'):
        make_decoder('end2end', [TensorSpec('output0', (1, 300, 5), np.float32)], LABELS)
