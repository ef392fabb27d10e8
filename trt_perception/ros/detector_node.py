# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The detector node: camera images in, vision_msgs detections, debug images and diagnostics out.

ROS wiring around a `trt_perception.runtime` `Detector`: subscription callbacks only put the
message into a per-camera newest-frame mailbox; the detector's worker thread converts, runs the
pipeline and the result stages and calls back to publish, so the executor never waits on
inference and a slow model drops stale frames instead of queueing them.  docs/node.md describes
the topics.
"""

import contextlib
import logging
import time
from typing import Dict, List, Optional, Sequence

from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter

from trt_perception.assembly import detection_params, pipeline_config
from trt_perception.core.annotate import Annotator, debug_canvas, TrackTrails
from trt_perception.core.backend import Fact
from trt_perception.core.decoders import DetectionParams
from trt_perception.core.detection import Detection
from trt_perception.core.image import RawImage
from trt_perception.core.latest_frame import LatestFrameMailbox
from trt_perception.core.pipeline import BatchResult
from trt_perception.core.schema import from_values
from trt_perception.core.stages import FrameInfo
from trt_perception.core.worker import Entry
from trt_perception.ros import diagnostics
from trt_perception.ros.camera_stream import CameraFrame, CameraStream, check_topics
from trt_perception.ros.depth_input import DepthCameras
from trt_perception.ros.image_conversion import array_to_image
from trt_perception.ros.instance_publishers import InstancePublishers
from trt_perception.ros.log_handler import RclpyLogHandler
from trt_perception.ros.log_throttle import ThrottledLogger
from trt_perception.ros.node_runner import run_node
from trt_perception.ros.parameters import (CameraInputSettings, changed, declare,
                                           detector_settings, DetectorNodeSettings,
                                           parameter_table)
from trt_perception.ros.qos import QUIET_PUBLISHER
from trt_perception.ros.vision_msgs_compat import VisionMsgsLayout
from trt_perception.runtime.detector import Detector
from trt_perception.runtime.stages import ResultStages, STAGE_PLUGINS


DEBUG_IMAGE_MAX_PIXELS = 1920 * 1080
"""Debug images of larger frames are shrunk to this many pixels (see `debug_canvas`)."""


class DetectorNode(Node):
    """
    Detects objects in one or more camera streams with a `Detector` (trt_perception.runtime).

    Its life has the phases of a managed node, which lifecycle.py drives one transition at a
    time: configure loads the model (or builds/loads the engine) and advertises the outputs,
    activate subscribes, deactivate unsubscribes and keeps the rest, cleanup releases the model.
    This plain node configures and activates at construction.
    """

    def __init__(self, **kwargs) -> None:
        """Declare parameters, then configure and activate (the managed node waits instead)."""
        # Set before Node.__init__: rclpy's context shutdown destroys even a node whose
        # construction failed half way, and destroy_node releases whatever was acquired.
        self._resources = contextlib.ExitStack()
        self._configured = contextlib.ExitStack()
        self._active = contextlib.ExitStack()
        self._cameras: List[CameraStream] = []
        self._instances: Dict[str, InstancePublishers] = {}
        super().__init__('detector_node', **kwargs)
        # The table is made here, so that it holds the result stages this node runs.
        self._table = parameter_table(detector_settings(STAGE_PLUGINS))
        values = self._values = declare(self, self._table)
        self._input = from_values(CameraInputSettings, values)
        self._settings = from_values(DetectorNodeSettings, values)
        check_topics(list(self._input.image_topics))
        self._log_handler = RclpyLogHandler(self.get_logger())
        self._core_log = logging.getLogger('trt_perception.%s' % self.get_name())
        self._core_log.addHandler(self._log_handler)
        self._core_log.propagate = False
        self._resources.callback(self._core_log.removeHandler, self._log_handler)
        self._layout = VisionMsgsLayout()
        self._limits = from_values(diagnostics.HealthThresholds, values, 'diagnostics.')
        self._hardware_id = self._settings.hardware_id or self.get_fully_qualified_name()
        self._log = ThrottledLogger(self.get_logger(), 5.0)
        self._trails = TrackTrails()
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._start()

    def _on_set_parameters(self, parameters: Sequence[Parameter]) -> SetParametersResult:
        # rclpy itself refuses read-only parameters before this callback runs.
        changes = {parameter.name: parameter.value for parameter in parameters
                   if parameter.name in self._values}
        if not changes:
            return SetParametersResult(successful=True)
        try:
            updated = changed(self._values, changes, self._table)
            # Unconfigured, the class filter and the stages are checked at configure.
            if self.is_configured:
                params = detection_params(updated, self._detector.labels)
                self._detector.stages.change({name: updated[name] for name in changes})
                self._detector.update_params(params)
        except ValueError as error:
            return SetParametersResult(successful=False, reason=str(error))
        self._values = updated
        return SetParametersResult(successful=True)

    # Life cycle.

    def _start(self) -> None:
        # The managed node overrides this: it configures and activates when told to.
        self._configure()
        self._activate()

    @property
    def is_configured(self) -> bool:
        """Whether the model is loaded (configured, active or inactive)."""
        return bool(self._cameras)

    @property
    def pipeline_params(self) -> DetectionParams:
        """Thresholds and class filter in use now."""
        return self._detector.params

    def _configure(self) -> None:
        """Load the model, advertise the outputs and diagnostics, and start the worker."""
        limits = self._limits
        try:
            stages = ResultStages(STAGE_PLUGINS, self._values, self._core_log)
            self._configured.callback(stages.close)
            self._mailbox: LatestFrameMailbox[CameraFrame] = LatestFrameMailbox()
            self._cameras = [CameraStream(self, topic, self._mailbox, self._layout,
                                          limits.window, limits.stale_timeout, stages.names)
                             for topic in self._input.image_topics]
            self._configured.callback(self._destroy_cameras)
            self._depth = DepthCameras(self, stages, self._values,
                                       [(c.topic, c.prefix) for c in self._cameras],
                                       self._settings.max_image_pixels)
            self._configured.callback(self._depth.destroy)
            self._configured.callback(self._destroy_instances)
            self._detector: Detector[CameraFrame] = Detector(
                pipeline_config(self._values), self._mailbox, self._convert, self._frame_info,
                self._publish, stages, self._core_log, self._log, limits.window,
                running=self.context.ok)
            self._configured.callback(self._detector.close)
            self._advertise_instances()
            self._diagnostics = self.create_publisher(DiagnosticArray, '/diagnostics', 10,
                                                      event_callbacks=QUIET_PUBLISHER)
            self._configured.callback(self.destroy_publisher, self._diagnostics)
            for timer in (self.create_timer(1.0, self._publish_diagnostics),
                          self.create_timer(1.0, self._check_qos)):
                self._configured.callback(self.destroy_timer, timer)
        except BaseException:
            self._configured.close()
            raise
        info = self._detector.health()
        self.get_logger().info('configured: %s (%s); outputs under %s' % (
            info.backend, info.facts.get(Fact.MODEL_NAME),
            ', '.join(c.prefix for c in self._cameras)))

    def _activate(self) -> None:
        """Subscribe to the cameras."""
        p = self._input
        for camera in self._cameras:
            camera.subscribe(p.input_transport, p.qos_reliability, p.qos_depth)
            self._active.callback(camera.unsubscribe)
        self._depth.subscribe(p.qos_reliability, p.qos_depth)
        self._active.callback(self._depth.unsubscribe)
        self.get_logger().info('detecting on %s' % ', '.join(
            list(p.image_topics) + self._depth.topics))

    def _deactivate(self) -> None:
        """Unsubscribe; the model, buffers and outputs stay, the cameras' tracks end."""
        self._active.close()
        for camera in self._cameras:
            self._detector.stages.forget(camera.topic)
            self._trails.forget(camera.topic)

    def _cleanup(self) -> None:
        """Unsubscribe if active, stop the worker and release the model, engine and buffers."""
        self._active.close()
        self._configured.close()

    def _destroy_cameras(self) -> None:
        for camera in self._cameras:
            camera.destroy()
        self._cameras = []

    def _advertise_instances(self) -> None:
        # What the detections carry beyond boxes is the model's: known once it is loaded.
        decoder = self._detector.pipeline.decoder
        self._annotator = Annotator.for_decoder(decoder)
        for camera in self._cameras:
            self._instances[camera.topic] = InstancePublishers(
                self, camera.prefix, decoder.masks, decoder.keypoint_layout)

    def _destroy_instances(self) -> None:
        while self._instances:
            self._instances.popitem()[1].destroy()

    # Frames in and results out (on the detector's worker thread).

    def _convert(self, camera: CameraStream, frame: CameraFrame) -> Optional[RawImage]:
        return camera.convert(frame, self._settings.max_image_pixels, self._log)

    @staticmethod
    def _frame_info(entry: Entry[CameraFrame]) -> FrameInfo:
        header = entry.frame.msg.header
        return FrameInfo(entry.camera.topic, header.stamp.sec + header.stamp.nanosec * 1e-9,
                         entry.image.width, entry.image.height, header.frame_id)

    def _publish(self, entry: Entry[CameraFrame], found: List[Detection], times: Dict[str, float],
                 result: BatchResult) -> None:
        start = time.perf_counter()
        camera, header = entry.camera, entry.frame.msg.header
        age_ms = camera.age_ms(header.stamp, self.get_clock().now().nanoseconds, self._log)
        camera.detections.publish(self._layout.to_message(header, found))
        self._depth.publish(camera.topic, header, found)
        self._instances[camera.topic].publish(header, found, entry.image.width,
                                              entry.image.height)
        if camera.debug_image.get_subscription_count() > 0:
            status = '%.1f fps  inference %.1f ms' % (camera.stats.output_fps(),
                                                      result.timing.inference)
            canvas, scale = debug_canvas(entry.image, DEBUG_IMAGE_MAX_PIXELS)
            bgr = self._annotator.draw(canvas, found, status, scale,
                                       self._trails.update(camera.topic, found))
            camera.debug_image.publish(array_to_image(bgr, 'bgr8', header))
        times['publish'] = (time.perf_counter() - start) * 1e3
        times['total'] = (time.monotonic() - entry.frame.received) * 1e3
        camera.frame_published(times, age_ms, len(found))

    # Diagnostics and supervision (executor timers).

    def _check_qos(self) -> None:
        for camera in self._cameras:
            camera.check_qos(self.get_logger())

    def _publish_diagnostics(self) -> None:
        self._detector.check_worker()
        statuses = []
        name = self.get_name()
        for camera in self._cameras:
            snap = camera.stats.snapshot(self._mailbox.dropped(camera))
            camera.note_staleness(snap, self.get_logger())
            statuses.append(diagnostics.status(
                '%s: camera %s' % (name, camera.topic), self._hardware_id,
                diagnostics.camera_health(snap, self._limits),
                diagnostics.camera_values(camera.topic, snap) + camera.qos_values()))
        health = self._detector.health()
        statuses.append(diagnostics.status(
            '%s: engine' % name, self._hardware_id,
            self._depth.diagnose(diagnostics.engine_health(health, self._limits.stall_timeout)),
            diagnostics.engine_values(health)))
        self._diagnostics.publish(
            diagnostics.diagnostic_array(self.get_clock().now().to_msg(), statuses))

    def destroy_node(self) -> None:
        """Stop the worker, release the pipeline, then destroy the ROS entities."""
        self._cleanup()
        self._resources.close()
        super().destroy_node()


def main(args: Optional[Sequence[str]] = None) -> int:
    """Run detector_node until Ctrl-C."""
    return run_node(DetectorNode, 'detector_node', args)


if __name__ == '__main__':
    raise SystemExit(main())
