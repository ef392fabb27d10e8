# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Image subscriptions whose reliability follows the camera's publishers (``qos_reliability: auto``).

A best-effort subscription hears every publisher; a reliable one hears only reliable publishers
and gets nothing at all from a best-effort camera driver. Under ``auto`` each subscription is
reliable only while every publisher on its topic is reliable, else best effort, and is made anew
when the publishers change (the node re-checks every second). Every check also counts the
publishers a reliable subscription cannot hear (best-effort ones).

The middleware's incompatible-QoS event is not used, and the subscriptions have no event
handlers at all (qos.QUIET_SUBSCRIPTION says why); the graph query finds the same publishers.
"""

from typing import Any, Callable, Sequence

from rclpy.node import Node
from rclpy.qos import ReliabilityPolicy

from trt_perception.ros.qos import image_qos, QUIET_SUBSCRIPTION

AUTO = 'auto'


def matching_reliability(publishers: Sequence[Any]) -> str:
    """Return 'reliable' when there are publishers and all are reliable, else 'best_effort'."""
    if publishers and all(policy == ReliabilityPolicy.RELIABLE for policy in publishers):
        return 'reliable'
    return 'best_effort'


class MatchedSubscription:
    """A subscription to an image topic, of fixed reliability or matching the publishers."""

    def __init__(self, node: Node, msg_type: Any, topic: str, callback: Callable[[Any], None],
                 reliability: str, depth: int) -> None:
        """Subscribe; `reliability` is 'auto', 'best_effort' or 'reliable'."""
        self.topic = topic
        self.auto = reliability == AUTO
        self.reliability = 'best_effort' if self.auto else reliability
        self.incompatible_publishers = 0
        """Publishers on the topic this subscription cannot hear, at the last check."""
        self._node = node
        self._msg_type = msg_type
        self._callback = callback
        self._depth = depth
        self.subscription = self._subscribe()
        # Remapping applies to the subscription; rclpy without Subscription.topic_name (Foxy)
        # looks publishers up under the name as given.
        self._resolved = getattr(self.subscription, 'topic_name', topic)
        self.check()

    def _subscribe(self) -> Any:
        return self._node.create_subscription(
            self._msg_type, self.topic, self._callback, image_qos(self.reliability, self._depth),
            event_callbacks=QUIET_SUBSCRIPTION)

    def check(self) -> bool:
        """
        Look at the publishers: count those unheard; under 'auto' subscribe anew if needed.

        Returns whether it subscribed anew.
        """
        policies = [info.qos_profile.reliability
                    for info in self._node.get_publishers_info_by_topic(self._resolved)]
        wanted = matching_reliability(policies)
        changed = self.auto and wanted != self.reliability
        if changed:
            self._resubscribe(wanted)
        self.incompatible_publishers = 0 if self.reliability == 'best_effort' else sum(
            1 for policy in policies if policy == ReliabilityPolicy.BEST_EFFORT)
        return changed

    def _resubscribe(self, wanted: str) -> None:
        old = self.subscription
        self.reliability = wanted
        # The new subscription exists before the old one goes, so no frame finds neither.
        self.subscription = self._subscribe()
        self._node.destroy_subscription(old)

    def destroy(self) -> None:
        """Destroy the subscription."""
        self._node.destroy_subscription(self.subscription)
