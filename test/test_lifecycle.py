# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
lifecycle_detector_node driven through every transition over the real lifecycle services.

On the CPU "releasing GPU memory" means the ONNX Runtime session is closed at cleanup and a new
one opened at the next configure; deactivation keeps it.
"""

import pytest
from ros_imports import ros_imports

with ros_imports():
    from lifecycle_msgs.msg import State, Transition
    from lifecycle_msgs.srv import ChangeState, GetState
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image
    from trt_perception.ros.lifecycle import LifecycleDetectorNode

from test_detector_node import photo_message, wait_for  # noqa: E402


class LifecycleClient:
    """ChangeState and GetState clients of one managed node."""

    def __init__(self, ros, node):
        name = node.get_fully_qualified_name()
        self._change = ros.peer.create_client(ChangeState, name + '/change_state')
        self._get = ros.peer.create_client(GetState, name + '/get_state')
        assert self._change.wait_for_service(timeout_sec=10)
        assert self._get.wait_for_service(timeout_sec=10)

    @staticmethod
    def _call(client, request):
        future = client.call_async(request)
        wait_for(future.done, what='%s' % client.srv_name)
        return future.result()

    def change(self, transition):
        return self._call(self._change, ChangeState.Request(
            transition=Transition(id=transition))).success

    def state(self):
        return self._call(self._get, GetState.Request()).current_state.id


def managed_detector(ros, **parameters):
    node = LifecycleDetectorNode(
        context=ros.context, namespace=ros.namespace,
        parameter_overrides=[Parameter(name, value=value) for name, value in parameters.items()])
    ros.nodes.append(node)
    ros.executor.add_node(node)
    return node


def test_every_transition_over_the_lifecycle_services(ros):
    node = managed_detector(ros, backend='onnxruntime')
    lifecycle = LifecycleClient(ros, node)
    camera = ros.peer.create_publisher(Image, 'image', 10)
    assert lifecycle.state() == State.PRIMARY_STATE_UNCONFIGURED
    assert not node.is_configured and camera.get_subscription_count() == 0

    assert lifecycle.change(Transition.TRANSITION_CONFIGURE)
    assert lifecycle.state() == State.PRIMARY_STATE_INACTIVE
    first = node._detector.pipeline.backend
    assert not first.closed and camera.get_subscription_count() == 0
    ros.camera_status(node, 'image')  # diagnostics while inactive

    assert lifecycle.change(Transition.TRANSITION_ACTIVATE)
    assert lifecycle.state() == State.PRIMARY_STATE_ACTIVE
    ros.detections_for('detections', camera, photo_message('astronaut', 11))

    assert lifecycle.change(Transition.TRANSITION_DEACTIVATE)
    assert lifecycle.state() == State.PRIMARY_STATE_INACTIVE
    wait_for(lambda: camera.get_subscription_count() == 0, what='the node to unsubscribe')
    assert node._detector.pipeline.backend is first and not first.closed

    assert lifecycle.change(Transition.TRANSITION_ACTIVATE)
    ros.detections_for('detections', camera, photo_message('astronaut', 12))
    assert node._detector.pipeline.backend is first
    assert lifecycle.change(Transition.TRANSITION_DEACTIVATE)

    assert lifecycle.change(Transition.TRANSITION_CLEANUP)
    assert lifecycle.state() == State.PRIMARY_STATE_UNCONFIGURED
    assert first.closed and not node.is_configured

    assert lifecycle.change(Transition.TRANSITION_CONFIGURE)
    second = node._detector.pipeline.backend
    assert second is not first and not second.closed
    assert lifecycle.change(Transition.TRANSITION_ACTIVATE)
    ros.detections_for('detections', camera, photo_message('astronaut', 13))

    assert lifecycle.change(Transition.TRANSITION_ACTIVE_SHUTDOWN)
    assert lifecycle.state() == State.PRIMARY_STATE_FINALIZED
    assert second.closed and camera.get_subscription_count() == 0


@pytest.mark.parametrize('steps, shutdown', [
    ([], 'TRANSITION_UNCONFIGURED_SHUTDOWN'),
    (['TRANSITION_CONFIGURE'], 'TRANSITION_INACTIVE_SHUTDOWN'),
])
def test_shutdown_from_unconfigured_and_inactive(ros, steps, shutdown):
    node = managed_detector(ros, backend='onnxruntime')
    lifecycle = LifecycleClient(ros, node)
    for step in steps:
        assert lifecycle.change(getattr(Transition, step))
    backend = node._detector.pipeline.backend if node.is_configured else None
    assert lifecycle.change(getattr(Transition, shutdown))
    assert lifecycle.state() == State.PRIMARY_STATE_FINALIZED
    assert not node.is_configured and (backend is None or backend.closed)


def test_autostart_configures_and_activates(ros):
    node = managed_detector(ros, backend='onnxruntime', autostart=True)
    assert LifecycleClient(ros, node).state() == State.PRIMARY_STATE_ACTIVE
    ros.detections_for('detections', ros.publisher('image'), photo_message('astronaut', 21))


def test_a_failed_configure_is_reported_and_the_node_stays_unconfigured(ros):
    node = managed_detector(ros, model='/nonexistent/model.onnx')
    lifecycle = LifecycleClient(ros, node)
    assert not lifecycle.change(Transition.TRANSITION_CONFIGURE)
    assert lifecycle.state() == State.PRIMARY_STATE_UNCONFIGURED
    assert not node.is_configured
