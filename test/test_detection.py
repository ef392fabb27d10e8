# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Detection results and label files."""

import dataclasses
import json
import os

import pytest

from trt_perception.core.detection import Detection, label_for, load_labels

COCO_NAMES = os.path.join(os.path.dirname(__file__), os.pardir, 'config', 'coco.names')


def test_detection_box_and_dict_round_trip_through_json():
    detection = Detection(1.5, 2.0, 30.25, 40.0, 0.875, 2, 'car')
    assert detection.box == (1.5, 2.0, 30.25, 40.0)
    assert json.loads(json.dumps(detection.to_dict())) == {
        'label': 'car', 'class_id': 2, 'score': 0.875, 'box': [1.5, 2.0, 30.25, 40.0]}
    with pytest.raises(dataclasses.FrozenInstanceError):
        detection.score = 1.0


def test_coco_names_in_standard_order():
    labels = load_labels(COCO_NAMES)
    assert len(labels) == len(set(labels)) == 80
    assert labels[:3] == ['person', 'bicycle', 'car']
    assert labels[9] == 'traffic light' and labels[62] == 'tv'
    assert labels[-2:] == ['hair drier', 'toothbrush']


def test_trailing_blank_lines_and_whitespace_are_ignored(tmp_path):
    path = tmp_path / 'labels.txt'
    path.write_bytes(b'cat \r\n dog\r\n\r\nfox\n\n  \n')
    assert load_labels(str(path)) == ['cat', 'dog', '', 'fox']


def test_missing_file_names_the_path(tmp_path):
    path = str(tmp_path / 'nope.names')
    with pytest.raises(FileNotFoundError, match='nope.names.*labels parameter'):
        load_labels(path)


@pytest.mark.parametrize('content, message', [
    (b'\n\n', 'holds no class names'),
    (b'caf\xe9\n', 'not UTF-8'),
])
def test_unusable_file_names_the_path(tmp_path, content, message):
    path = tmp_path / 'bad.names'
    path.write_bytes(content)
    with pytest.raises(ValueError, match='bad.names.*' + message):
        load_labels(str(path))


def test_label_for_falls_back_to_the_number():
    labels = ['cat', '', 'fox']
    assert label_for(labels, 0) == 'cat'
    assert label_for(labels, 1) == '1'
    assert label_for(labels, 3) == '3'
    assert label_for(labels, -1) == '-1'
    assert label_for([], 7) == '7'
