# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The depth input and 3D output of the detector node's cameras (docs/depth.md).

Per camera with a depth topic (`depth_topics_for`): subscriptions to its aligned depth image
and that image's camera_info, whose callbacks only convert the message and hand it to the
depth stage, which counts what it refuses; and two publishers next to the camera's
detections (``/camera/color/detections``): ``/camera/color/detections_3d`` (vision_msgs
Detection3DArray, one per colour frame) and ``/camera/color/detection_markers`` (rviz
MarkerArray, built only while someone subscribes).
Subscriptions use the camera's reliability setting, so 'auto' matches the depth publishers
as it matches the colour ones.  `DepthCameras.diagnose` turns the stage's counters into a
WARN, with the reason, while frames go unpaired, objects have no valid depth or messages are
refused; the 2D detections go out regardless.
"""

from typing import Any, Dict, List, Mapping, Sequence, Tuple

from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image

from trt_perception.core.depth.pairing import REASONS
from trt_perception.core.depth.settings import depth_topics_for, DepthSettings, PREFIX
from trt_perception.core.depth.stage import DepthStage, REFUSED
from trt_perception.core.detection import Detection
from trt_perception.core.image import ImageFormatError
from trt_perception.core.schema import from_values
from trt_perception.ros.depth_conversion import camera_info_to_intrinsics, image_to_depth
from trt_perception.ros.detection3d import Detection3DLayout
from trt_perception.ros.diagnostics import WARN
from trt_perception.ros.markers import BoxMarkers
from trt_perception.ros.qos import QUIET_PUBLISHER
from trt_perception.ros.qos_matching import MatchedSubscription
from trt_perception.runtime.stages import ResultStages
from visualization_msgs.msg import MarkerArray

PROBLEMS = ('without_depth',) + tuple('unpaired_' + r for r in REASONS) + REFUSED
"""The depth stage's counters that make the status WARN when they grow."""


def beside(prefix: str, name: str) -> str:
    """Return topic `name` next to a camera's detections: /camera/color/detections_3d."""
    parent, slash, _ = prefix.rpartition('/')
    return parent + slash + name


class DepthCamera:
    """One camera's depth: its two subscriptions while active and its two 3D publishers."""

    def __init__(self, node: Node, camera: str, prefix: str, topics: Tuple[str, str],
                 stage: DepthStage, layout: Detection3DLayout, max_pixels: int) -> None:
        """Advertise the 3D outputs under `prefix`; `subscribe` starts the depth input."""
        self.camera = camera
        self.depth_topic, self.info_topic = topics
        self._node = node
        self._stage = stage
        self._layout = layout
        self._markers = BoxMarkers()
        self._max_pixels = max_pixels
        self.detections_3d = node.create_publisher(
            layout.array_type, beside(prefix, 'detections_3d'), 10,
            event_callbacks=QUIET_PUBLISHER)
        self.markers = node.create_publisher(
            MarkerArray, beside(prefix, 'detection_markers'), 10,
            event_callbacks=QUIET_PUBLISHER)
        self.subscriptions: List[MatchedSubscription] = []
        stage.watch(camera)

    def subscribe(self, reliability: str, depth: int) -> None:
        """Subscribe to the depth image and its camera_info."""
        self.subscriptions = [
            MatchedSubscription(self._node, Image, self.depth_topic, self._on_depth,
                                reliability, depth),
            MatchedSubscription(self._node, CameraInfo, self.info_topic, self._on_camera_info,
                                reliability, depth)]

    def unsubscribe(self) -> None:
        """Destroy the subscriptions."""
        for subscription in self.subscriptions:
            subscription.destroy()
        self.subscriptions = []

    def destroy(self) -> None:
        """Unsubscribe and destroy the publishers."""
        self.unsubscribe()
        for publisher in (self.detections_3d, self.markers):
            self._node.destroy_publisher(publisher)

    def publish(self, header, found: Sequence[Detection]) -> None:
        """Publish the 3D boxes of a colour frame's detections, stamped as the frame."""
        frame_id = self._stage.frame_id(self.camera)
        self.detections_3d.publish(self._layout.to_message(header, frame_id, found))
        if self.markers.get_subscription_count() > 0:
            self.markers.publish(self._markers.to_message(header, frame_id, self.camera, found))

    def _on_depth(self, msg: Image) -> None:
        try:
            depth = image_to_depth(msg, self._max_pixels)
        except ImageFormatError as error:
            self._stage.refuse(self.camera, 'bad_depth', error)
            return
        stamp = msg.header.stamp
        self._stage.add_depth(self.camera, stamp.sec + stamp.nanosec * 1e-9, depth)

    def _on_camera_info(self, msg: CameraInfo) -> None:
        try:
            intrinsics = camera_info_to_intrinsics(msg)
        except ValueError as error:
            self._stage.refuse(self.camera, 'bad_camera_info', error)
            return
        self._stage.set_camera_info(self.camera, intrinsics)


class DepthCameras:
    """Every camera's `DepthCamera` (none while the depth stage is off) and their diagnostics."""

    def __init__(self, node: Node, stages: ResultStages, values: Mapping[str, Any],
                 cameras: Sequence[Tuple[str, str]], max_pixels: int) -> None:
        """
        Build the depth input of each (image topic, output prefix) that has a depth topic.

        `values` are the node's settings by outside name ('depth.topics').  Raises ValueError
        (from `depth_topics_for`) when the depth topics do not fit the cameras.
        """
        stage = stages.stage(DepthStage.name)
        assert stage is None or isinstance(stage, DepthStage)
        self._stage = stage
        self._cameras: Dict[str, DepthCamera] = {}
        self._reported = dict.fromkeys(PROBLEMS, 0)
        if stage is None:
            return
        topics = depth_topics_for(from_values(DepthSettings, values, PREFIX),
                                  [topic for topic, _ in cameras])
        layout = Detection3DLayout()
        try:
            for topic, prefix in cameras:
                if topic in topics:
                    self._cameras[topic] = DepthCamera(node, topic, prefix, topics[topic],
                                                       stage, layout, max_pixels)
        except BaseException:
            self.destroy()
            raise

    @property
    def topics(self) -> List[str]:
        """Return the depth and camera_info topics subscribed, camera by camera."""
        return [t for c in self._cameras.values() for t in (c.depth_topic, c.info_topic)]

    def subscribe(self, reliability: str, depth: int) -> None:
        """Subscribe every camera's depth image and camera_info."""
        for camera in self._cameras.values():
            camera.subscribe(reliability, depth)

    def unsubscribe(self) -> None:
        """Destroy the depth subscriptions."""
        for camera in self._cameras.values():
            camera.unsubscribe()

    def destroy(self) -> None:
        """Destroy the depth subscriptions and the 3D publishers."""
        for camera in self._cameras.values():
            camera.destroy()
        self._cameras = {}

    def publish(self, camera: str, header, found: Sequence[Detection]) -> None:
        """Publish `camera`'s 3D boxes of one frame, if it has depth."""
        depth = self._cameras.get(camera)
        if depth is not None:
            depth.publish(header, found)

    def diagnose(self, health: Tuple[bytes, str]) -> Tuple[bytes, str]:
        """
        Return `health` (level, message) made at least WARN while depth problems grow.

        The message says what grew since the last call and the last problem's own words
        (which camera, which reason, what to fix).
        """
        if self._stage is None:
            return health
        counts = self._stage.health()
        grew = {key: int(counts[key]) - self._reported[key] for key in PROBLEMS
                if int(counts[key]) > self._reported[key]}
        self._reported = {key: int(counts[key]) for key in PROBLEMS}
        if not grew:
            return health
        level, message = health
        text = 'depth: %s since the last report; last: %s' % (
            ', '.join('%s +%d' % item for item in sorted(grew.items())),
            counts['last_problem'])
        return max(level, WARN), '%s; %s' % (message, text)
