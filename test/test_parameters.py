# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for the parameter table, its descriptors and docs/parameters.md."""

import os

import pytest
from ros_imports import ros_imports

with ros_imports():
    from rcl_interfaces.msg import ParameterType

from trt_perception.assembly import detection_params
from trt_perception.core.decoders import parse_classes
from trt_perception.core.schema import settings_of
from trt_perception.ros.parameters import (changed, DETECTOR_PARAMETERS, NODES, render_markdown,
                                           render_yaml, RUNTIME_PARAMETERS)
from trt_perception.runtime.stages import STAGE_PLUGINS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = ['person', 'bicycle', 'car']


def test_docs_are_generated_from_the_table():
    with open(os.path.join(ROOT, 'docs', 'parameters.md'), encoding='utf-8') as stream:
        assert stream.read() == render_markdown(), (
            'docs/parameters.md is stale: python -m trt_perception.ros.parameters > '
            'docs/parameters.md')


def test_every_spec_has_a_valid_default_and_descriptor():
    for specs in NODES.values():
        names = [spec.name for spec in specs]
        assert len(names) == len(set(names))
        for spec in specs:
            assert spec.check(spec.default) == spec.default
            descriptor = spec.descriptor()
            assert descriptor.description and descriptor.type == spec.ros_type
            assert descriptor.read_only == spec.read_only
            if spec.low is not None:
                ranges = descriptor.floating_point_range or descriptor.integer_range
                assert (ranges[0].from_value, ranges[0].to_value) == (spec.low, spec.high)


TRACKER_TUNING = {'tracking.high_threshold', 'tracking.low_threshold',
                  'tracking.new_track_threshold', 'tracking.match_iou', 'tracking.track_buffer',
                  'tracking.min_hits'}
"""The tracker's settings but its switch: they change at run time."""
STAGE_TUNING = {described.name for plugin in STAGE_PLUGINS
                for described in settings_of(plugin.settings, plugin.prefix)
                if described.info.runtime}
"""The result stages' settings that their schemas let change at run time."""


def test_only_thresholds_class_filter_and_stage_tuning_change_at_run_time():
    assert TRACKER_TUNING <= STAGE_TUNING
    runtime = {spec.name for spec in DETECTOR_PARAMETERS if not spec.read_only}
    assert runtime == {'conf_threshold', 'iou_threshold', 'max_detections', 'classes',
                       'agnostic_nms'} | STAGE_TUNING


def test_an_empty_string_array_default_still_takes_a_string_array():
    # rclpy infers a byte array from [] and would refuse depth.topics:=['...'] otherwise.
    spec = {s.name: s for s in DETECTOR_PARAMETERS}['depth.topics']
    assert spec.read_only and spec.default == []
    assert spec.descriptor().dynamic_typing


def test_check_names_the_value_and_what_is_allowed():
    spec = {s.name: s for s in DETECTOR_PARAMETERS}
    with pytest.raises(ValueError, match=r"backend='cuda'.*auto, onnxruntime, tensorrt"):
        spec['backend'].check('cuda')
    with pytest.raises(ValueError, match='conf_threshold=1.5.*0 to 1'):
        spec['conf_threshold'].check(1.5)
    assert spec['image_topics'].ros_type == ParameterType.PARAMETER_STRING_ARRAY


def test_parse_classes_takes_names_and_ids():
    assert parse_classes('', LABELS) is None
    assert parse_classes(' , ', LABELS) is None
    assert parse_classes('person, car', LABELS) == frozenset({0, 2})
    assert parse_classes('1,2', LABELS) == frozenset({1, 2})
    assert parse_classes('1,7', []) == frozenset({1, 7})
    # Issue 12: an id the model does not have used to filter out every detection silently.
    with pytest.raises(ValueError, match='class id 3 is not in this model, which has 3 classes'):
        parse_classes('1,3', LABELS)
    with pytest.raises(ValueError, match="'dog' is neither"):
        parse_classes('person,dog', LABELS)
    with pytest.raises(ValueError):
        parse_classes('-1', LABELS)


def test_the_params_file_is_generated_from_the_table():
    with open(os.path.join(ROOT, 'config', 'detector.yaml'), encoding='utf-8') as stream:
        assert stream.read() == render_yaml(), (
            'config/detector.yaml is stale: python -m trt_perception.ros.parameters --yaml > '
            'config/detector.yaml')


def test_a_parameter_named_like_a_group_keeps_the_group_flat_in_the_params_file():
    # `tracking: false` and a `tracking:` map would be one YAML key twice; rcl reads the
    # dotted keys as the same parameters.
    text = render_yaml()
    assert '\n    tracking: false\n' in text and '\n    tracking.min_hits: 2\n' in text
    assert '\n    tracking:\n' not in text


def test_run_time_changes_are_checked_against_the_table():
    defaults = {s.name: s.default for s in DETECTOR_PARAMETERS}
    updated = changed(defaults, {'conf_threshold': 0.6, 'classes': 'car'})
    assert (updated['conf_threshold'], updated['classes']) == (0.6, 'car')
    params = detection_params(updated, LABELS)
    assert (params.conf_threshold, params.classes, params.agnostic) == (0.6, {2}, False)
    with pytest.raises(ValueError, match='conf_threshold=2.0 is out of range'):
        changed(defaults, {'conf_threshold': 2.0})
    with pytest.raises(ValueError, match='backend is read-only'):
        changed(defaults, {'backend': 'tensorrt'})
    assert RUNTIME_PARAMETERS == {'conf_threshold', 'iou_threshold', 'max_detections',
                                  'classes', 'agnostic_nms'} | STAGE_TUNING


def test_a_new_schema_entry_reaches_the_table_the_flags_and_the_docs():
    import argparse
    from dataclasses import dataclass

    from trt_perception.core.schema import setting, Settings
    from trt_perception.ros.parameters import DETECTOR_SETTINGS, parameter_table
    from trt_perception.tools.detect import build_parser
    from trt_perception.tools.setting_flags import setting_values

    @dataclass(frozen=True)
    class Throwaway(Settings):
        """A stage's settings, declared once."""

        max_age: float = setting(2.0, 'Seconds a track lives unseen.', low=0.0, high=60.0,
                                 runtime=True)

    entries = DETECTOR_SETTINGS + [('throwaway.', Throwaway)]
    table = parameter_table(entries)
    spec = {s.name: s for s in table}['throwaway.max_age']
    assert not spec.read_only and spec.descriptor().floating_point_range[0].to_value == 60.0
    assert '| `throwaway.max_age` | double | `2.0` | 0 to 60 | yes | Seconds a track' in \
        render_markdown({'detector_node': table})
    assert '    throwaway:\n      # Seconds a track lives unseen. (0 to 60) Changeable at run ' \
        'time.\n      max_age: 2.0\n' in render_yaml(table)
    args = build_parser([('throwaway.', Throwaway)]).parse_args(
        ['a.jpg', '--throwaway-max-age', '3'])
    assert isinstance(args, argparse.Namespace)
    assert setting_values(args, [('throwaway.', Throwaway)]) == {'throwaway.max_age': 3.0}
