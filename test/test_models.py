# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Tests for trt_perception.core.models: finding bundled models and reading their cards.

The bundled models are real pretrained detectors that scripts/setup.sh prepares; these tests
run them with ONNX Runtime on scikit-image's photos and check the raw outputs against what
the cards document (the pipeline tests check decoded detections).
"""

import json
import os
import shutil

import cv2
import numpy as np
import onnxruntime as ort
import pytest
import skimage.data

from trt_perception.core import models
from trt_perception.core.detection import load_labels
from trt_perception.core.models import find_model, ModelCard, ModelCardError

SSD_MODELS = ('ssd_mobilenet_v2_coco', 'ssdlite_mobilenet_v2_person')


def _session(card: ModelCard) -> ort.InferenceSession:
    return ort.InferenceSession(card.path, providers=['CPUExecutionProvider'])


def _network_input(card: ModelCard, image: np.ndarray) -> np.ndarray:
    """Apply the card's preprocessing to an RGB photo, independently of core.preprocess."""
    _, _, height, width = card.input_shape
    assert card.resize == 'stretch' and card.channel_order == 'rgb'
    resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    normalised = (resized.astype(np.float64) * card.scale - card.mean) / card.std
    return normalised.transpose(2, 0, 1)[None].astype(np.float32)


@pytest.fixture(params=SSD_MODELS)
def ssd_card(request) -> ModelCard:
    return find_model(request.param)


def test_default_model_is_the_coco_detector():
    card = find_model('')
    assert card == models.default_model()
    assert card.name == models.DEFAULT_MODEL
    assert load_labels(card.labels_path) == load_labels(
        os.path.join(os.path.dirname(__file__), os.pardir, 'config', 'coco.names'))


def test_card_describes_the_onnx_file(ssd_card):
    session = _session(ssd_card)
    (graph_input,) = session.get_inputs()
    (graph_output,) = session.get_outputs()
    assert graph_input.name == ssd_card.input_name
    assert graph_input.type == 'tensor(float)'
    assert [-1 if isinstance(d, str) else d for d in graph_input.shape] == list(
        ssd_card.input_shape)
    labels = load_labels(ssd_card.labels_path)
    assert ssd_card.output_format == 'yolov5'
    assert graph_output.shape[1:] == [1917, 5 + len(labels)]
    with open(os.path.splitext(ssd_card.path)[0] + '.json') as stream:
        recorded = json.load(stream)['sha256']
    from hashlib import sha256
    with open(ssd_card.path, 'rb') as stream:
        assert sha256(stream.read()).hexdigest() == recorded == ssd_card.sha256


@pytest.mark.parametrize('photo', ['astronaut', 'chelsea', 'coffee'])
def test_raw_output_has_the_documented_layout(ssd_card, photo):
    image = getattr(skimage.data, photo)()
    labels = load_labels(ssd_card.labels_path)
    (output,) = _session(ssd_card).run(None, {ssd_card.input_name:
                                              _network_input(ssd_card, image)})
    _, _, height, width = ssd_card.input_shape
    assert output.shape == (1, 1917, 5 + len(labels))
    assert output.dtype == np.float32 and np.all(np.isfinite(output))
    cx, cy, w, h = output[0, :, :4].T
    # Anchors tile the input; decoded centres stay near it and sizes are positive.
    assert np.all(w > 0) and np.all(h > 0)
    assert -width < cx.min() and cx.max() < 2 * width
    assert -height < cy.min() and cy.max() < 2 * height
    np.testing.assert_array_equal(output[0, :, 4], 1.0)
    assert np.all((output[0, :, 5:] >= 0) & (output[0, :, 5:] <= 1))


@pytest.mark.parametrize('model, photo, label', [
    ('ssd_mobilenet_v2_coco', 'astronaut', 'person'),
    ('ssd_mobilenet_v2_coco', 'chelsea', 'cat'),
    ('ssd_mobilenet_v2_coco', 'coffee', 'cup'),
    ('ssdlite_mobilenet_v2_person', 'astronaut', 'person'),
])
def test_best_score_is_the_photographed_object(model, photo, label):
    card = find_model(model)
    labels = load_labels(card.labels_path)
    (output,) = _session(card).run(None, {card.input_name: _network_input(
        card, getattr(skimage.data, photo)())})
    scores = output[0, :, 5:] * output[0, :, 4:5]
    anchor, class_id = np.unravel_index(scores.argmax(), scores.shape)
    assert labels[class_id] == label and scores[anchor, class_id] > 0.5


def test_batch_axis_is_dynamic(ssd_card):
    session = _session(ssd_card)
    batch = np.concatenate([_network_input(ssd_card, skimage.data.astronaut()),
                            _network_input(ssd_card, skimage.data.chelsea())])
    (together,) = session.run(None, {ssd_card.input_name: batch})
    for i in range(2):
        (alone,) = session.run(None, {ssd_card.input_name: batch[i:i + 1]})
        np.testing.assert_allclose(together[i], alone[0], rtol=1e-5, atol=1e-4)


def test_random_yolov8n_has_the_yolov8_layout():
    try:
        card = find_model('yolov8n-random')
    except FileNotFoundError:
        pytest.skip('yolov8n-random is not prepared (scripts/prepare_models.py builds it when '
                    'torch and ultralytics are installed)')
    session = _session(card)
    image = np.random.default_rng(0).random((2, 3, 640, 640), dtype=np.float32)
    (output,) = session.run(None, {card.input_name: image})
    assert card.output_format == 'yolov8' and output.shape == (2, 84, 8400)


def test_a_model_path_finds_the_card_beside_it():
    card = find_model(models.DEFAULT_MODEL)
    assert find_model(card.path) == card
    assert find_model(os.path.splitext(card.path)[0] + '.json') == card


def test_a_model_without_card_gets_yolo_defaults(tmp_path):
    path = tmp_path / 'custom.onnx'
    shutil.copyfile(find_model('ssdlite_mobilenet_v2_person').path, path)
    card = find_model(str(path))
    assert (card.name, card.path, card.output_format) == ('custom', str(path), 'auto')
    assert (card.resize, card.scale, card.mean, card.std, card.pad_value) == (
        'letterbox', 1 / 255, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), 114.0)
    assert os.path.basename(card.labels_path) == 'coco.names'
    assert os.path.isfile(card.labels_path)
    assert not card.is_engine


def _with_metadata(source, path, props):
    """Copy ONNX model `source` to `path` with Ultralytics-style metadata entries."""
    onnx = pytest.importorskip('onnx')
    model = onnx.load(source)
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
    return str(path)


@pytest.mark.parametrize('props, output_format, resize', [
    ({'head': 'Detect', 'task': 'detect', 'end2end': 'False'}, 'yolov8', 'letterbox'),
    ({'head': 'v10Detect', 'task': 'detect', 'end2end': 'True'}, 'end2end', 'letterbox'),
    ({'head': 'RTDETRDecoder', 'task': 'detect', 'end2end': 'False'}, 'rtdetr', 'stretch'),
])
def test_a_model_without_card_describes_itself(tmp_path, props, output_format, resize):
    path = _with_metadata(find_model('yolov8n-random').path, tmp_path / 'best.onnx',
                          dict(props, names="{0: 'cone', 1: 'forklift person'}",
                               imgsz='[320, 320]'))
    card = find_model(path)
    assert (card.output_format, card.resize) == (output_format, resize)
    assert card.labels == ('cone', 'forklift person') and card.labels_path == ''


def test_a_card_beside_the_model_overrides_its_metadata(tmp_path):
    path = _with_metadata(find_model('yolov8n-random').path, tmp_path / 'best.onnx',
                          {'head': 'RTDETRDecoder', 'names': "{0: 'cone'}"})
    (tmp_path / 'best.json').write_text(json.dumps({
        'output': {'format': 'yolov8'}, 'preprocessing': {'resize': 'letterbox'},
        'labels': 'coco.names'}))
    card = find_model(path)
    assert (card.output_format, card.resize) == ('yolov8', 'letterbox')
    assert os.path.basename(card.labels_path) == 'coco.names'


def test_what_a_card_leaves_open_comes_from_the_metadata(tmp_path):
    path = _with_metadata(find_model('yolov8n-random').path, tmp_path / 'best.onnx',
                          {'head': 'RTDETRDecoder', 'task': 'detect', 'names': "{0: 'cone'}"})
    (tmp_path / 'best.json').write_text(json.dumps({'preprocessing': {'resize': 'letterbox'}}))
    card = find_model(path)
    assert (card.output_format, card.resize, card.labels) == ('rtdetr', 'letterbox', ('cone',))


def test_card_can_declare_normalised_nms_boxes(tmp_path):
    original = find_model('ssdlite_mobilenet_v2_person')
    assert not original.normalized_boxes
    with open(os.path.splitext(original.path)[0] + '.json') as stream:
        card = json.load(stream)
    card['file'] = original.path
    card['output'] = {'format': 'efficient_nms', 'normalized_boxes': True}
    path = tmp_path / 'nms.json'
    path.write_text(json.dumps(card))
    loaded = find_model(str(path))
    assert (loaded.output_format, loaded.normalized_boxes) == ('efficient_nms', True)


@pytest.mark.parametrize('name', ['model.plan', 'model.engine', 'model.trt', 'M.PLAN',
                                  'Model.Engine', 'model.TRT'])
def test_engine_paths_are_engines_whatever_the_case(tmp_path, monkeypatch, name):
    path = tmp_path / name
    path.write_bytes(b'plan')
    assert find_model(str(path)).is_engine
    # A bare file name in the working directory is a path too, not a bundled model name.
    monkeypatch.chdir(str(tmp_path))
    assert find_model(name).is_engine


def test_environment_folder_comes_first(tmp_path, monkeypatch):
    original = find_model('ssdlite_mobilenet_v2_person')
    shutil.copyfile(original.path, tmp_path / 'ssdlite_mobilenet_v2_person.onnx')
    with open(os.path.splitext(original.path)[0] + '.json') as stream:
        card = json.load(stream)
    card['labels'] = 'mine.names'
    (tmp_path / 'ssdlite_mobilenet_v2_person.json').write_text(json.dumps(card))
    (tmp_path / 'mine.names').write_text('pedestrian\n')
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(tmp_path))
    found = find_model('ssdlite_mobilenet_v2_person')
    assert found.path == str(tmp_path / 'ssdlite_mobilenet_v2_person.onnx')
    assert load_labels(found.labels_path) == ['pedestrian']
    assert models.model_dirs()[0] == str(tmp_path)


def test_unknown_name_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no bundled model 'nope'.*scripts/setup.sh"):
        find_model('nope')


def test_missing_path_says_how_to_fix():
    with pytest.raises(FileNotFoundError, match='missing.onnx.*does not exist'):
        find_model('/nonexistent/missing.onnx')


@pytest.mark.parametrize('change, message', [
    ({'output': {'format': 'ssd'}}, "output format 'ssd' is not one of"),
    ({'preprocessing': {'resize': 'crop'}}, "resize 'crop' is not one of"),
    ({'preprocessing': {'sampling': 'area'}}, "sampling 'area' is not one of half_pixel"),
    ({'preprocessing': {'mean': [0.5, 0.5]}}, 'mean must be three finite numbers'),
    ({'input': {'shape': [1, 3, 'h', 300]}}, 'input shape must be a list of integers'),
    ({'file': 'gone.onnx'}, 'gone.onnx.*does not exist.*scripts/setup.sh'),
])
def test_bad_cards_are_reported_with_the_file(tmp_path, change, message):
    original = find_model('ssdlite_mobilenet_v2_person')
    with open(os.path.splitext(original.path)[0] + '.json') as stream:
        card = json.load(stream)
    card['file'] = original.path
    card.update(change)
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(card))
    with pytest.raises(ModelCardError, match='bad.json.*' + message):
        find_model(str(path))


def test_unreadable_card_is_reported(tmp_path):
    path = tmp_path / 'broken.json'
    path.write_text('{"name": ')
    with pytest.raises(ModelCardError, match='broken.json.*not valid JSON'):
        find_model(str(path))
