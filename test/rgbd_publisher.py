# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
An RGB-D camera driver stand-in, run as its own process: colour, depth and camera_info topics.

    python test/rgbd_publisher.py scene.json

scene.json names the cameras: for each, its colour image (an (H, W, 3) rgb8 .npy) and topic,
its depth image (.npy: uint16 millimetres is sent as 16UC1, float32 metres as 32FC1) and
topic, its camera_info topic and intrinsics ([fx, fy, cx, cy, width, height, frame_id], or
null to send none), and an offset in seconds added to the depth stamps.  Every 1 / rate
seconds each camera sends its depth (best effort, as RealSense drivers do), camera_info and
colour image, all stamped alike.  Prints 'publishing' once started; stops when stdin closes.
"""

import json
import sys
import threading

import numpy as np
from ros_imports import ros_imports

with ros_imports():
    from builtin_interfaces.msg import Time
    import rclpy
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import CameraInfo, Image

from trt_perception.core.depth.intrinsics import CameraIntrinsics  # noqa: E402
from trt_perception.ros.depth_conversion import (depth_to_image,  # noqa: E402
                                                 intrinsics_to_camera_info)
from trt_perception.ros.image_conversion import array_to_image  # noqa: E402

FIRST_STAMP = 1712345678


class Camera:
    """One camera's three publishers and the messages they send, re-stamped per frame."""

    def __init__(self, node, spec: dict) -> None:
        self.colour = array_to_image(np.load(spec['colour']), 'rgb8')
        self.depth = depth_to_image(np.load(spec['depth']))
        self.offset = float(spec.get('depth_offset', 0.0))
        self.info = None
        if spec.get('intrinsics'):
            fx, fy, cx, cy, width, height, frame_id = spec['intrinsics']
            self.info = intrinsics_to_camera_info(
                CameraIntrinsics(fx, fy, cx, cy, width, height, frame_id))
            self.depth.header.frame_id = frame_id
        self.colour.header.frame_id = 'camera_color_optical_frame'
        self.publishers = (node.create_publisher(Image, spec['colour_topic'], 10),
                           node.create_publisher(Image, spec['depth_topic'],
                                                 qos_profile_sensor_data),
                           node.create_publisher(CameraInfo, spec['info_topic'], 10))

    def send(self, stamp: float) -> None:
        colour, depth, info = self.publishers
        self.depth.header.stamp = _stamp(stamp + self.offset)
        depth.publish(self.depth)
        if self.info is not None:
            self.info.header.stamp = _stamp(stamp + self.offset)
            info.publish(self.info)
        self.colour.header.stamp = _stamp(stamp)
        colour.publish(self.colour)


def _stamp(seconds: float) -> Time:
    whole = int(seconds)
    return Time(sec=whole, nanosec=int(round((seconds - whole) * 1e9)))


def main(path: str) -> None:
    with open(path, encoding='utf-8') as stream:
        scene = json.load(stream)
    rclpy.init()
    node = rclpy.create_node('rgbd_publisher')
    cameras = [Camera(node, spec) for spec in scene['cameras']]
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    print('publishing', flush=True)
    period = 1.0 / float(scene['rate'])
    frame = 0
    while not stop.wait(period):
        for camera in cameras:
            camera.send(FIRST_STAMP + frame * period)
        frame += 1
    node.destroy_node()
    rclpy.shutdown()


if __name__ == '__main__':
    main(sys.argv[1])
