# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Two detector_node processes, four cameras, one tritonserver: batching and a server crash.

Real rclpy and DDS as in test_detector_node.py; the nodes are the installed executable run as
subprocesses (two robots' nodes), the server is the pytriton wheel's tritonserver on
127.0.0.1.  Cameras publish until the test ends, at most `PUBLISH_SECONDS`.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from ros_imports import ros_imports

with ros_imports():
    from diagnostic_msgs.msg import DiagnosticStatus

from test_detector_node import Harness, photo_message, ROOT, wait_for  # noqa: E402
from triton_server import batch_sizes, MODEL, new_server  # noqa: E402
from trt_perception.assembly import create_pipeline, PipelineConfig  # noqa: E402
from trt_perception.core.decoders import DetectionParams  # noqa: E402
from trt_perception.core.image import RawImage  # noqa: E402

skimage_data = pytest.importorskip('skimage.data')

CAMERAS = ('cam0/image', 'cam1/image', 'cam2/image', 'cam3/image')
PUBLISH_SECONDS = 150.0
"""Bound on the publishing loop, whatever happens to the test."""


def _node(namespace, topics, url):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p))
    # max_batch 1: every request carries one frame, so any execution of more than one frame
    # is the server batching requests of different cameras and processes.
    return subprocess.Popen(
        [sys.executable, '-m', 'trt_perception.ros.detector_node', '--ros-args',
         '-r', '__ns:=' + namespace, '-p', 'backend:=triton', '-p', 'model:=' + MODEL,
         '-p', 'triton.url:=' + url, '-p', 'triton.timeout:=2.0', '-p', 'max_batch:=1',
         '-p', 'conf_threshold:=0.3', '-p', 'image_topics:=[%s]' % ','.join(topics)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)


class Cameras:
    """Publishes the astronaut on every camera topic from a thread until stopped."""

    def __init__(self, ros, namespace):
        self._publishers = [ros.publisher('%s/%s' % (namespace, t)) for t in CAMERAS]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.sent = 0

    def _run(self):
        deadline = time.monotonic() + PUBLISH_SECONDS
        while not self._stop.is_set() and time.monotonic() < deadline:
            self.sent += 1
            for index, publisher in enumerate(self._publishers):
                publisher.publish(photo_message('astronaut', self.sent, 'cam%d' % index))
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _status(ros, namespace, suffix, level=None, since=0):
    """Return the newest status since array `since` of a node under `namespace`."""
    for array in reversed(ros.diagnostics[since:]):
        for status in array.status:
            if status.hardware_id.startswith(namespace + '/') and status.name.endswith(suffix) \
                    and (level is None or status.level == level):
                return status
    return None


def _dropped(ros, namespace):
    status = _status(ros, namespace, ': camera cam0/image')
    values = {kv.key: kv.value for kv in status.values} if status else {}
    return int(values.get('frames_dropped', 0))


def test_four_cameras_two_nodes_one_server_batched_and_surviving_a_restart(tmp_path):
    ros = Harness()
    # Each node has one request in flight, so two nodes' requests could alternate forever
    # without meeting in the queue; a long queue delay lets the server wait for the other.
    server = new_server(tmp_path, max_queue_delay_us=50000)
    namespace = ros.namespace + '_robots'
    nodes = []
    try:
        server.start()
        nodes = [_node(namespace + '/robot_a', CAMERAS[:2], server.grpc_url),
                 _node(namespace + '/robot_b', CAMERAS[2:], server.grpc_url)]
        topics = ['%s/robot_%s/%s' % (namespace, robot, t.replace('/image', '/detections'))
                  for robot, t in zip('aabb', CAMERAS)]
        received = {topic: ros.listen(topic) for topic in topics}
        # Both robots' cameras are published under their own namespaces.
        with Cameras(ros, namespace + '/robot_a'), Cameras(ros, namespace + '/robot_b'):
            wait_for(lambda: all(len(m) >= 5 for m in received.values()), timeout=90,
                     what='detections from all four cameras')
            wait_for(lambda: sum(n for size, n in batch_sizes(server.grpc_url).items()
                                 if size > 1), timeout=60,
                     what='an execution batching requests of both nodes')

            robot_a = namespace + '/robot_a'
            dropped = _dropped(ros, robot_a)
            server.kill()
            killed = len(ros.diagnostics)
            error = wait_for(lambda: _status(ros, namespace, ': engine', DiagnosticStatus.ERROR,
                                             killed),
                             timeout=60, what='an ERROR engine status while the server is down')
            assert 'unreachable' in error.message or 'failed' in error.message, error.message
            # Frames that came while the worker waited out the backoff were replaced by newer
            # ones and counted, not queued.
            wait_for(lambda: _dropped(ros, robot_a) > dropped, timeout=30,
                     what='frames dropped and counted during the outage')
            before = {topic: len(m) for topic, m in received.items()}
            server.start()
            restarted = len(ros.diagnostics)
            wait_for(lambda: all(len(m) >= before[t] + 3 for t, m in received.items()),
                     timeout=90, what='detections from all four cameras after the restart')
            wait_for(lambda: _status(ros, namespace, ': engine', DiagnosticStatus.OK,
                                     restarted),
                     timeout=30, what='an OK engine status after the restart')
        assert all(node.poll() is None for node in nodes)
        _check_detections(ros, received[topics[0]][-1])
    finally:
        outputs = []
        for node in nodes:
            node.send_signal(signal.SIGINT)
            outputs.append(node.communicate(timeout=30)[0])
        server.stop()
        ros.close()
    assert [node.returncode for node in nodes] == [0, 0], outputs


def _check_detections(ros, message):
    """Compare one published message with the local ONNX Runtime pipeline's detections."""
    config = PipelineConfig(model=MODEL, backend='onnxruntime',
                            params=DetectionParams(conf_threshold=0.3))
    with create_pipeline(config) as pipeline:
        expected = pipeline.detect([RawImage.from_array(skimage_data.astronaut(), 'rgb8')])
    hypotheses = ros.layout.from_message(message)
    assert [h.class_id for h in hypotheses] == [d.label for d in expected.detections[0]]
    for hypothesis, detection in zip(hypotheses, expected.detections[0]):
        np.testing.assert_allclose([hypothesis.x1, hypothesis.y1, hypothesis.x2,
                                    hypothesis.y2], detection.box, atol=1e-6)
        assert hypothesis.score == pytest.approx(detection.score)


def test_a_node_started_before_its_server_warns_then_detects_over_http(tmp_path):
    ros = Harness()
    server = new_server(tmp_path)
    try:
        node = ros.detector(backend='triton', model=MODEL, triton__url=server.http_url,
                            conf_threshold=0.3)
        engine = '%s: engine' % node.get_name()

        def engine_level(level):
            for array in reversed(ros.diagnostics[-10:]):
                for status in array.status:
                    if status.name == engine and status.level == level:
                        return status
            return None
        warning = wait_for(lambda: engine_level(DiagnosticStatus.WARN), timeout=30,
                           what='a WARN engine status before any frame')
        assert warning.message.startswith('server unavailable: Triton server %s is '
                                          'unreachable' % server.http_url), warning.message
        server.start()
        msg = photo_message('astronaut', 7, 'cam')
        found, _ = ros.detections_for('detections', ros.publisher('image'), msg, timeout=60)
        _check_detections(ros, found)
        wait_for(lambda: engine_level(DiagnosticStatus.OK), timeout=30,
                 what='an OK engine status once the server answers')
    finally:
        ros.close()
        server.stop()
