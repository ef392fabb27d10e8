# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The one table of every node parameter: name, default, range, description, read-only.

The nodes declare their parameters from here, the launch-file test checks against it, and
`docs/parameters.md` is generated from it (``python -m trt_perception.ros.parameters``; a test
fails when the file is out of date).
"""

from dataclasses import dataclass, replace
import json
import numbers
import sys
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                ParameterType)
import rclpy.exceptions

from trt_perception.assembly import BACKENDS, ONNXRUNTIME_PROVIDERS, PREPROCESSORS
from trt_perception.core.backend import PRECISIONS
from trt_perception.core.decoders import DECODERS, DetectionParams
from trt_perception.ros.qos import RELIABILITIES, SUBSCRIBER_RELIABILITIES
from trt_perception.triton.transport import SHARED_MEMORY

_TYPES = (
    (bool, ParameterType.PARAMETER_BOOL, 'bool'),
    (int, ParameterType.PARAMETER_INTEGER, 'integer'),
    (float, ParameterType.PARAMETER_DOUBLE, 'double'),
    (str, ParameterType.PARAMETER_STRING, 'string'),
    (list, ParameterType.PARAMETER_STRING_ARRAY, 'string array'),
)

# rclpy's own refusal of a value of the wrong type reads "Wrong parameter type, expected '3'
# got '4'"; where descriptors can say so (Galactic on), run-time parameters leave the type
# check to `ParameterSpec.check`, whose refusal names the parameter and its type.  Foxy does
# not check types at all.
_DYNAMIC_TYPING = 'dynamic_typing' in ParameterDescriptor.get_fields_and_field_types()
_REFUSALS = tuple(getattr(rclpy.exceptions, name) for name in (
    'ParameterException', 'InvalidParameterValueException', 'InvalidParameterTypeException')
    if hasattr(rclpy.exceptions, name))


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter; its type is the type of `default` (a list means a string array)."""

    name: str
    default: Any
    description: str
    read_only: bool = True
    low: Optional[float] = None
    high: Optional[float] = None
    choices: Tuple[str, ...] = ()

    @property
    def ros_type(self) -> int:
        """Type of the parameter as an rcl_interfaces ParameterType constant."""
        return self._type()[1]

    @property
    def type_name(self) -> str:
        """Type as written in the docs."""
        return self._type()[2]

    @property
    def a_type_name(self) -> str:
        """Type with its article, for messages: 'an integer', 'a double'."""
        return ('an ' if self.type_name[0] in 'aeiou' else 'a ') + self.type_name

    def _type(self) -> Tuple[type, int, str]:
        # bool is checked before int because bool is a subclass of int.
        for python_type, ros_type, name in _TYPES:
            if isinstance(self.default, python_type):
                return python_type, ros_type, name
        raise TypeError('parameter %s has a default of unsupported type %r'
                        % (self.name, type(self.default).__name__))

    def constraints(self) -> str:
        """Human-readable allowed values ('' when any value of the type goes)."""
        if self.choices:
            return 'one of: ' + ', '.join(self.choices)
        if self.low is not None and self.high is not None:
            return '%s to %s' % (_number(self.low), _number(self.high))
        return ''

    def descriptor(self) -> ParameterDescriptor:
        """Build the ParameterDescriptor the node declares, ranges included (rclpy checks them)."""
        descriptor = ParameterDescriptor(
            name=self.name, type=self.ros_type, description=self.description,
            read_only=self.read_only, additional_constraints=self.constraints())
        if _DYNAMIC_TYPING and not self.read_only:
            descriptor.dynamic_typing = True
        if self.low is None or self.high is None:
            return descriptor
        if isinstance(self.default, float):
            descriptor.floating_point_range = [
                FloatingPointRange(from_value=float(self.low), to_value=float(self.high))]
        else:
            descriptor.integer_range = [
                IntegerRange(from_value=int(self.low), to_value=int(self.high), step=1)]
        return descriptor

    def check(self, value: Any) -> Any:
        """Return `value` if allowed (a double as float), else raise ValueError naming it."""
        allowed = self.constraints()
        python_type = self._type()[0]
        # A whole number is read as an integer (`-p classes:=0`, `ros2 param set ... 1`):
        # a double or a string parameter takes it too.
        if python_type is str and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        wanted = (int, float) if python_type is float else python_type
        if isinstance(value, bool) != (python_type is bool) or not isinstance(value, wanted):
            raise ValueError('%s=%r has type %s; %s takes %s%s' % (
                self.name, value, type(value).__name__, self.name, self.a_type_name,
                ' (%s)' % allowed if allowed else ''))
        if self.choices and value not in self.choices:
            raise ValueError('%s=%r is not allowed; use %s' % (self.name, value, allowed))
        if self.low is not None and self.high is not None and (
                isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not self.low <= float(value) <= self.high):
            raise ValueError('%s=%r is out of range; use %s' % (self.name, value, allowed))
        if python_type is float and isinstance(value, int):
            return float(value)
        return value


def _number(value: float) -> str:
    return '%d' % value if value == int(value) else '%g' % value


def _qos(reliability: str, description: str, choices: Tuple[str, ...]) -> List[ParameterSpec]:
    return [
        ParameterSpec('qos_reliability', reliability, description, choices=choices),
        ParameterSpec('qos_depth', 1,
                      'History depth of the image subscriptions/publications (keep last).',
                      low=1, high=100),
    ]


DETECTOR_PARAMETERS: List[ParameterSpec] = [
    ParameterSpec('image_topics', ['image'],
                  'Image topics, one per camera. Outputs go next to each: <parent>/detections, '
                  '<parent>/detections/debug_image and <parent>/detections/timing, where '
                  '<parent> is the topic without its last name (so "image" gives '
                  '"detections").'),
    ParameterSpec('input_transport', 'raw',
                  'raw: sensor_msgs/Image on each topic; compressed: '
                  'sensor_msgs/CompressedImage (JPEG/PNG) on <topic>/compressed; both: both.',
                  choices=('raw', 'compressed', 'both')),
] + _qos('auto',
         'Reliability of the image subscriptions. auto: reliable while every publisher on the '
         'topic is reliable, else best_effort, re-checked as publishers come and go; '
         'best_effort hears both kinds of publisher; reliable hears only reliable publishers '
         '(a best-effort camera then delivers nothing: the node logs that once and counts it '
         'in diagnostics).', SUBSCRIBER_RELIABILITIES) + [
    ParameterSpec('model', '',
                  'ONNX model (.onnx) or TensorRT engine (.engine/.plan) path, or a bundled '
                  'model name; empty for the bundled default.'),
    ParameterSpec('backend', 'auto',
                  'auto: TensorRT when it and a GPU are available, else ONNX Runtime (the '
                  'reason is logged and shown in diagnostics); or force one. triton: a Triton '
                  'Inference Server runs the model (triton.* parameters); never chosen by '
                  'auto.',
                  choices=BACKENDS),
    ParameterSpec('preprocess', 'auto',
                  'Where letterboxing and normalisation run; auto: on the GPU when the backend '
                  'is TensorRT.', choices=PREPROCESSORS),
    ParameterSpec('decoder', 'auto',
                  'Output format of the model; auto: from the model card.', choices=DECODERS),
    ParameterSpec('labels', '',
                  "Class name file, one name per line; empty: the model's own labels."),
    ParameterSpec('device_id', 0, 'CUDA device index.', low=0, high=63),
    ParameterSpec('precision', 'fp16', 'Precision of TensorRT engines built from ONNX.',
                  choices=PRECISIONS),
    ParameterSpec('engine_cache_dir', '',
                  'Folder for TensorRT engines built from ONNX; empty: '
                  '$TRT_PERCEPTION_ENGINE_CACHE, else engines/ of a source checkout, else '
                  '~/.cache/trt_perception/engines.'),
    ParameterSpec('serve_while_building', True,
                  'While a TensorRT engine is resolved (loaded from the cache or built, which '
                  'can take many minutes), detect with ONNX Runtime and switch to TensorRT when '
                  'it is ready; false: start only once the engine is there.'),
    ParameterSpec('max_batch', 1,
                  'Frames from different cameras run together in one inference, at most this '
                  'many.', low=1, high=64),
    ParameterSpec('pipeline_depth', 0,
                  'Batches in flight at once on a GPU backend or a Triton server, each with '
                  'its own buffers: the CPU converts and decodes one batch while the GPU or '
                  'server runs another. 0: 2 for TensorRT, for ONNX Runtime with cuda_graphs '
                  'and for Triton, else 1.', low=0, high=8),
    ParameterSpec('onnxruntime_provider', 'auto',
                  'How ONNX Runtime runs the model. auto: its CUDA provider when pycuda, a GPU '
                  'and onnxruntime-gpu are there (the input written in place by the GPU '
                  'preprocessing), else the CPU; cuda or tensorrt (ONNX Runtime builds and '
                  'caches TensorRT engines in engine_cache_dir) require it; cpu: never the GPU.',
                  choices=ONNXRUNTIME_PROVIDERS),
    ParameterSpec('cuda_graphs', False,
                  "Capture ONNX Runtime's GPU runs as CUDA graphs and replay them (one per "
                  'batch size): about half the inference time of small models such as YOLOv8n '
                  'on an H200, for models whose operators all run on the GPU.'),
    ParameterSpec('triton.url', 'grpc://127.0.0.1:8001',
                  'Backend triton: the server, grpc://host:port or http://host:port.'),
    ParameterSpec('triton.model', '',
                  "Backend triton: model name in the server's repository; empty: the model "
                  "card's name. The model parameter still names the local ONNX model (or "
                  'bundled name) for preprocessing, decoding and the tensor check.'),
    ParameterSpec('triton.model_version', '',
                  "Backend triton: model version; empty: the server's version policy."),
    ParameterSpec('triton.timeout', 1.0,
                  'Backend triton: seconds one request or health check may take; past it the '
                  'batch fails and the backend reconnects with backoff.', low=0.01, high=600.0),
    ParameterSpec('triton.shared_memory', 'none',
                  'Backend triton: none: tensors travel in the request; system: POSIX shared '
                  'memory, for a server on the same host; cuda: the input in CUDA shared '
                  'memory written by GPU preprocessing, for a server on the same host and '
                  'GPU (not Jetson: no CUDA IPC there).', choices=SHARED_MEMORY),
    ParameterSpec('conf_threshold', 0.25, 'Minimum detection score.', read_only=False,
                  low=0.0, high=1.0),
    ParameterSpec('iou_threshold', 0.45, 'Overlap (IoU) above which NMS suppresses a box.',
                  read_only=False, low=0.0, high=1.0),
    ParameterSpec('max_detections', 100, 'Most detections reported per image.',
                  read_only=False, low=1, high=10000),
    ParameterSpec('classes', '',
                  'Classes to report, comma-separated names or ids (e.g. "person, car" or '
                  '"0,2"); empty: all.', read_only=False),
    ParameterSpec('agnostic_nms', False, 'Let boxes of different classes suppress each other.',
                  read_only=False),
    ParameterSpec('max_image_pixels', 7680 * 4320,
                  'Frames with more pixels (width x height) are rejected as absurd.',
                  low=1, high=2 ** 31 - 1),
    ParameterSpec('autostart', False,
                  'lifecycle_detector_node only: configure and activate at start, as '
                  'detector_node does; false waits for lifecycle transitions.'),
    ParameterSpec('hardware_id', '',
                  "hardware_id of the diagnostics; empty: the node's full name."),
    ParameterSpec('diagnostics.window', 5.0,
                  'Seconds of history behind the rates and latency percentiles.',
                  low=0.5, high=3600.0),
    ParameterSpec('diagnostics.expected_fps', 0.0,
                  'Output rate each camera should reach; WARN below expected_fps x '
                  '(1 - fps_tolerance). 0 disables the check.', low=0.0, high=10000.0),
    ParameterSpec('diagnostics.fps_tolerance', 0.1,
                  'Allowed shortfall of the output rate, as a fraction of expected_fps.',
                  low=0.0, high=1.0),
    ParameterSpec('diagnostics.max_latency_ms', 1000.0,
                  'WARN when the p95 receipt-to-publish latency exceeds this. 0 disables.',
                  low=0.0, high=600000.0),
    ParameterSpec('diagnostics.stale_timeout', 5.0,
                  'ERROR when a camera sent no frame for this many seconds. 0 disables.',
                  low=0.0, high=3600.0),
    ParameterSpec('diagnostics.stall_timeout', 5.0,
                  'ERROR when frames arrive but none is detected for this many seconds, or '
                  'the inference worker spends longer than this on one batch. 0 disables.',
                  low=0.0, high=3600.0),
]
"""Parameters of detector_node."""

IMAGE_SOURCE_PARAMETERS: List[ParameterSpec] = [
    ParameterSpec('source', '',
                  'A folder of images (published in name order), one image file, or a video '
                  'file.'),
    ParameterSpec('rate', 10.0, 'Frames per second.', low=0.01, high=1000.0),
    ParameterSpec('frame_id', 'camera', 'header.frame_id of every frame.'),
    ParameterSpec('loop', True,
                  'Start over after the last frame; when false, the node exits after it.'),
    ParameterSpec('encoding', 'bgr8', 'Encoding of the published sensor_msgs/Image.',
                  choices=('bgr8', 'rgb8', 'mono8')),
    ParameterSpec('publish_compressed', False,
                  'Also publish each frame as a JPEG sensor_msgs/CompressedImage on '
                  'image/compressed.'),
] + _qos('reliable', 'Reliability of the image publications: best_effort (what most camera '
         'drivers publish) or reliable.', RELIABILITIES)
"""Parameters of image_source (publishes image and image/compressed)."""

DETECTION_LISTENER_PARAMETERS: List[ParameterSpec] = [
    ParameterSpec('output_dir', '',
                  'Folder to save annotated debug images in (subscribing to '
                  'detections/debug_image); empty: print detections only.'),
    ParameterSpec('image_format', 'jpg', 'File type of the saved images.',
                  choices=('jpg', 'png')),
]
"""Parameters of detection_listener (subscribes to detections)."""

NODES: Dict[str, List[ParameterSpec]] = {
    'detector_node': DETECTOR_PARAMETERS,
    'image_source': IMAGE_SOURCE_PARAMETERS,
    'detection_listener': DETECTION_LISTENER_PARAMETERS,
}


def attribute(name: str) -> str:
    """Return the Python name of parameter `name` ('diagnostics.window': 'diagnostics_window')."""
    return name.replace('.', '_')


@dataclass(frozen=True)
class DetectorParameters:
    """detector_node's parameters, typed; one field per `DETECTOR_PARAMETERS` entry."""

    image_topics: List[str]
    input_transport: str
    qos_reliability: str
    qos_depth: int
    model: str
    backend: str
    preprocess: str
    decoder: str
    labels: str
    device_id: int
    precision: str
    engine_cache_dir: str
    serve_while_building: bool
    max_batch: int
    pipeline_depth: int
    onnxruntime_provider: str
    cuda_graphs: bool
    triton_url: str
    triton_model: str
    triton_model_version: str
    triton_timeout: float
    triton_shared_memory: str
    conf_threshold: float
    iou_threshold: float
    max_detections: int
    classes: str
    agnostic_nms: bool
    max_image_pixels: int
    autostart: bool
    hardware_id: str
    diagnostics_window: float
    diagnostics_expected_fps: float
    diagnostics_fps_tolerance: float
    diagnostics_max_latency_ms: float
    diagnostics_stale_timeout: float
    diagnostics_stall_timeout: float

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> 'DetectorParameters':
        """Build from checked values keyed by parameter name (as `declare` returns them)."""
        return cls(**{attribute(name): value for name, value in values.items()})

    def changed(self, values: Mapping[str, Any]) -> 'DetectorParameters':
        """
        Return a copy with the run-time parameters in `values` (by name) changed.

        Raises ValueError naming a read-only parameter or a value out of its range.
        """
        specs = {spec.name: spec for spec in DETECTOR_PARAMETERS}
        changes = {}
        for name, value in values.items():
            if specs[name].read_only:
                raise ValueError('%s is read-only: set it at start-up' % name)
            changes[attribute(name)] = specs[name].check(value)
        return replace(self, **changes)

    def detection_params(self, labels: Sequence[str]) -> DetectionParams:
        """Thresholds and class filter for the pipeline; raises ValueError for bad classes."""
        return DetectionParams(conf_threshold=self.conf_threshold,
                               iou_threshold=self.iou_threshold,
                               max_detections=self.max_detections,
                               classes=parse_classes(self.classes, labels),
                               agnostic=self.agnostic_nms)


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
                spec.name, error, spec.name, spec.a_type_name,
                ', ' + spec.constraints() if spec.constraints() else '')) from None
        values[spec.name] = spec.check(node.get_parameter(spec.name).value)
    return values


def parse_classes(text: str, labels: Sequence[str]) -> Optional[FrozenSet[int]]:
    """
    Class ids named by a 'classes' value: names or ids, comma-separated; '' means all.

    With `labels` (one per class of the model), an id the model does not have is refused: it
    would silently filter out every detection.
    """
    ids = set()
    for item in (part.strip() for part in text.split(',')):
        if not item:
            continue
        if item in labels:
            ids.add(list(labels).index(item))
        elif item.isdigit():
            if labels and int(item) >= len(labels):
                raise ValueError('classes=%r: class id %s is not in this model, which has %d '
                                 'classes (ids 0 to %d); give names or ids from its labels'
                                 % (text, item, len(labels), len(labels) - 1))
            ids.add(int(item))
        else:
            raise ValueError("classes=%r: %r is neither a class id nor one of the model's "
                             'labels (%s)' % (text, item, ', '.join(labels) or 'none'))
    return frozenset(ids) or None


def render_markdown() -> str:
    """docs/parameters.md: one table per node."""
    lines = ['# Parameters', '',
             'Generated from `trt_perception/ros/parameters.py` by '
             '`python -m trt_perception.ros.parameters > docs/parameters.md`; do not edit.',
             '',
             'Read-only parameters are set at start-up (params file or `-p`); the others can '
             'also be changed while the node runs, e.g. '
             '`ros2 param set /detector_node conf_threshold 0.5`.']
    for node, specs in NODES.items():
        lines += ['', '## %s' % node, '',
                  '| Name | Type | Default | Allowed | Run-time | Description |',
                  '|---|---|---|---|---|---|']
        for spec in specs:
            lines.append('| `%s` | %s | `%s` | %s | %s | %s |' % (
                spec.name, spec.type_name, json.dumps(spec.default),
                spec.constraints() or 'any', 'no' if spec.read_only else 'yes',
                spec.description.replace('|', '\\|').replace('<', '\\<')))
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    sys.stdout.write(render_markdown())
