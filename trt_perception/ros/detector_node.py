# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The detector node: camera images in, vision_msgs detections, debug images and diagnostics out.

Subscription callbacks only put the message into a per-camera newest-frame mailbox; one worker
thread converts, runs the pipeline and publishes, so the executor never waits on inference and a
slow model drops stale frames instead of queueing them.  docs/node.md describes the topics.
"""

import contextlib
from dataclasses import asdict, dataclass
import logging
import math
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.time import Time
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Float64MultiArray, MultiArrayDimension

from trt_perception.assembly import detection_params, pipeline_config
from trt_perception.core.annotate import Annotator, debug_canvas
from trt_perception.core.decoders import DetectionParams
from trt_perception.core.detection import Detection
from trt_perception.core.image import ImageFormatError, RawImage
from trt_perception.core.latest_frame import LatestFrameMailbox
from trt_perception.core.pipeline import BatchResult, DetectionPipeline, StageTimes
from trt_perception.core.schema import from_values
from trt_perception.core.stats import CameraSnapshot, CameraStats, EngineStats, STAGES, StaleWatch
from trt_perception.core.worker import BatchScheduler, Entry
from trt_perception.engine_builds import start_pipeline
from trt_perception.ros import diagnostics
from trt_perception.ros.image_conversion import (array_to_image, compressed_to_raw,
                                                 image_to_raw)
from trt_perception.ros.log_handler import RclpyLogHandler
from trt_perception.ros.log_throttle import ThrottledLogger
from trt_perception.ros.node_runner import run_node
from trt_perception.ros.parameters import (CameraInputSettings, changed, declare,
                                           DETECTOR_PARAMETERS, DetectorNodeSettings,
                                           RUNTIME_PARAMETERS)
from trt_perception.ros.qos import image_qos, QUIET_PUBLISHER
from trt_perception.ros.qos_matching import MatchedSubscription
from trt_perception.ros.vision_msgs_compat import VisionMsgsLayout

TIMING_FIELDS = tuple(stage + '_ms' for stage in STAGES) + ('age_ms', 'detections')
"""Order of the values in each <camera>/detections/timing Float64MultiArray."""

DEBUG_IMAGE_MAX_PIXELS = 1920 * 1080
"""Debug images of larger frames are shrunk to this many pixels (see `debug_canvas`)."""

_FUTURE_STAMP_MS = 60e3
"""A header stamp further than this ahead of the node's clock gives no meaningful age."""


def output_prefix(image_topic: str) -> str:
    """Where a camera's outputs go: the image topic's parent namespace + 'detections'."""
    parent, slash, _ = image_topic.rpartition('/')
    return parent + '/detections' if slash else 'detections'


@dataclass(frozen=True)
class _Frame:
    """A message waiting for the worker, with the converter for its type."""

    msg: Any
    """A sensor_msgs Image or CompressedImage."""
    decode: Callable[..., RawImage]
    received: float


class CameraStream:
    """One camera: its three publishers, its subscriptions while active, and its statistics."""

    def __init__(self, node: Node, topic: str, mailbox: LatestFrameMailbox,
                 layout: VisionMsgsLayout, window: float, stale_timeout: float) -> None:
        """Advertise the outputs under the topic's prefix; `subscribe` starts the input."""
        self.topic = topic
        self.prefix = output_prefix(topic)
        self.stats = CameraStats(window)
        self.stale = StaleWatch(stale_timeout)
        self._node = node
        self._mailbox = mailbox
        self.detections = node.create_publisher(layout.array_type, self.prefix, 10,
                                                event_callbacks=QUIET_PUBLISHER)
        self.debug_image = node.create_publisher(
            Image, self.prefix + '/debug_image', image_qos('reliable', 1),
            event_callbacks=QUIET_PUBLISHER)
        self.timing = node.create_publisher(Float64MultiArray, self.prefix + '/timing', 10,
                                            event_callbacks=QUIET_PUBLISHER)
        self.subscriptions: List[MatchedSubscription] = []
        self.warned_qos = False

    def subscribe(self, transport: str, reliability: str, depth: int) -> None:
        """Subscribe to the topic per `transport` ('raw', 'compressed' or 'both')."""
        if transport in ('raw', 'both'):
            self.subscriptions.append(MatchedSubscription(
                self._node, Image, self.topic, self._receiver(image_to_raw), reliability,
                depth))
        if transport in ('compressed', 'both'):
            self.subscriptions.append(MatchedSubscription(
                self._node, CompressedImage, self.topic + '/compressed',
                self._receiver(compressed_to_raw), reliability, depth))

    def unsubscribe(self) -> None:
        """Destroy the subscriptions: no more frames come in."""
        for subscription in self.subscriptions:
            subscription.destroy()
        self.subscriptions = []

    def destroy(self) -> None:
        """Unsubscribe and destroy the publishers."""
        self.unsubscribe()
        for publisher in (self.detections, self.debug_image, self.timing):
            self._node.destroy_publisher(publisher)

    def qos_values(self) -> List[Tuple[str, str]]:
        """Diagnostics key/value pairs of the subscriptions' QoS."""
        return [('qos_reliability', ','.join(s.reliability for s in self.subscriptions)),
                ('qos_incompatible_publishers',
                 str(sum(s.incompatible_publishers for s in self.subscriptions)))]

    def _receiver(self, decode: Callable[..., RawImage]) -> Callable[[object], None]:
        def on_message(msg) -> None:
            self.stats.frame_received()
            self._mailbox.put(self, _Frame(msg, decode, time.monotonic()))
        return on_message


class DetectorNode(Node):
    """
    Detects objects in one or more camera streams with a `DetectionPipeline`.

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
        super().__init__('detector_node', **kwargs)
        values = self._values = declare(self, DETECTOR_PARAMETERS)
        self._input = from_values(CameraInputSettings, values)
        self._settings = from_values(DetectorNodeSettings, values)
        self._check_topics(list(self._input.image_topics))
        self._log_handler = RclpyLogHandler(self.get_logger())
        self._core_log = logging.getLogger('trt_perception.%s' % self.get_name())
        self._core_log.addHandler(self._log_handler)
        self._core_log.propagate = False
        self._resources.callback(self._core_log.removeHandler, self._log_handler)
        self._layout = VisionMsgsLayout()
        self._max_pixels = self._settings.max_image_pixels
        self._limits = from_values(diagnostics.HealthThresholds, values, 'diagnostics.')
        self._hardware_id = self._settings.hardware_id or self.get_fully_qualified_name()
        self._log = ThrottledLogger(self.get_logger(), 5.0)
        self._annotator = Annotator()
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._start()

    def _start(self) -> None:
        # The managed node overrides this: it configures and activates when told to.
        self._configure()
        self._activate()

    @property
    def is_configured(self) -> bool:
        """Whether the model is loaded (configured, active or inactive)."""
        return bool(self._cameras)

    def _configure(self) -> None:
        """Load the model, advertise the outputs and diagnostics, and start the worker."""
        limits = self._limits
        try:
            # The classes are checked against the model's labels as it loads.
            self._pipeline, self._engine_build = start_pipeline(pipeline_config(self._values),
                                                                self._core_log)
            self._retired: List[DetectionPipeline] = []
            self._configured.callback(self._close_pipeline)
            self._labels = list(self._pipeline.decoder.labels)
            self._engine_stats = EngineStats(limits.window)
            self._mailbox: LatestFrameMailbox[_Frame] = LatestFrameMailbox()
            self._cameras = [CameraStream(self, topic, self._mailbox, self._layout,
                                          limits.window, limits.stale_timeout)
                             for topic in self._input.image_topics]
            self._configured.callback(self._destroy_cameras)
            self._diagnostics = self.create_publisher(DiagnosticArray, '/diagnostics', 10,
                                                      event_callbacks=QUIET_PUBLISHER)
            self._configured.callback(self.destroy_publisher, self._diagnostics)
            for timer in (self.create_timer(1.0, self._publish_diagnostics),
                          self.create_timer(1.0, self._check_qos)):
                self._configured.callback(self.destroy_timer, timer)
            self._scheduler: BatchScheduler[_Frame] = BatchScheduler(
                self._pipeline, self._mailbox, self._convert, self._deliver, self._batch_failed,
                busy=self._engine_stats.worker_busy, idle=self._engine_stats.worker_idle)
            self._gpu_times: Dict[str, float] = {}
            self._worker_end = ''
            self._start_worker()
            self._configured.callback(self._stop_worker)
        except BaseException:
            self._configured.close()
            raise
        info = self._pipeline.describe()
        self.get_logger().info('configured: %s (%s); outputs under %s' % (
            info.get('backend'), info.get('model_name'),
            ', '.join(c.prefix for c in self._cameras)))

    def _activate(self) -> None:
        """Subscribe to the cameras."""
        p = self._input
        for camera in self._cameras:
            camera.subscribe(p.input_transport, p.qos_reliability, p.qos_depth)
            self._active.callback(camera.unsubscribe)
        self.get_logger().info('detecting on %s' % ', '.join(p.image_topics))

    def _deactivate(self) -> None:
        """Unsubscribe; the model, buffers and outputs stay for the next activation."""
        self._active.close()

    def _cleanup(self) -> None:
        """Unsubscribe if active, stop the worker and release the model, engine and buffers."""
        self._active.close()
        self._configured.close()

    def _destroy_cameras(self) -> None:
        for camera in self._cameras:
            camera.destroy()
        self._cameras = []

    @staticmethod
    def _check_topics(topics: Sequence[str]) -> None:
        if not topics or not all(topics):
            raise ValueError('image_topics=%r must list at least one topic name' % (topics,))
        prefixes: Dict[str, str] = {}
        for topic in topics:
            other = prefixes.setdefault(output_prefix(topic), topic)
            if other != topic:
                raise ValueError(
                    'image_topics %r and %r would both publish on %s: give each camera its '
                    'own namespace (e.g. front/image_raw, rear/image_raw)'
                    % (other, topic, output_prefix(topic)))

    @property
    def pipeline_params(self) -> DetectionParams:
        """Thresholds and class filter in use now."""
        return self._pipeline.params

    def _on_set_parameters(self, parameters: Sequence[Parameter]) -> SetParametersResult:
        # rclpy itself refuses read-only parameters before this callback runs.
        changes = {parameter.name: parameter.value for parameter in parameters
                   if parameter.name in RUNTIME_PARAMETERS}
        if not changes:
            return SetParametersResult(successful=True)
        try:
            updated = changed(self._values, changes)
            # Unconfigured, the class filter is checked against the labels at configure.
            if self.is_configured:
                self._pipeline.update_params(**asdict(detection_params(updated, self._labels)))
        except ValueError as error:
            return SetParametersResult(successful=False, reason=str(error))
        self._values = updated
        return SetParametersResult(successful=True)

    def _start_worker(self) -> None:
        self._worker = threading.Thread(target=self._run_worker, name='inference', daemon=True)
        self._worker.start()

    def _run_worker(self) -> None:
        try:
            while self._scheduler.step():
                self._swap_in_built_engine()
        except BaseException as error:  # noted for the watchdog, which starts a new worker
            self._worker_end = '%s: %s' % (type(error).__name__, error)
            raise

    def _swap_in_built_engine(self) -> None:
        # On the worker thread, the only one running the pipeline, between two steps: the
        # batches in flight complete on the serving pipeline first, so no frame is lost, and
        # the subscriptions never change.
        built = self._engine_build.take() if self._engine_build is not None else None
        if built is None:
            return
        built.update_params(**asdict(self._pipeline.params))
        # The executor's callbacks (diagnostics, parameters) may be using the serving pipeline
        # right now: it is closed by the next diagnostics tick, which runs after them.
        self._retired.append(self._scheduler.switch_pipeline(built))
        self._pipeline = built
        assert self._engine_build is not None  # took from it just now
        self.get_logger().info('switched to %s after a %.0f s engine build' % (
            built.describe().get('backend'), self._engine_build.seconds()))

    def _close_retired(self) -> None:
        while self._retired:
            self._retired.pop().close()

    def _close_pipeline(self) -> None:
        if self._engine_build is not None:
            self._engine_build.close()
        self._close_retired()
        self._pipeline.close()

    def _batch_failed(self, error: Exception) -> None:
        if not self.context.ok():
            # rclpy was shut down (Ctrl-C, SIGTERM) while the batch ran, so publishing
            # failed: the node is stopping, nothing went wrong.
            return
        text = '%s: %s' % (type(error).__name__, error)
        self._engine_stats.batch_failed(text)
        try:
            self._log.error(('engine', type(error).__name__),
                            'processing a batch failed: %s' % text)
        except Exception as log_error:  # the failure is counted above; the worker goes on
            sys.stderr.write('detector_node: processing a batch failed: %s (and logging it '
                             'failed: %r)\n' % (text, log_error))

    def _check_worker(self) -> None:
        """
        Start a new worker if the thread ended while the node runs (the watchdog).

        Safe because a thread that ended no longer touches the pipeline; a thread stuck in a
        batch cannot be replaced (it still holds the pipeline) and shows as an ERROR instead.
        """
        if self._worker.is_alive() or self._mailbox.closed or not self.context.ok():
            return
        reason = 'the inference worker ended (%s) and was restarted' % (
            self._worker_end or 'no exception recorded')
        self._engine_stats.worker_restarted(reason)
        self._log.error(('engine', 'worker'), reason)
        self._start_worker()

    def _convert(self, camera: CameraStream, frame: _Frame) -> Optional[RawImage]:
        """Turn a message into an image; None (counted and logged) when it is rejected."""
        try:
            image = frame.decode(frame.msg, self._max_pixels)
        except ImageFormatError as error:
            self._reject(camera, error)
            return None
        self._note_size(camera, image)
        return image

    def _deliver(self, entries: List[Entry[_Frame]], result: BatchResult) -> None:
        self._engine_stats.batch_done()
        self._gpu_times = result.gpu_times
        for entry, found in zip(entries, result.detections):
            times = {'convert': entry.convert_ms, 'queue': entry.queue_ms}
            times.update(result.timing.as_dict())
            self._publish(entry.camera, entry.frame, entry.image, found, times,
                          result.timing)

    def _publish(self, camera: CameraStream, frame: _Frame, image: RawImage,
                 found: List[Detection], times: Dict[str, float], timing: StageTimes) -> None:
        start = time.perf_counter()
        header = frame.msg.header
        age_ms = self._age_ms(camera, header.stamp)
        camera.detections.publish(self._layout.to_message(header, found))
        if camera.debug_image.get_subscription_count() > 0:
            status = '%.1f fps  inference %.1f ms' % (camera.stats.output_fps(),
                                                      timing.inference)
            canvas, scale = debug_canvas(image, DEBUG_IMAGE_MAX_PIXELS)
            bgr = self._annotator.draw(canvas, found, status, scale)
            camera.debug_image.publish(array_to_image(bgr, 'bgr8', header))
        done = time.perf_counter()
        times['publish'] = (done - start) * 1e3
        times['total'] = (time.monotonic() - frame.received) * 1e3
        camera.stats.frame_published(times, age_ms)
        values = [times[stage] for stage in STAGES] + [age_ms, float(len(found))]
        camera.timing.publish(timing_message(values))

    def _age_ms(self, camera: CameraStream, stamp) -> float:
        """Milliseconds from `stamp` to now; NaN, counted and logged, for an unusable stamp."""
        if stamp.sec < 0:
            reason, why = 'negative', 'is negative'
        elif stamp.nanosec >= 10 ** 9:
            reason, why = 'bad_nanosec', 'has nanosec >= 10^9'
        else:
            age_ms = (self.get_clock().now().nanoseconds - Time.from_msg(stamp).nanoseconds) / 1e6
            if age_ms >= -_FUTURE_STAMP_MS:
                return age_ms
            reason, why = 'future', "is %.0f s ahead of this node's clock" % (-age_ms / 1e3)
        count = camera.stats.bad_stamp(reason)
        self._log.warning(
            (camera.topic, 'stamp', reason),
            'camera %s: header stamp %d.%09d %s (%d so far); detections are published with it, '
            "its age is not measured: fix the camera driver's clock or time source"
            % (camera.topic, stamp.sec, stamp.nanosec, why, count))
        return math.nan

    def _reject(self, camera: CameraStream, error: ImageFormatError) -> None:
        count = camera.stats.frame_rejected(error.reason)
        self._log.warning((camera.topic, error.reason),
                          'camera %s: skipped a message (%s, %d so far): %s'
                          % (camera.topic, error.reason, count, error))

    def _note_size(self, camera: CameraStream, image: RawImage) -> None:
        previous = camera.stats.frame_size(image.width, image.height)
        if previous is not None:
            self._log.warning((camera.topic, 'resolution'),
                              'camera %s: resolution changed from %dx%d to %dx%d; detecting '
                              'at the new size' % ((camera.topic,) + previous
                                                   + (image.width, image.height)))

    def _publish_diagnostics(self) -> None:
        self._check_worker()
        self._close_retired()
        statuses = []
        name = self.get_name()
        for camera in self._cameras:
            snap = camera.stats.snapshot(self._mailbox.dropped(camera))
            self._note_staleness(camera, snap)
            statuses.append(diagnostics.status(
                '%s: camera %s' % (name, camera.topic), self._hardware_id,
                diagnostics.camera_health(snap, self._limits),
                diagnostics.camera_values(camera.topic, snap) + camera.qos_values()))
        engine = self._engine_stats.snapshot()
        info = self._pipeline.describe()
        if self._engine_build is not None:
            info.update(self._engine_build.describe())
        params = self._pipeline.params
        info.update({'batches_in_flight': str(self._scheduler.in_flight)})
        info.update({'gpu_%s_ms' % stage: '%.2f' % ms for stage, ms in self._gpu_times.items()})
        info.update({'conf_threshold': '%g' % params.conf_threshold,
                     'iou_threshold': '%g' % params.iou_threshold,
                     'classes': ','.join(map(str, sorted(params.classes or ()))) or 'all'})
        statuses.append(diagnostics.status(
            '%s: engine' % name, self._hardware_id,
            diagnostics.engine_health(engine, info, self._limits.stall_timeout),
            diagnostics.engine_values(engine, info)))
        self._diagnostics.publish(
            diagnostics.diagnostic_array(self.get_clock().now().to_msg(), statuses))

    def _check_qos(self) -> None:
        for camera in self._cameras:
            for subscription in camera.subscriptions:
                if subscription.check():
                    self.get_logger().info('camera %s: subscribed %s to match the publishers on %s'
                                           % (camera.topic, subscription.reliability,
                                              subscription.topic))
                if subscription.incompatible_publishers and not camera.warned_qos:
                    # Once per camera: the count stays in diagnostics.
                    camera.warned_qos = True
                    self.get_logger().warning(
                        'camera %s: %d best-effort publisher(s) on %s cannot be heard by this '
                        'reliable subscription, so none of their frames arrive: set '
                        'qos_reliability to auto (or best_effort); counted in diagnostics as '
                        'qos_incompatible_publishers'
                        % (camera.topic, subscription.incompatible_publishers,
                           subscription.topic))

    def _note_staleness(self, camera: CameraStream, snap: CameraSnapshot) -> None:
        # One line each way, however long the camera stays away: diagnostics carry the rest.
        change = camera.stale.update(snap)
        if change:
            self.get_logger().warning(
                'camera %s: stale, no frame for %.1f s (diagnostics.stale_timeout): check that '
                'the camera driver runs and publishes on this topic'
                % (camera.topic, snap.seconds_running if snap.seconds_since_frame is None
                   else snap.seconds_since_frame))
        elif change is not None:
            self.get_logger().info('camera %s: frames again, no longer stale' % camera.topic)

    def _stop_worker(self) -> None:
        self._mailbox.close()
        self._worker.join()

    def destroy_node(self) -> None:
        """Stop the worker, release the pipeline, then destroy the ROS entities."""
        self._cleanup()
        self._resources.close()
        super().destroy_node()


def timing_message(values: Sequence[float]) -> Float64MultiArray:
    """Build a Float64MultiArray of TIMING_FIELDS values, its one dimension labelled."""
    msg = Float64MultiArray(data=[float(v) for v in values])
    msg.layout.dim = [MultiArrayDimension(label=','.join(TIMING_FIELDS),
                                          size=len(TIMING_FIELDS), stride=len(TIMING_FIELDS))]
    return msg


def main(args: Optional[Sequence[str]] = None) -> int:
    """Run detector_node until Ctrl-C."""
    return run_node(DetectorNode, 'detector_node', args)


if __name__ == '__main__':
    raise SystemExit(main())
