# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Image subscriptions whose reliability follows the camera's publishers (``qos_reliability: auto``).

A best-effort subscription hears every publisher; a reliable one hears only reliable publishers
and gets nothing at all from a best-effort camera driver. Under ``auto`` each subscription is
reliable only while every publisher on its topic is reliable, else best effort, and is made anew
when the publishers change (the node re-checks every second). Publishers whose QoS the
middleware finds incompatible are counted, and reported through a callback.
"""

from typing import Any, Callable, Sequence

from rclpy.node import Node
from rclpy.qos import ReliabilityPolicy

from trt_perception.ros.qos import image_qos

try:  # rclpy from Iron on; Foxy and Humble keep the same class in rclpy.qos_event
    from rclpy.event_handler import SubscriptionEventCallbacks
except ImportError:  # pragma: no cover (Foxy, Humble)
    from rclpy.qos_event import SubscriptionEventCallbacks

AUTO = 'auto'


def matching_reliability(publishers: Sequence[Any]) -> str:
    """Return 'reliable' when there are publishers and all are reliable, else 'best_effort'."""
    if publishers and all(policy == ReliabilityPolicy.RELIABLE for policy in publishers):
        return 'reliable'
    return 'best_effort'


def policy_name(kind: Any) -> str:
    """Name the QoS policy of an incompatible-QoS event (an enum member; an int on Foxy)."""
    return str(getattr(kind, 'name', kind))


class MatchedSubscription:
    """A subscription to an image topic, of fixed reliability or matching the publishers."""

    def __init__(self, node: Node, msg_type: Any, topic: str, callback: Callable[[Any], None],
                 reliability: str, depth: int,
                 on_incompatible: Callable[['MatchedSubscription', str], None]) -> None:
        """Subscribe; `reliability` is 'auto', 'best_effort' or 'reliable'."""
        self.topic = topic
        self.auto = reliability == AUTO
        self.reliability = 'best_effort' if self.auto else reliability
        self.incompatible_events = 0
        self._node = node
        self._msg_type = msg_type
        self._callback = callback
        self._depth = depth
        self._on_incompatible = on_incompatible
        self.subscription = self._subscribe()
        # Remapping applies to the subscription; rclpy without Subscription.topic_name (Foxy)
        # looks publishers up under the name as given.
        self._resolved = getattr(self.subscription, 'topic_name', topic)
        if self.auto:
            self.rematch()

    def _subscribe(self) -> Any:
        return self._node.create_subscription(
            self._msg_type, self.topic, self._callback, image_qos(self.reliability, self._depth),
            event_callbacks=SubscriptionEventCallbacks(incompatible_qos=self._incompatible))

    def _incompatible(self, info: Any) -> None:
        self.incompatible_events += 1
        self._on_incompatible(self, policy_name(info.last_policy_kind))

    def rematch(self) -> bool:
        """Under 'auto', subscribe anew if the publishers now call for another reliability."""
        if not self.auto:
            return False
        wanted = matching_reliability([
            info.qos_profile.reliability
            for info in self._node.get_publishers_info_by_topic(self._resolved)])
        if wanted == self.reliability:
            return False
        old = self.subscription
        self.reliability = wanted
        # The new subscription exists before the old one goes, so no frame finds neither.
        self.subscription = self._subscribe()
        self._node.destroy_subscription(old)
        return True

    def destroy(self) -> None:
        """Destroy the subscription."""
        self._node.destroy_subscription(self.subscription)
