# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Detection results and label files."""

import dataclasses
import json
import os

import numpy as np
import pytest

from trt_perception.core.detection import (Detection, InstanceMask, Keypoints, label_for,
                                           load_labels)

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


@pytest.mark.parametrize('seed', range(4))
def test_mask_rle_equals_pycocotools(seed):
    coco_mask = pytest.importorskip('pycocotools.mask')
    rng = np.random.default_rng(seed)
    data = rng.random((rng.integers(1, 40), rng.integers(1, 40))) > rng.uniform(0.2, 0.8)
    data[0, 0] = bool(seed % 2)
    rle = InstanceMask(3, 4, data).to_dict()
    assert rle['origin'] == [3, 4] and rle['size'] == list(data.shape)
    ours = coco_mask.frPyObjects({'size': rle['size'], 'counts': rle['counts']}, *rle['size'])
    assert ours['counts'] == coco_mask.encode(np.asfortranarray(data.astype(np.uint8)))['counts']
    np.testing.assert_array_equal(coco_mask.decode(ours).astype(bool), data)


def test_rle_of_empty_and_full_masks():
    assert InstanceMask(0, 0, np.zeros((0, 3), bool)).rle_counts() == []
    assert InstanceMask(0, 0, np.ones((2, 3), bool)).rle_counts() == [0, 6]
    assert InstanceMask(0, 0, np.zeros((2, 3), bool)).rle_counts() == [6]


def test_masks_and_keypoints_in_the_json_form():
    mask = InstanceMask(5, 6, np.array([[False, True], [True, True]]))
    points = Keypoints(np.array([[1.5, 2.0], [3.0, 4.25]]), np.array([0.5, 1.0], np.float32))
    detection = Detection(5, 6, 7, 8, 0.9, 0, 'person', mask=mask, keypoints=points)
    out = json.loads(json.dumps(detection.to_dict()))
    assert out['mask'] == {'origin': [5, 6], 'size': [2, 2], 'counts': [1, 3]}
    assert out['keypoints'] == {'xy': [[1.5, 2.0], [3.0, 4.25]], 'scores': [0.5, 1.0]}
    assert 'mask' not in Detection(5, 6, 7, 8, 0.9, 0, 'person').to_dict()
