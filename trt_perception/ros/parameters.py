# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Every node parameter, generated from the settings schemas: name, default, range, description.

The schemas (`core.schema.setting` fields) are the one description of each setting; this module
lists them per node with their prefixes, turns them into rclpy descriptors, and generates
`docs/parameters.md` and the commented `config/detector.yaml` from them
(``python -m trt_perception.ros.parameters [--yaml]``; a test fails when a shipped file differs).
"""

from dataclasses import dataclass
import json
import sys
import textwrap
from typing import Any, Dict, List, Sequence

from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                ParameterType)
import rclpy.exceptions

from trt_perception.assembly import PIPELINE_SETTINGS
from trt_perception.core.schema import (check, Described, SchemaEntry, setting, Settings,
                                        settings_of_all)
from trt_perception.ros.diagnostics import HealthThresholds
from trt_perception.ros.qos import RELIABILITIES, SUBSCRIBER_RELIABILITIES
from trt_perception.runtime.stages import STAGE_PLUGINS, StagePlugin

_ROS_TYPES = {bool: ParameterType.PARAMETER_BOOL, int: ParameterType.PARAMETER_INTEGER,
              float: ParameterType.PARAMETER_DOUBLE, str: ParameterType.PARAMETER_STRING,
              tuple: ParameterType.PARAMETER_STRING_ARRAY}

# rclpy's own refusal of a value of the wrong type reads "Wrong parameter type, expected '3'
# got '4'"; where descriptors can say so (Galactic on), run-time parameters leave the type
# check to `ParameterSpec.check`, whose refusal names the parameter and its type.  Foxy does
# not check types at all.
_DYNAMIC_TYPING = 'dynamic_typing' in ParameterDescriptor.get_fields_and_field_types()
_REFUSALS = tuple(getattr(rclpy.exceptions, name) for name in (
    'ParameterException', 'InvalidParameterValueException', 'InvalidParameterTypeException')
    if hasattr(rclpy.exceptions, name))

_QOS_DEPTH_DOC = 'History depth of the image subscriptions/publications (keep last).'


@dataclass(frozen=True)
class CameraInputSettings(Settings):
    """detector_node's cameras: topics, transport and subscription QoS."""

    image_topics: tuple = setting(
        ('image',), 'Image topics, one per camera. Outputs go next to each: <parent>/detections, '
        '<parent>/detections/debug_image and <parent>/detections/timing, where <parent> is the '
        'topic without its last name (so "image" gives "detections").')
    input_transport: str = setting(
        'raw', 'raw: sensor_msgs/Image on each topic; compressed: sensor_msgs/CompressedImage '
        '(JPEG/PNG) on <topic>/compressed; both: both.', choices=('raw', 'compressed', 'both'))
    qos_reliability: str = setting(
        'auto', 'Reliability of the image subscriptions. auto: reliable while every publisher on '
        'the topic is reliable, else best_effort, re-checked as publishers come and go; '
        'best_effort hears both kinds of publisher; reliable hears only reliable publishers (a '
        'best-effort camera then delivers nothing: the node logs that once and counts it in '
        'diagnostics).', choices=SUBSCRIBER_RELIABILITIES)
    qos_depth: int = setting(1, _QOS_DEPTH_DOC, low=1, high=100)


@dataclass(frozen=True)
class DetectorNodeSettings(Settings):
    """What detector_node itself does with frames, its life cycle and its diagnostics name."""

    max_image_pixels: int = setting(
        7680 * 4320, 'Frames with more pixels (width x height) are rejected as absurd.',
        low=1, high=2 ** 31 - 1)
    autostart: bool = setting(
        False, 'lifecycle_detector_node only: configure and activate at start, as detector_node '
        'does; false waits for lifecycle transitions.')
    hardware_id: str = setting(
        '', "hardware_id of the diagnostics; empty: the node's full name.")


@dataclass(frozen=True)
class ImageSourceSettings(Settings):
    """image_source: what it reads and how it publishes."""

    source: str = setting(
        '', 'A folder of images (published in name order), one image file, or a video file.')
    rate: float = setting(10.0, 'Frames per second.', low=0.01, high=1000.0)
    frame_id: str = setting('camera', 'header.frame_id of every frame.')
    loop: bool = setting(
        True, 'Start over after the last frame; when false, the node exits after it.')
    encoding: str = setting('bgr8', 'Encoding of the published sensor_msgs/Image.',
                            choices=('bgr8', 'rgb8', 'mono8'))
    publish_compressed: bool = setting(
        False, 'Also publish each frame as a JPEG sensor_msgs/CompressedImage on '
        'image/compressed.')
    qos_reliability: str = setting(
        'reliable', 'Reliability of the image publications: best_effort (what most camera '
        'drivers publish) or reliable.', choices=RELIABILITIES)
    qos_depth: int = setting(1, _QOS_DEPTH_DOC, low=1, high=100)


@dataclass(frozen=True)
class DetectionListenerSettings(Settings):
    """detection_listener: where annotated images go."""

    output_dir: str = setting(
        '', 'Folder to save annotated debug images in (subscribing to detections/debug_image); '
        'empty: print detections only.')
    image_format: str = setting('jpg', 'File type of the saved images.', choices=('jpg', 'png'))


def detector_settings(stage_plugins: Sequence[StagePlugin] = STAGE_PLUGINS) -> List[SchemaEntry]:
    """detector_node's schemas, in table order; each result stage's come from its plugin."""
    return ([('', CameraInputSettings)] + PIPELINE_SETTINGS
            + [(plugin.prefix, plugin.settings) for plugin in stage_plugins]
            + [('', DetectorNodeSettings), ('diagnostics.', HealthThresholds)])


DETECTOR_SETTINGS = detector_settings()
"""detector_node's schemas with the package's result stages."""


@dataclass(frozen=True)
class ParameterSpec:
    """One ROS parameter: a described setting, with its rclpy type and descriptor."""

    setting: Described

    @property
    def name(self) -> str:
        """Outside name, with its prefix ('triton.url')."""
        return self.setting.name

    @property
    def default(self) -> Any:
        """Return the default as rclpy takes it (a string array as a list)."""
        default = self.setting.default
        return list(default) if isinstance(default, tuple) else default

    @property
    def description(self) -> str:
        """Return the setting's documentation."""
        return self.setting.info.doc

    @property
    def read_only(self) -> bool:
        """Set at start-up only (not a run-time setting)."""
        return not self.setting.info.runtime

    @property
    def low(self):
        """Lowest allowed number, or None."""
        return self.setting.info.low

    @property
    def high(self):
        """Highest allowed number, or None."""
        return self.setting.info.high

    @property
    def ros_type(self) -> int:
        """Type of the parameter as an rcl_interfaces ParameterType constant."""
        return _ROS_TYPES[self.setting.python_type]

    @property
    def type_name(self) -> str:
        """Type as written in the docs."""
        return self.setting.type_name

    def constraints(self) -> str:
        """Human-readable allowed values ('' when any value of the type goes)."""
        return self.setting.info.constraints()

    def descriptor(self) -> ParameterDescriptor:
        """Build the ParameterDescriptor the node declares, ranges included (rclpy checks them)."""
        descriptor = ParameterDescriptor(
            name=self.name, type=self.ros_type, description=self.description,
            read_only=self.read_only, additional_constraints=self.constraints())
        # An empty array default has no element type: rclpy would infer a byte array from it
        # and refuse the string array a user gives, so such a parameter is typed by its value.
        if _DYNAMIC_TYPING and (not self.read_only or self.default == []):
            descriptor.dynamic_typing = True
        if self.low is None or self.high is None:
            return descriptor
        if self.setting.python_type is float:
            descriptor.floating_point_range = [
                FloatingPointRange(from_value=float(self.low), to_value=float(self.high))]
        else:
            descriptor.integer_range = [
                IntegerRange(from_value=int(self.low), to_value=int(self.high), step=1)]
        return descriptor

    def check(self, value: Any) -> Any:
        """Return `value` if allowed (a double as float), else raise ValueError naming it."""
        # A whole number is read as an integer (`-p classes:=0`, `ros2 param set ... 1`):
        # a string parameter takes it too.
        if self.setting.python_type is str and isinstance(value, int) \
                and not isinstance(value, bool):
            value = str(value)
        value = check(self.setting, value)
        return list(value) if isinstance(value, tuple) else value


def parameter_table(entries: Sequence[SchemaEntry]) -> List[ParameterSpec]:
    """Return the ROS parameters of `entries` (prefix, schema), in order."""
    return [ParameterSpec(described) for described in settings_of_all(entries)]


DETECTOR_PARAMETERS = parameter_table(DETECTOR_SETTINGS)
"""Parameters of detector_node."""

IMAGE_SOURCE_PARAMETERS = parameter_table([('', ImageSourceSettings)])
"""Parameters of image_source (publishes image and image/compressed)."""

DETECTION_LISTENER_PARAMETERS = parameter_table([('', DetectionListenerSettings)])
"""Parameters of detection_listener (subscribes to detections)."""

NODES: Dict[str, List[ParameterSpec]] = {
    'detector_node': DETECTOR_PARAMETERS,
    'image_source': IMAGE_SOURCE_PARAMETERS,
    'detection_listener': DETECTION_LISTENER_PARAMETERS,
}

RUNTIME_PARAMETERS = frozenset(spec.name for spec in DETECTOR_PARAMETERS if not spec.read_only)
"""detector_node parameters that `ros2 param set` may change while it runs."""


def declare(node, specs: Sequence[ParameterSpec]) -> Dict[str, Any]:
    """Declare `specs` on `node`; return their validated values by name (ValueError if bad)."""
    values = {}
    for spec in specs:
        try:
            node.declare_parameter(spec.name, spec.default, spec.descriptor())
        except _REFUSALS as error:
            raise ValueError('%s refused: %s (%s takes %s%s; see docs/parameters.md)' % (
                spec.name, error, spec.name, spec.setting.a_type_name,
                ', ' + spec.constraints() if spec.constraints() else '')) from None
        value = node.get_parameter(spec.name).value
        if value is None and spec.default == []:
            # A params file's `[]` reaches rclpy with no element type, as a parameter not set.
            value = []
        values[spec.name] = spec.check(value)
    return values


def changed(values: Dict[str, Any], changes: Dict[str, Any],
            table: Sequence[ParameterSpec] = DETECTOR_PARAMETERS) -> Dict[str, Any]:
    """
    Return `values` (by name) with the run-time parameters in `changes` set.

    `table` is the node's parameter table.  Raises ValueError naming a read-only parameter
    or a value out of its range.
    """
    specs = {spec.name: spec for spec in table}
    updated = dict(values)
    for name, value in changes.items():
        if specs[name].read_only:
            raise ValueError('%s is read-only: set it at start-up' % name)
        updated[name] = specs[name].check(value)
    return updated


def render_markdown(nodes: Dict[str, List[ParameterSpec]] = NODES) -> str:
    """docs/parameters.md: one table per node."""
    lines = ['# Parameters', '',
             'Generated from the settings schemas by '
             '`python -m trt_perception.ros.parameters > docs/parameters.md`; do not edit.',
             '',
             'Read-only parameters are set at start-up (params file or `-p`); the others can '
             'also be changed while the node runs, e.g. '
             '`ros2 param set /detector_node conf_threshold 0.5`.']
    for node, specs in nodes.items():
        lines += ['', '## %s' % node, '',
                  '| Name | Type | Default | Allowed | Run-time | Description |',
                  '|---|---|---|---|---|---|']
        for spec in specs:
            lines.append('| `%s` | %s | `%s` | %s | %s | %s |' % (
                spec.name, spec.type_name, json.dumps(spec.default),
                spec.constraints() or 'any', 'no' if spec.read_only else 'yes',
                spec.description.replace('|', '\\|').replace('<', '\\<')))
    return '\n'.join(lines) + '\n'


def render_yaml(specs: Sequence[ParameterSpec] = DETECTOR_PARAMETERS) -> str:
    """config/detector.yaml: every parameter at its default, each under its description."""
    lines = ['# detector_node parameters, generated from the settings schemas by',
             '# python -m trt_perception.ros.parameters --yaml > config/detector.yaml',
             '# (do not edit); docs/parameters.md describes each one.',
             '# Use with: ros2 run trt_perception detector_node --ros-args --params-file '
             'detector.yaml',
             '/**:', '  ros__parameters:']
    group = ''
    names = {spec.name for spec in specs}
    for spec in specs:
        outer, _, key = spec.name.rpartition('.')
        if outer in names:
            # Nested under a parameter's own name (the `tracking` switch), YAML would hold
            # that key twice: such members are written flat, by full name.
            outer, key = '', spec.name
        if outer != group:
            if outer:
                lines.append('    %s:' % outer)
            group = outer
        indent = ' ' * (6 if outer else 4)
        allowed = spec.constraints()
        comment = spec.description + (' (%s)' % allowed if allowed else '') + (
            '' if spec.read_only else ' Changeable at run time.')
        lines += [indent + '# ' + line for line in textwrap.wrap(comment, 96 - len(indent))]
        lines.append('%s%s: %s' % (indent, key, json.dumps(spec.default)))
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    sys.stdout.write(render_yaml() if sys.argv[1:] == ['--yaml'] else render_markdown())
