# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""qos_reliability auto against real publishers of each kind; incompatible QoS counted, logged."""

from ros_imports import ros_imports

with ros_imports():
    from rclpy.qos import ReliabilityPolicy
    from sensor_msgs.msg import Image

from test_detector_node import photo_message  # noqa: E402
from trt_perception.ros.qos import image_qos  # noqa: E402
from trt_perception.ros.qos_matching import matching_reliability  # noqa: E402


def test_best_effort_unless_every_publisher_is_reliable():
    reliable, best_effort = ReliabilityPolicy.RELIABLE, ReliabilityPolicy.BEST_EFFORT
    assert matching_reliability([]) == 'best_effort'
    assert matching_reliability([reliable, reliable]) == 'reliable'
    assert matching_reliability([reliable, best_effort]) == 'best_effort'


def test_auto_follows_the_publishers_as_they_come_and_go(ros):
    node = ros.detector(qos_reliability='auto')
    msg = photo_message('astronaut', 3)

    def subscribed(reliability, publisher):
        # Frames keep arriving through the re-subscription: received grows past `since`.
        since = []

        def check(status, values):
            publisher.publish(msg)
            received = int(values['frames_received'])
            if values['qos_reliability'] != reliability:
                return False
            since.append(received)
            return received > since[0]
        return check
    ros.camera_status(node, 'image', lambda s, v: v['qos_reliability'] == 'best_effort')
    reliable = ros.peer.create_publisher(Image, 'image', image_qos('reliable', 1))
    ros.camera_status(node, 'image', subscribed('reliable', reliable))
    # Until the node's next look at the publishers the reliable subscription cannot hear it.
    best_effort = ros.peer.create_publisher(Image, 'image', image_qos('best_effort', 1))
    ros.camera_status(node, 'image', subscribed('best_effort', best_effort))
    ros.peer.destroy_publisher(best_effort)
    ros.camera_status(node, 'image', subscribed('reliable', reliable))


def test_a_fixed_reliable_subscription_counts_and_logs_a_best_effort_camera_once(ros, capfd):
    node = ros.detector(qos_reliability='reliable')
    ros.peer.create_publisher(Image, 'image', image_qos('best_effort', 1))
    status, values = ros.camera_status(
        node, 'image', lambda s, v: v['qos_incompatible_publishers'] == '1')
    assert values['qos_reliability'] == 'reliable' and values['frames_received'] == '0'
    # Seen on two diagnostics ticks at least, logged once.
    ros.camera_status(node, 'image', lambda s, v: v['seconds_since_last_frame'] == 'never'
                      and s is not status and v['qos_incompatible_publishers'] == '1')
    log = [line for line in capfd.readouterr().err.splitlines()
           if 'cannot be heard by this reliable subscription' in line]
    assert len(log) == 1 and 'set qos_reliability to auto' in log[0]
