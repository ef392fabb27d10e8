# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Integration tests of DetectorNode through real rclpy and DDS, with the bundled model.

Nodes run in-process on their own rclpy Context with a MultiThreadedExecutor spinning on a
thread; each test uses its own namespace.  The executable-level tests start the node as a
subprocess.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import cv2
from fake_backend import FirstCall, raising
import numpy as np
import pytest
from ros_imports import ros_imports

with ros_imports():
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
    from rcl_interfaces.msg import Parameter as ParameterMsg
    from rcl_interfaces.msg import ParameterType, ParameterValue
    from rcl_interfaces.srv import SetParameters
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import CompressedImage, Image
    from std_msgs.msg import Float64MultiArray
    import vision_msgs.msg  # noqa: F401 (the node publishes vision_msgs)
skimage_data = pytest.importorskip('skimage.data')

from trt_perception.assembly import create_pipeline, PipelineConfig  # noqa: E402
from trt_perception.core.image import RawImage  # noqa: E402
from trt_perception.core.models import find_model  # noqa: E402
from trt_perception.ros import detector_node  # noqa: E402
from trt_perception.ros.camera_stream import TIMING_FIELDS, timing_fields  # noqa: E402
from trt_perception.ros.detector_node import DetectorNode  # noqa: E402
from trt_perception.ros.image_conversion import array_to_compressed  # noqa: E402
from trt_perception.ros.image_conversion import array_to_image  # noqa: E402
from trt_perception.ros.vision_msgs_compat import VisionMsgsLayout  # noqa: E402
from trt_perception.tensorrt import tensorrt_unavailable_reason  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASTRONAUT_PERSON = (0.0, 0.0, 380.0, 512.0)
"""Hand-drawn box around the astronaut in skimage.data.astronaut() (512 x 512)."""

try:
    find_model('')
except (ValueError, FileNotFoundError) as error:
    pytest.skip('the bundled model is not prepared (%s): run scripts/setup.sh' % error,
                allow_module_level=True)


def wait_for(predicate, timeout=30.0, every=None, what='condition'):
    """Poll `predicate` (calling `every` first each round) until true, else fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if every is not None:
            every()
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError('timed out after %.0f s waiting for %s' % (timeout, what))


def engine_status(ros, node, predicate, timeout=30.0):
    """Wait for an engine status of `node` satisfying predicate(status, values)."""
    name = '%s: engine' % node.get_name()

    def match():
        for array in reversed(ros.diagnostics[-20:]):
            for status in array.status:
                values = {kv.key: kv.value for kv in status.values}
                if status.name == name and predicate(status, values):
                    return status, values
        return None
    return wait_for(match, timeout, what='engine diagnostics of %s' % node.get_name())


def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def photo_message(name, sec, frame_id='camera', padding=0):
    """Build a rgb8 Image of a scikit-image photo, rows padded by `padding` bytes."""
    rgb = getattr(skimage_data, name)()
    msg = array_to_image(rgb, 'rgb8')
    if padding:
        rows = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.step)
        padded = np.concatenate([rows, np.full((msg.height, padding), 7, np.uint8)], axis=1)
        msg.step += padding
        msg.data = padded.tobytes()
    msg.header.frame_id = frame_id
    msg.header.stamp.sec = sec
    return msg


class Harness:
    """A Context, an executor on a thread, a peer node and helpers to talk to a detector."""

    def __init__(self):
        self.namespace = '/t_' + uuid.uuid4().hex[:8]
        self.context = Context()
        rclpy.init(context=self.context)
        self.executor = MultiThreadedExecutor(num_threads=4, context=self.context)
        self.peer = rclpy.create_node('peer', namespace=self.namespace, context=self.context)
        self.layout = VisionMsgsLayout()
        self.nodes = [self.peer]
        self.received = {}
        self.diagnostics = []
        self.peer.create_subscription(DiagnosticArray, '/diagnostics',
                                      self.diagnostics.append, 50)
        self.executor.add_node(self.peer)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def detector(self, **parameters):
        overrides = [Parameter(name.replace('__', '.'), value=value)
                     for name, value in parameters.items()]
        node = DetectorNode(context=self.context, namespace=self.namespace,
                            parameter_overrides=overrides)
        self.nodes.append(node)
        self.executor.add_node(node)
        return node

    def listen(self, topic, msg_type=None):
        """Collect messages on `topic` (detections by default) into a list."""
        messages = self.received.setdefault(topic, [])
        self.peer.create_subscription(msg_type or self.layout.array_type, topic,
                                      messages.append, 100)
        return messages

    def publisher(self, topic, msg_type=Image):
        return self.peer.create_publisher(msg_type, topic, 10)

    def detections_for(self, topic, publisher, msg, timeout=30.0):
        """Publish `msg` until detections with its stamp arrive on `topic`; return them."""
        messages = self.received.get(topic) or self.listen(topic)

        def match():
            for found in messages:
                if found.header.stamp == msg.header.stamp:
                    return found
            return None
        found = wait_for(match, timeout, every=lambda: publisher.publish(msg),
                         what='detections on %s' % topic)
        return found, self.layout.from_message(found)

    def camera_status(self, node, topic, predicate=lambda status, values: True, timeout=30.0):
        """Wait for a diagnostics status of `node`'s camera `topic` that satisfies predicate."""
        name = '%s: camera %s' % (node.get_name(), topic)
        hardware_id = node.get_fully_qualified_name()

        def match():
            for array in reversed(self.diagnostics[-20:]):
                for status in array.status:
                    values = {kv.key: kv.value for kv in status.values}
                    if status.name == name and status.hardware_id == hardware_id \
                            and predicate(status, values):
                        return status, values
            return None
        return wait_for(match, timeout, what='diagnostics of %s' % name)

    def close(self):
        self.executor.shutdown(timeout_sec=5)
        self.thread.join(10)
        for node in reversed(self.nodes):
            node.destroy_node()
        rclpy.shutdown(context=self.context)


@pytest.fixture(scope='module')
def reference():
    """Run the core pipeline alone, the independent reference for the node's boxes."""
    with create_pipeline(PipelineConfig(backend='onnxruntime')) as pipeline:
        yield pipeline


def test_person_detected_with_source_header_and_source_pixel_boxes(ros, reference):
    ros.detector(backend='onnxruntime')
    msg = photo_message('astronaut', 1712, 'astro_optical', padding=13)
    found, hypotheses = ros.detections_for('detections', ros.publisher('image'), msg)
    assert found.header == msg.header
    assert all(item.header == msg.header for item in found.detections)
    rgb = skimage_data.astronaut()
    expected = reference.detect([RawImage.from_array(rgb, 'rgb8')]).detections[0]
    assert [h.class_id for h in hypotheses] == [d.label for d in expected]
    for hyp, det in zip(hypotheses, expected):
        np.testing.assert_allclose([hyp.x1, hyp.y1, hyp.x2, hyp.y2], det.box, atol=1e-6)
        assert hyp.score == pytest.approx(det.score)
    people = [h for h in hypotheses if h.class_id == 'person']
    assert people and iou((people[0].x1, people[0].y1, people[0].x2, people[0].y2),
                          ASTRONAUT_PERSON) > 0.8


def test_two_cameras_at_once_batched(ros):
    ros.detector(image_topics=['front/image', 'rear/image'], max_batch=2)
    front, rear = ros.publisher('front/image'), ros.publisher('rear/image')
    ros.listen('front/detections')
    ros.listen('rear/detections')
    astronaut = photo_message('astronaut', 1, 'front_cam')
    cat = photo_message('chelsea', 2, 'rear_cam')

    def both():
        front.publish(astronaut)
        rear.publish(cat)

    def arrived():
        return ([m for m in ros.received['front/detections'] if m.header == astronaut.header]
                and [m for m in ros.received['rear/detections'] if m.header == cat.header])
    wait_for(arrived, every=both, what='detections from both cameras')
    front_labels = {h.class_id for m in ros.received['front/detections']
                    for h in ros.layout.from_message(m)}
    rear_labels = {h.class_id for m in ros.received['rear/detections']
                   for h in ros.layout.from_message(m)}
    assert 'person' in front_labels and 'person' not in rear_labels
    assert 'cat' in rear_labels and 'cat' not in front_labels


def test_compressed_images(ros):
    ros.detector(input_transport='compressed')
    bgr = cv2.cvtColor(skimage_data.coffee(), cv2.COLOR_RGB2BGR)
    msg = array_to_compressed(bgr)
    msg.header.frame_id = 'jpeg_cam'
    msg.header.stamp.sec = 42
    found, hypotheses = ros.detections_for(
        'detections', ros.publisher('image/compressed', CompressedImage), msg)
    assert found.header == msg.header
    assert 'cup' in [h.class_id for h in hypotheses]


def test_debug_image_only_while_subscribed(ros):
    node = ros.detector()
    drawn = []
    draw = node._annotator.draw
    node._annotator.draw = lambda *args, **kwargs: drawn.append(1) or draw(*args, **kwargs)
    publisher = ros.publisher('image')
    for sec in range(1, 4):
        ros.detections_for('detections', publisher, photo_message('astronaut', sec))
    assert not drawn
    debug = []
    subscription = ros.peer.create_subscription(Image, 'detections/debug_image', debug.append,
                                                10)
    msg = photo_message('astronaut', 10, 'debug_cam')
    wait_for(lambda: [m for m in debug if m.header == msg.header],
             every=lambda: publisher.publish(msg), what='a debug image')
    image = [m for m in debug if m.header == msg.header][0]
    assert (image.width, image.height, image.encoding) == (512, 512, 'bgr8')
    annotated = np.frombuffer(image.data, np.uint8).reshape(512, 512, 3)
    source = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    assert (annotated != source).any(axis=2).mean() > 0.001
    ros.peer.destroy_subscription(subscription)
    wait_for(lambda: node.count_subscribers('detections/debug_image') == 0,
             what='the debug subscription to go')
    count = len(drawn)
    for sec in range(20, 23):
        ros.detections_for('detections', publisher, photo_message('astronaut', sec))
    assert len(drawn) == count


def test_timing_topic_is_labelled(ros):
    ros.detector()
    timing = ros.listen('detections/timing', Float64MultiArray)
    ros.detections_for('detections', ros.publisher('image'), photo_message('astronaut', 3))
    wait_for(lambda: timing, what='timing')
    msg = timing[-1]
    assert msg.layout.dim[0].label.split(',') == list(TIMING_FIELDS)
    assert len(msg.data) == len(TIMING_FIELDS) == msg.layout.dim[0].size
    values = dict(zip(TIMING_FIELDS, msg.data))
    assert values['detections'] >= 1 and values['inference_ms'] > 0
    assert values['total_ms'] >= values['inference_ms']


def test_a_result_stage_plugin_is_wired_through_the_node(ros, monkeypatch):
    from test_runtime_stages import NUMBERING
    monkeypatch.setattr(detector_node, 'STAGE_PLUGINS', [NUMBERING])
    node = ros.detector(numbering__first=5)
    timing = ros.listen('detections/timing', Float64MultiArray)
    ros.detections_for('detections', ros.publisher('image'), photo_message('astronaut', 3))
    wait_for(lambda: timing, what='timing')
    fields = timing[-1].layout.dim[0].label.split(',')
    assert fields == list(timing_fields(('numbering',)))
    assert fields.index('numbering_ms') == fields.index('postprocess_ms') + 1
    assert dict(zip(fields, timing[-1].data))['numbering_ms'] >= 0
    stage = node._detector.stages._built[0].stage
    assert stage.settings.first == 5 and stage.frames >= 1
    assert _set(ros, node, 'numbering.first', 9, ParameterType.PARAMETER_INTEGER).successful
    assert stage.settings.first == 9
    refused = _set(ros, node, 'numbering.label', 'x', ParameterType.PARAMETER_STRING)
    assert not refused.successful, 'a setting not marked runtime is read-only'
    _, values = engine_status(ros, node, lambda s, v: 'stage.numbering.frames' in v)
    assert int(values['stage.numbering.frames']) >= 1
    _, camera = ros.camera_status(node, 'image')
    assert 'latency_numbering_ms_p95' in camera


def test_diagnostics_keys_and_stale_level(ros):
    node = ros.detector(diagnostics__stale_timeout=1.5, hardware_id='')
    publisher = ros.publisher('image')
    sec = [0]

    def publish():
        sec[0] += 1
        publisher.publish(photo_message('astronaut', sec[0]))

    def healthy(status, values):
        publish()
        return status.level == DiagnosticStatus.OK and int(values['frames_published']) > 0
    status, values = ros.camera_status(node, 'image', healthy)
    for key in ('input_fps', 'output_fps', 'frames_dropped', 'rejected_total',
                'latency_convert_ms_p50', 'latency_preprocess_ms_p95',
                'latency_inference_ms_max', 'latency_postprocess_ms_p95',
                'latency_publish_ms_p95', 'latency_total_ms_p95', 'age_ms_p95',
                'seconds_since_last_frame', 'resolution'):
        assert key in values, key
    assert values['resolution'] == '512x512'
    assert float(values['latency_inference_ms_p50']) > 0
    engine = [s for a in ros.diagnostics for s in a.status
              if s.name == '%s: engine' % node.get_name()][-1]
    engine_values = {kv.key: kv.value for kv in engine.values}
    assert engine_values['backend'] == 'onnxruntime' and engine_values['model_name']
    assert engine.hardware_id == node.get_fully_qualified_name()
    # backend 'auto' (the default) fell back to ONNX Runtime: diagnostics say why.
    reason = tensorrt_unavailable_reason()
    if reason is not None:
        assert engine_values['fallback'].startswith('ONNX Runtime on the ')
        assert 'TensorRT: ' + reason in engine_values['fallback']
        assert 'fallback' in engine.message
    # Only statuses from now on: under load, one from before the first frame may be stale too.
    del ros.diagnostics[:]
    status, _ = ros.camera_status(node, 'image',
                                  lambda s, v: s.level == DiagnosticStatus.ERROR)
    assert 'no frame for' in status.message


def test_camera_loss_and_return_log_one_line_each_way(ros, capfd):
    node = ros.detector(diagnostics__stale_timeout=1.0)
    publisher = ros.publisher('image')
    msg = photo_message('astronaut', 7)

    def receiving_since(count):
        def check(status, values):
            publisher.publish(msg)
            return status.level == DiagnosticStatus.OK and int(values['frames_received']) > count
        return check
    ros.camera_status(node, 'image', receiving_since(0))
    capfd.readouterr()
    status, values = ros.camera_status(node, 'image', lambda s, v: int(v['frames_received'])
                                       and s.level == DiagnosticStatus.ERROR)
    assert status.message.startswith('stale: no frame for')
    ros.camera_status(node, 'image', receiving_since(int(values['frames_received'])))
    log = capfd.readouterr().err.splitlines()
    assert len([line for line in log if 'camera image: stale, no frame for' in line]) == 1
    assert len([line for line in log if 'camera image: frames again' in line]) == 1


def _set(ros, node, name, value, kind):
    client = ros.peer.create_client(SetParameters, node.get_fully_qualified_name()
                                    + '/set_parameters')
    assert client.wait_for_service(timeout_sec=10)
    field = {ParameterType.PARAMETER_DOUBLE: 'double_value',
             ParameterType.PARAMETER_INTEGER: 'integer_value',
             ParameterType.PARAMETER_STRING: 'string_value'}[kind]
    value_msg = ParameterValue(type=kind, **{field: value})
    future = client.call_async(SetParameters.Request(
        parameters=[ParameterMsg(name=name, value=value_msg)]))
    wait_for(future.done, what='set_parameters %s' % name)
    ros.peer.destroy_client(client)
    return future.result().results[0]


def test_runtime_parameter_update_changes_the_output(ros):
    node = ros.detector()
    publisher = ros.publisher('image')
    _, before = ros.detections_for('detections', publisher, photo_message('astronaut', 1))
    scores = sorted(h.score for h in before)
    assert len(scores) >= 2, 'astronaut should give a person and a weaker detection'
    threshold = (scores[-1] + scores[-2]) / 2
    result = _set(ros, node, 'conf_threshold', threshold, ParameterType.PARAMETER_DOUBLE)
    assert result.successful, result.reason
    assert node.get_parameter('conf_threshold').value == threshold
    _, after = ros.detections_for('detections', publisher, photo_message('astronaut', 2))
    assert [h.score for h in after] == pytest.approx([scores[-1]])
    for name, value, kind in (
            ('conf_threshold', 1.5, ParameterType.PARAMETER_DOUBLE),
            ('classes', 'unicorn', ParameterType.PARAMETER_STRING),
            ('backend', 'tensorrt', ParameterType.PARAMETER_STRING)):
        refused = _set(ros, node, name, value, kind)
        assert not refused.successful and refused.reason
    assert node.pipeline_params.conf_threshold == pytest.approx(threshold)
    assert _set(ros, node, 'classes', 'cat', ParameterType.PARAMETER_STRING).successful
    _, filtered = ros.detections_for('detections', publisher, photo_message('astronaut', 3))
    assert filtered == []


def _bad_messages():
    good = photo_message('astronaut', 0)
    cases = []

    def variant(reason, **fields):
        msg = photo_message('astronaut', 0)
        for name, value in fields.items():
            setattr(msg, name, value)
        cases.append((reason, 'image', msg))

    variant('unknown_encoding', encoding='bayer_rggb8')
    variant('data_too_short', data=bytes(good.data)[:-1])
    variant('data_too_long', data=bytes(good.data) + b'\x00')
    variant('step_too_small', step=good.width * 3 - 3, data=bytes(good.data)[:-3 * good.height])
    variant('empty', width=0, step=0, data=b'')
    huge = np.zeros((1000, 1100), np.uint8)
    cases.append(('too_large', 'image', array_to_image(huge, 'mono8')))
    variant('odd_width', encoding='yuv422', width=511, step=1536)
    garbage = CompressedImage(format='jpeg', data=b'\xff\xd8\xff\xe0 not really a jpeg')
    cases.append(('bad_header', 'image/compressed', garbage))
    jpeg = bytes(array_to_compressed(np.zeros((64, 64, 3), np.uint8)).data)
    cases.append(('undecodable', 'image/compressed',
                  CompressedImage(format='jpeg', data=jpeg[:jpeg.index(b'\xff\xda')])))
    bmp = cv2.imencode('.bmp', np.zeros((8, 8, 3), np.uint8))[1].tobytes()
    cases.append(('unsupported_format', 'image/compressed',
                  CompressedImage(format='bmp', data=bmp)))
    return cases


def test_bad_inputs_are_counted_and_the_next_good_frame_is_detected(ros):
    node = ros.detector(input_transport='both', max_image_pixels=1000000)
    publishers = {'image': ros.publisher('image'),
                  'image/compressed': ros.publisher('image/compressed', CompressedImage)}
    for sec, (reason, topic, bad) in enumerate(_bad_messages(), start=1):
        key = 'rejected.' + reason

        def counted(status, values, bad=bad, topic=topic, key=key):
            publishers[topic].publish(bad)
            return int(values.get(key, 0)) >= 1
        status, _ = ros.camera_status(node, 'image', counted)
        assert status.level == DiagnosticStatus.WARN and reason in status.message
        _, found = ros.detections_for('detections', publishers['image'],
                                      photo_message('astronaut', sec))
        assert 'person' in [h.class_id for h in found], reason
    smaller = array_to_image(cv2.resize(skimage_data.astronaut(), (256, 256)), 'rgb8')
    smaller.header.stamp.sec = 100
    _, found = ros.detections_for('detections', publishers['image'], smaller)
    assert 'person' in [h.class_id for h in found]
    _, values = ros.camera_status(
        node, 'image', lambda s, v: int(v['resolution_changes']) >= 1)
    assert values['resolution'] == '256x256'
    assert int(values['rejected_total']) >= len(_bad_messages())


def test_input_burst_keeps_only_the_newest_frame(ros):
    # A deep reliable subscription hands the whole burst to the callbacks, so the dropping
    # seen is the node's own, not DDS's.
    node = ros.detector(qos_reliability='reliable', qos_depth=100)
    publisher = ros.peer.create_publisher(Image, 'image', 200)
    detections = ros.listen('detections')
    frames = [photo_message('astronaut', sec) for sec in range(1, 151)]
    waiting = []
    for msg in frames:
        publisher.publish(msg)
        waiting.append(node._mailbox.pending())
    last = frames[-1]
    ros.detections_for('detections', publisher, last)
    # Memory: never more than the one newest frame per camera waits.
    assert max(waiting) <= 1
    stamps = [m.header.stamp.sec for m in detections]
    # Latency: frames were dropped rather than queued, output never went back in time, and
    # the newest frame was served.
    assert len(set(stamps)) < len(frames)
    assert stamps == sorted(stamps) and stamps[-1] == last.header.stamp.sec

    def accounted(status, values):
        received = int(values['frames_received'])
        return received > 0 and received == (int(values['frames_published'])
                                             + int(values['frames_dropped'])
                                             + int(values['rejected_total']))
    _, values = ros.camera_status(node, 'image', accounted)
    assert int(values['frames_dropped']) > 0


def _executable(*ros_args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p))
    return subprocess.Popen(
        [sys.executable, '-m', 'trt_perception.ros.detector_node', '--ros-args'] + list(ros_args),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)


def test_executable_runs_with_a_params_file_and_stops_on_ctrl_c(ros):
    namespace = ros.namespace + '_exe'
    process = _executable('--params-file', os.path.join(ROOT, 'config', 'detector.yaml'),
                          '-r', '__ns:=' + namespace, '-p', 'backend:=onnxruntime')
    try:
        wait_for(lambda: any(s.hardware_id == namespace + '/detector_node'
                             for a in ros.diagnostics for s in a.status),
                 timeout=60, what='diagnostics from the detector_node process')
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output


def test_executable_refuses_a_bad_parameter_with_one_clear_line():
    process = _executable('-p', 'backend:=cuda')
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 1
    assert ("backend='cuda' is not allowed; use one of: auto, onnxruntime, tensorrt, triton"
            in output)
    assert 'Traceback' not in output


def test_a_failing_batch_is_reported_and_the_worker_carries_on(ros):
    node = ros.detector()
    pipeline = node._detector.pipeline
    pipeline.submit = failures = FirstCall(pipeline.submit,
                                           raising(RuntimeError('injected failure')))
    publisher = ros.publisher('image')
    _, found = ros.detections_for('detections', publisher, photo_message('astronaut', 1))
    assert failures.seen and 'person' in [h.class_id for h in found]
    engine_name = '%s: engine' % node.get_name()

    def engine_error():
        return [s for a in ros.diagnostics for s in a.status
                if s.name == engine_name and s.level == DiagnosticStatus.ERROR]
    status = wait_for(engine_error, what='the engine status to turn ERROR')[-1]
    assert 'RuntimeError: injected failure' in status.message


@pytest.fixture(scope='module')
def custom_export(tmp_path_factory):
    """Export a seeded YOLO11 with Ultralytics, class names of its own and no card."""
    pytest.importorskip('torch')
    pytest.importorskip('ultralytics')
    import ultralytics_exports
    path = ultralytics_exports.export('yolo11n.yaml', tmp_path_factory.mktemp('custom'),
                                      format='onnx')
    return path, set(ultralytics_exports.CUSTOM_NAMES.values())


def test_class_names_come_from_an_ultralytics_export_without_a_card(ros, custom_export):
    path, names = custom_export
    assert not os.path.exists(os.path.splitext(path)[0] + '.json')
    ros.detector(backend='onnxruntime', model=path, image_topics=['custom/image'])
    msg = photo_message('astronaut', 2301, 'custom_cam')
    _, hypotheses = ros.detections_for('custom/detections', ros.publisher('custom/image'), msg)
    labels = {h.class_id for h in hypotheses}
    assert labels and labels <= names
