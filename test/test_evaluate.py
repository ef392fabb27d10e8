# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The evaluate command on a small annotated set made here, with its mAP worked out by hand.

The "detector" is an ONNX graph that gives the same three boxes for every image (an end2end
head's [1, 3, 6] rows), so the detections are known; the two synthetic images and their COCO
annotations are test_coco_metric's hand-worked case, whose mAP the command must print.
"""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import pytest
from test_coco_metric import hand_case

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROWS = [[0, 0, 20, 20, 0.9, 0], [30, 30, 50, 54.4, 0.8, 0], [0, 40, 20, 60, 0.7, 1]]


def fixed_detector(path):
    """images[1,3,64,64] -> output0[1,3,6]: the same boxes (x1 y1 x2 y2 score class) always."""
    rows = numpy_helper.from_array(np.array([ROWS], dtype=np.float32), 'rows')
    zero = numpy_helper.from_array(np.array(0, dtype=np.float32), 'zero')
    graph = helper.make_graph([
        helper.make_node('ReduceMean', ['images'], ['mean'], keepdims=0),
        helper.make_node('Mul', ['mean', 'zero'], ['nothing']),
        helper.make_node('Add', ['rows', 'nothing'], ['output0'])], 'fixed',
        [helper.make_tensor_value_info('images', TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info('output0', TensorProto.FLOAT, [1, 3, 6])], [rows, zero])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
    model.ir_version = 8
    onnx.save(model, path)


@pytest.fixture
def annotated_set(tmp_path):
    truths, _ = hand_case()
    images = []
    for image_id in (1, 2):
        name = 'scene%d.png' % image_id
        frame = np.full((64, 64, 3), 90, np.uint8)
        for t in truths:
            if t.image_id == image_id:
                x, y, w, h = (int(v) for v in t.box)
                frame[y:y + h, x:x + w] = (40, 200, 40) if t.category_id == 1 else (200, 40, 40)
        cv2.imwrite(str(tmp_path / name), frame)
        images.append({'id': image_id, 'file_name': name, 'width': 64, 'height': 64})
    coco = {'images': images,
            'categories': [{'id': 1, 'name': 'cone'}, {'id': 2, 'name': 'crate'}],
            'annotations': [{'id': k + 1, 'image_id': t.image_id, 'category_id': t.category_id,
                             'bbox': list(t.box), 'area': t.box[2] * t.box[3], 'iscrowd': 0}
                            for k, t in enumerate(truths)]}
    (tmp_path / 'annotations.json').write_text(json.dumps(coco))
    (tmp_path / 'labels.txt').write_text('cone\ncrate\n')
    fixed_detector(str(tmp_path / 'fixed.onnx'))
    return tmp_path


def run(*args):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, '-m', 'trt_perception.evaluate'] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env, timeout=300)


def test_map_of_the_hand_worked_set(annotated_set):
    folder = annotated_set
    done = run('--model', str(folder / 'fixed.onnx'), '--images', str(folder),
               '--annotations', str(folder / 'annotations.json'), '--backend', 'onnxruntime',
               '--decoder', 'end2end', '--labels', str(folder / 'labels.txt'))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    ap1 = (7 * 76 / 101 + 3 * 51 / 101) / 10
    assert summary['mAP'] == pytest.approx((ap1 + 25.5 / 101) / 2, abs=1e-9)
    assert summary['mAP50'] == pytest.approx((76 / 101 + 25.5 / 101) / 2, abs=1e-9)
    assert (summary['images'], summary['detections']) == (2, 6)
    assert summary['backend'] == 'onnxruntime' and summary['unmatched_classes'] == []


def test_names_that_match_no_category_and_missing_images_are_errors(annotated_set):
    folder = annotated_set
    (folder / 'other.txt').write_text('dog\ncat\n')
    common = ['--model', str(folder / 'fixed.onnx'), '--images', str(folder),
              '--annotations', str(folder / 'annotations.json'), '--backend', 'onnxruntime',
              '--decoder', 'end2end']
    done = run(*common + ['--labels', str(folder / 'other.txt')])
    assert done.returncode == 2 and "none of the model's class names" in done.stderr
    os.remove(str(folder / 'scene2.png'))
    done = run(*common + ['--labels', str(folder / 'labels.txt')])
    assert done.returncode == 2 and 'scene2.png' in done.stderr
