# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Command-line flags generated from settings schemas (tools/setting_flags.py)."""

import argparse
from dataclasses import dataclass

import pytest

from trt_perception.assembly import pipeline_config, PIPELINE_SETTINGS
from trt_perception.core.schema import setting, Settings, settings_of_all
from trt_perception.tools.detect import build_parser, DETECT_SETTINGS
from trt_perception.tools.setting_flags import add_setting_flags, flag_of, setting_values


@dataclass(frozen=True)
class Stage(Settings):
    """A throwaway result stage's settings."""

    max_age: float = setting(1.5, 'Seconds a track lives unseen.', low=0.0, high=60.0,
                             runtime=True)
    enabled: bool = setting(True, 'Run the stage.')
    mode: str = setting('iou', 'How tracks are matched.', choices=('iou', 'center'))
    frames: tuple = setting(('map',), 'Frames to publish in.')


ENTRIES = [('', Stage), ('tracking.', Stage)]


def _parse(*argv):
    parser = argparse.ArgumentParser()
    add_setting_flags(parser, ENTRIES, {'max_age': ('--age',)}, joined=('tracking.mode',))
    return setting_values(parser.parse_args(list(argv)), ENTRIES)


def test_every_setting_gets_a_flag_with_its_type_and_default():
    assert _parse() == {'max_age': 1.5, 'enabled': True, 'mode': 'iou', 'frames': ('map',),
                        'tracking.max_age': 1.5, 'tracking.enabled': True,
                        'tracking.mode': 'iou', 'tracking.frames': ('map',)}
    values = _parse('--age', '3', '--no-enabled', '--mode', 'center', '--frames', 'a', 'b',
                    '--tracking-max-age', '0.5', '--tracking-mode', 'iou', 'center')
    assert values['max_age'] == 3.0 and values['enabled'] is False
    assert values['mode'] == 'center' and values['frames'] == ['a', 'b']
    assert values['tracking.max_age'] == 0.5 and values['tracking.mode'] == 'iou,center'
    with pytest.raises(SystemExit):
        _parse('--mode', 'nearest')


def test_flag_names_follow_the_setting_names():
    assert flag_of('triton.model_version') == '--triton-model-version'
    assert flag_of('max_batch') == '--max-batch'


def test_detect_offers_every_pipeline_setting_but_serving_while_building():
    help_text = build_parser().format_help()
    for described in settings_of_all(PIPELINE_SETTINGS):
        if described.name != 'serve_while_building':
            assert flag_of(described.name) in help_text, described.name
    for flag in ('--max-batch', '--pipeline-depth', '--device-id', '--onnxruntime-provider',
                 '--cuda-graphs', '--agnostic-nms', '--conf', '--iou', '--max-det',
                 '--engine-cache'):
        assert flag in help_text


def test_detect_flags_build_the_pipeline_config():
    args = build_parser().parse_args([
        'a.jpg', '--conf', '0.4', '--max-batch', '2', '--agnostic-nms', '--classes', '0', '2',
        '--triton-model-version', '3', '--pipeline-depth', '2'])
    config = pipeline_config(setting_values(args, DETECT_SETTINGS))
    assert (config.params.conf_threshold, config.params.agnostic) == (0.4, True)
    assert (config.max_batch, config.pipeline_depth, config.classes) == (2, 2, '0,2')
    assert config.triton.version == '3'
    args = build_parser().parse_args(['a.jpg', '--conf', '1.5'])
    with pytest.raises(ValueError, match='conf_threshold=1.5 is out of range; use 0 to 1'):
        pipeline_config(setting_values(args, DETECT_SETTINGS))
