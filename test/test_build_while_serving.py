# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The node serves with ONNX Runtime while a TensorRT engine builds, then switches, losing nothing.

TensorRT cannot run here, so the pipeline the build hands over is a FAKE: `FakeTensorRTBackend`
is ONNX Runtime underneath and only calls itself 'fake-tensorrt'. It proves the node's swap
(between two batches, the subscription untouched, every frame detected), never that TensorRT
works; test_engine_builds.py runs a real TensorRT-RTX build on the CPU.
"""

from dataclasses import replace
import threading

import pytest
from ros_imports import ros_imports

with ros_imports():
    from diagnostic_msgs.msg import DiagnosticStatus
    from sensor_msgs.msg import Image

from test_detector_node import photo_message, wait_for  # noqa: E402
from trt_perception.assembly import create_pipeline  # noqa: E402
from trt_perception.core.backend import BackendError  # noqa: E402
from trt_perception.core.decoders import make_decoder  # noqa: E402
from trt_perception.core.detection import load_labels  # noqa: E402
from trt_perception.core.models import find_model  # noqa: E402
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend  # noqa: E402
from trt_perception.core.pipeline import DetectionPipeline, preprocess_spec  # noqa: E402
from trt_perception.core.preprocess import CpuPreprocessor  # noqa: E402
from trt_perception.engine_builds import BuildTarget, EngineBuild  # noqa: E402
import trt_perception.runtime.detector as detector  # noqa: E402


class FakeTensorRTBackend(OnnxRuntimeBackend):
    """A FAKE TensorRT backend: ONNX Runtime, named so the swap can be seen."""

    name = 'fake-tensorrt'


def fake_tensorrt_pipeline(config):
    """Assemble a pipeline around the FAKE backend, as create_pipeline would on the CPU."""
    card = find_model(config.model)
    backend = FakeTensorRTBackend(card.path, max_batch=config.max_batch)
    decoder = make_decoder(card.output_format, backend.outputs,
                           load_labels(card.labels_path) if card.labels_path else [],
                           normalized_boxes=card.normalized_boxes)
    return DetectionPipeline(backend, CpuPreprocessor(preprocess_spec(card, backend)), decoder)


@pytest.fixture
def build_gate(monkeypatch):
    """Make the node's background build hand over a FAKE TensorRT pipeline once the gate opens."""
    gate = {'open': threading.Event(), 'error': None}

    def start_pipeline(config, log):
        serving = create_pipeline(replace(config, backend='onnxruntime'), log=log)

        def build():
            assert gate['open'].wait(120)
            if gate['error']:
                raise BackendError(gate['error'])
            return fake_tensorrt_pipeline(config)
        return serving, EngineBuild(build, BuildTarget('ssd_mobilenet_v2_coco', 'fp16', '/cache'),
                                    log, close=DetectionPipeline.close)
    monkeypatch.setattr(detector, 'start_pipeline', start_pipeline)
    return gate


def engine_status(ros, node, predicate):
    name = '%s: engine' % node.get_name()

    def match():
        for array in reversed(ros.diagnostics[-10:]):
            for status in array.status:
                values = {kv.key: kv.value for kv in status.values}
                if status.name == name and predicate(status, values):
                    return status, values
        return None
    return wait_for(match, what='engine status of %s' % node.get_name())


def test_detects_while_building_then_switches_without_losing_a_frame(ros, build_gate):
    node = ros.detector(qos_reliability='reliable')
    camera = ros.peer.create_publisher(Image, 'image', 10)
    found = ros.listen('detections')
    wait_for(lambda: camera.get_subscription_count() == 1 and node.count_publishers('image'),
             what='the node subscribing')
    subscription = node._cameras[0].subscriptions[0].subscription
    sent = []

    def one_frame():
        sent.append(photo_message('astronaut', len(sent) + 1))
        camera.publish(sent[-1])
        wait_for(lambda: len(found) == len(sent), what='detections of frame %d' % len(sent))

    one_frame()
    status, values = engine_status(ros, node, lambda s, v: v.get('engine_build') == 'building')
    assert status.level == DiagnosticStatus.WARN
    assert 'building the TensorRT engine' in status.message
    assert values['backend'] == 'onnxruntime' and values['engine_build_cache'] == '/cache'
    one_frame()
    build_gate['open'].set()
    while node._detector.pipeline.backend.name != 'fake-tensorrt':
        one_frame()
    one_frame()
    status, values = engine_status(ros, node, lambda s, v: v['backend'] == 'fake-tensorrt')
    assert status.level == DiagnosticStatus.OK and values['engine_build'] == 'in use'
    assert [f.header.stamp.sec for f in found] == [m.header.stamp.sec for m in sent]
    assert node._cameras[0].subscriptions[0].subscription is subscription
    assert camera.get_subscription_count() == 1


def test_a_failed_build_is_an_error_and_the_node_keeps_detecting(ros, build_gate):
    build_gate['error'] = 'engine build ran out of GPU memory (workspace 2 GiB)'
    build_gate['open'].set()
    node = ros.detector()
    status, values = engine_status(ros, node, lambda s, v: v.get('engine_build') == 'failed')
    assert status.level == DiagnosticStatus.ERROR and 'out of GPU memory' in status.message
    ros.detections_for('detections', ros.publisher('image'), photo_message('astronaut', 5))
