# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Faults injected into the detector node, over real rclpy and DDS.

Start-up faults run the executable (clear line, exit status 1); run-time faults use an
in-process node: a backend that fails mid-run (`fake_backend.FailingBackend`, a named fake
around ONNX Runtime) and a camera that stops and comes back.  Signals under load are in
test_node_reliability.py, engine cache faults in test_tensorrt_builder.py.
"""

from fake_backend import FailingBackend
import pytest
from ros_imports import ros_imports

with ros_imports():
    from diagnostic_msgs.msg import DiagnosticStatus

from test_detector_node import _executable, photo_message  # noqa: E402
from test_node_reliability import engine_status  # noqa: E402
from trt_perception.core import onnxruntime_plugin  # noqa: E402

OK = DiagnosticStatus.OK
ERROR = DiagnosticStatus.ERROR


@pytest.mark.parametrize('fault', ['missing', 'corrupt', 'engine_without_tensorrt'])
def test_a_bad_model_at_start_is_one_clear_line_and_exit_status_1(tmp_path, fault):
    if fault == 'missing':
        model, words = str(tmp_path / 'nowhere.onnx'), 'nowhere.onnx'
    elif fault == 'corrupt':
        (tmp_path / 'broken.onnx').write_bytes(b'\x08\x07not a protobuf' * 50)
        model, words = str(tmp_path / 'broken.onnx'), "ONNX Runtime cannot load '%s'" % (
            tmp_path / 'broken.onnx')
    else:
        (tmp_path / 'model.engine').write_bytes(b'a plan for some other TensorRT')
        model, words = str(tmp_path / 'model.engine'), 'TensorRT is needed for'
    process = _executable('-p', 'model:=' + model)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 1, output
    assert 'cannot start' in output and words in output, output
    assert 'Traceback' not in output and len(output.strip().splitlines()) <= 2, output


def test_a_backend_failing_mid_run_is_counted_and_the_node_recovers(ros, monkeypatch):
    fakes = []
    real = onnxruntime_plugin.OnnxRuntimeBackend

    def failing_onnxruntime(path, providers=None, max_batch=1):
        fakes.append(FailingBackend(real(path, providers=providers, max_batch=max_batch),
                                    failing={2, 3}))
        return fakes[-1]
    monkeypatch.setattr(onnxruntime_plugin, 'OnnxRuntimeBackend', failing_onnxruntime)
    node = ros.detector(backend='onnxruntime', diagnostics__window=1.0)
    assert fakes, ('the node did not build its backend through '
                   'onnxruntime_plugin.OnnxRuntimeBackend')
    publisher = ros.publisher('image')
    _, first = ros.detections_for('detections', publisher, photo_message('astronaut', 1))
    assert 'person' in [h.class_id for h in first]
    # Calls 2 and 3 fail; the frame is published until a later call detects it.
    _, after = ros.detections_for('detections', publisher, photo_message('astronaut', 2))
    assert 'person' in [h.class_id for h in after] and fakes[0].failures == 2
    status, values = engine_status(ros, node, lambda s, v: int(v['inference_errors']) == 2)
    assert 'injected by FailingBackend' in values['last_error']
    assert values['worker_restarts'] == '0'
    # Recovered: once the failures leave the window the engine is OK again, still detecting.
    sec = [100]

    def publish():
        sec[0] += 1
        publisher.publish(photo_message('astronaut', sec[0]))
    engine_status(ros, node, lambda s, v: publish() or s.level == OK)
    ros.camera_status(node, 'image', lambda s, v: publish() or s.level == OK)


def test_a_camera_that_stops_and_returns(ros):
    node = ros.detector(diagnostics__stale_timeout=1.0, diagnostics__stall_timeout=1.0)
    publisher = ros.publisher('image')
    ros.detections_for('detections', publisher, photo_message('astronaut', 1))
    status, _ = ros.camera_status(node, 'image', lambda s, v: s.level == ERROR)
    assert 'no frame for' in status.message
    # The engine is idle, not failing, while the camera is away.
    status, _ = engine_status(ros, node, lambda s, v: True)
    assert status.level == OK
    _, found = ros.detections_for('detections', publisher, photo_message('astronaut', 2))
    assert 'person' in [h.class_id for h in found]
    sec = [10]

    def publish():
        sec[0] += 1
        publisher.publish(photo_message('astronaut', sec[0]))
    ros.camera_status(node, 'image', lambda s, v: publish() or s.level == OK)
