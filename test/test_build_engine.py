# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""build_engine's INT8 calibration preprocessing follows the model card, as inference does."""

import json
import os

import numpy as np

from trt_perception.core.backend import TensorSpec
from trt_perception.core.models import find_model
from trt_perception.core.pipeline import preprocess_spec
from trt_perception.tools.build_engine import _parser, calibration_spec

SHAPE = (2, 3, 300, 300)


class InputOnly:
    """The one backend fact preprocess_spec reads: the input tensor."""

    input = TensorSpec('images', (None, 3, 300, 300), np.dtype(np.float32))  # noqa: A003


def test_a_stretching_model_is_calibrated_stretched_as_it_is_run():
    card = find_model('ssd_mobilenet_v2_coco')
    assert card.resize == 'stretch'
    args = _parser().parse_args(['--onnx', card.path, '--int8'])
    # Exactly what the pipeline preprocesses live frames with.
    assert calibration_spec(args, SHAPE) == preprocess_spec(card, InputOnly())


def test_command_line_options_win_over_the_card():
    card = find_model('ssd_mobilenet_v2_coco')
    args = _parser().parse_args(['--onnx', card.path, '--int8', '--resize', 'letterbox',
                                 '--pad-value', '0', '--channel-order', 'bgr'])
    spec = calibration_spec(args, SHAPE)
    assert (spec.resize, spec.pad_value, spec.channel_order) == ('letterbox', 0, 'bgr')
    assert (spec.scale, spec.mean, spec.std) == (card.scale, card.mean, card.std)


def test_without_a_card_the_defaults_are_yolos(tmp_path):
    onnx = tmp_path / 'bare.onnx'
    onnx.write_bytes(b'')
    spec = calibration_spec(_parser().parse_args(['--onnx', str(onnx), '--int8']), SHAPE)
    assert (spec.resize, spec.channel_order, spec.pad_value) == ('letterbox', 'rgb', 114)
    assert spec.scale == 1.0 / 255.0 and (spec.width, spec.height) == (300, 300)


def test_the_card_beside_the_model_is_read(tmp_path):
    onnx = tmp_path / 'net.onnx'
    onnx.write_bytes(b'')
    with open(os.path.join(str(tmp_path), 'net.json'), 'w') as f:
        json.dump({'name': 'net', 'file': 'net.onnx', 'preprocessing': {
            'resize': 'stretch', 'channel_order': 'bgr', 'scale': 1.0,
            'mean': [1, 2, 3], 'std': [4, 5, 6]}}, f)
    spec = calibration_spec(_parser().parse_args(['--onnx', str(onnx), '--int8']), SHAPE)
    assert (spec.resize, spec.channel_order, spec.scale) == ('stretch', 'bgr', 1.0)
    assert spec.mean == (1.0, 2.0, 3.0) and spec.std == (4.0, 5.0, 6.0)
