# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
One camera of the detector node: its subscriptions, its three publishers and its statistics.

Subscription callbacks only put the message into the node's newest-frame mailbox; the
detector's worker converts it (`CameraStream.convert`) when it takes it.
"""

from dataclasses import dataclass
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from rclpy.node import Node
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Float64MultiArray, MultiArrayDimension

from trt_perception.core.image import ImageFormatError, RawImage
from trt_perception.core.latest_frame import LatestFrameMailbox
from trt_perception.core.stats import CameraSnapshot, CameraStats, StaleWatch
from trt_perception.ros.image_conversion import compressed_to_raw, image_to_raw
from trt_perception.ros.log_throttle import ThrottledLogger
from trt_perception.ros.qos import image_qos, QUIET_PUBLISHER
from trt_perception.ros.qos_matching import MatchedSubscription
from trt_perception.ros.vision_msgs_compat import VisionMsgsLayout
from trt_perception.runtime.detector import stamp_age_ms, timing_stages


def timing_fields(result_stages: Tuple[str, ...]) -> Tuple[str, ...]:
    """Order of the values in each <camera>/detections/timing Float64MultiArray."""
    return tuple(stage + '_ms' for stage in timing_stages(result_stages)) + ('age_ms',
                                                                             'detections')


TIMING_FIELDS = timing_fields(())
"""The timing layout without result stages (docs/node.md)."""


def timing_message(values: Sequence[float],
                   fields: Sequence[str] = TIMING_FIELDS) -> Float64MultiArray:
    """Build a Float64MultiArray of `fields` values, its one dimension labelled with them."""
    msg = Float64MultiArray(data=[float(v) for v in values])
    msg.layout.dim = [MultiArrayDimension(label=','.join(fields), size=len(fields),
                                          stride=len(fields))]
    return msg


def output_prefix(image_topic: str) -> str:
    """Where a camera's outputs go: the image topic's parent namespace + 'detections'."""
    parent, slash, _ = image_topic.rpartition('/')
    return parent + '/detections' if slash else 'detections'


@dataclass(frozen=True)
class CameraFrame:
    """A message waiting for the worker, with the converter for its type."""

    msg: Any
    """A sensor_msgs Image or CompressedImage."""
    decode: Callable[..., RawImage]
    received: float


class CameraStream:
    """One camera: its three publishers, its subscriptions while active, and its statistics."""

    def __init__(self, node: Node, topic: str, mailbox: LatestFrameMailbox,
                 layout: VisionMsgsLayout, window: float, stale_timeout: float,
                 result_stages: Tuple[str, ...] = ()) -> None:
        """Advertise the outputs under the topic's prefix; `subscribe` starts the input."""
        self.topic = topic
        self.prefix = output_prefix(topic)
        self.stats = CameraStats(window, stages=timing_stages(result_stages))
        self.timing_fields = timing_fields(result_stages)
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

    def convert(self, frame: CameraFrame, max_pixels: int, log: ThrottledLogger
                ) -> Optional[RawImage]:
        """Turn a message into an image; None (counted and logged) when it is rejected."""
        try:
            image = frame.decode(frame.msg, max_pixels)
        except ImageFormatError as error:
            count = self.stats.frame_rejected(error.reason)
            log.warning((self.topic, error.reason),
                        'camera %s: skipped a message (%s, %d so far): %s'
                        % (self.topic, error.reason, count, error))
            return None
        previous = self.stats.frame_size(image.width, image.height)
        if previous is not None:
            log.warning((self.topic, 'resolution'),
                        'camera %s: resolution changed from %dx%d to %dx%d; detecting at the '
                        'new size' % ((self.topic,) + previous + (image.width, image.height)))
        return image

    def age_ms(self, stamp, now_ns: int, log: ThrottledLogger) -> float:
        """Milliseconds from `stamp` to now; NaN, counted and logged, for an unusable stamp."""
        age_ms, reason, why = stamp_age_ms(stamp.sec, stamp.nanosec, now_ns)
        if reason:
            count = self.stats.bad_stamp(reason)
            log.warning(
                (self.topic, 'stamp', reason),
                'camera %s: header stamp %d.%09d %s (%d so far); detections are published '
                "with it, its age is not measured: fix the camera driver's clock or time source"
                % (self.topic, stamp.sec, stamp.nanosec, why, count))
        return age_ms

    def frame_published(self, times: Dict[str, float], age_ms: float, count: int) -> None:
        """Count a frame whose detections went out and publish its timing."""
        self.stats.frame_published(times, age_ms)
        fields = self.timing_fields
        self.timing.publish(timing_message(
            [times[name[:-3]] for name in fields[:-2]] + [age_ms, count], fields))

    def check_qos(self, logger) -> None:
        """Re-match the subscriptions' reliability; warn once about unheard publishers."""
        for subscription in self.subscriptions:
            if subscription.check():
                logger.info('camera %s: subscribed %s to match the publishers on %s'
                            % (self.topic, subscription.reliability, subscription.topic))
            if subscription.incompatible_publishers and not self.warned_qos:
                # Once per camera: the count stays in diagnostics.
                self.warned_qos = True
                logger.warning(
                    'camera %s: %d best-effort publisher(s) on %s cannot be heard by this '
                    'reliable subscription, so none of their frames arrive: set '
                    'qos_reliability to auto (or best_effort); counted in diagnostics as '
                    'qos_incompatible_publishers'
                    % (self.topic, subscription.incompatible_publishers, subscription.topic))

    def note_staleness(self, snap: CameraSnapshot, logger) -> None:
        """Log the camera going stale, and coming back, one line each way."""
        change = self.stale.update(snap)
        if change:
            logger.warning(
                'camera %s: stale, no frame for %.1f s (diagnostics.stale_timeout): check that '
                'the camera driver runs and publishes on this topic'
                % (self.topic, snap.seconds_running if snap.seconds_since_frame is None
                   else snap.seconds_since_frame))
        elif change is not None:
            logger.info('camera %s: frames again, no longer stale' % self.topic)

    def _receiver(self, decode: Callable[..., RawImage]) -> Callable[[object], None]:
        def on_message(msg) -> None:
            self.stats.frame_received()
            self._mailbox.put(self, CameraFrame(msg, decode, time.monotonic()))
        return on_message


def check_topics(topics: Sequence[str]) -> None:
    """Refuse an empty topic list, and two cameras whose outputs would share a namespace."""
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
