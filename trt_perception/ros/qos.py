# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""QoS profiles built from the qos_reliability / qos_depth parameters."""

from typing import Any

from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

try:  # rclpy from Iron on; Foxy and Humble have the same classes in rclpy.qos_event
    from rclpy.event_handler import PublisherEventCallbacks, SubscriptionEventCallbacks
except ImportError:  # pragma: no cover (Foxy, Humble)
    from rclpy.qos_event import PublisherEventCallbacks, SubscriptionEventCallbacks

_RELIABILITY = {'best_effort': ReliabilityPolicy.BEST_EFFORT,
                'reliable': ReliabilityPolicy.RELIABLE}
RELIABILITIES = tuple(_RELIABILITY)
"""Values of a publisher's qos_reliability parameter."""
SUBSCRIBER_RELIABILITIES = ('auto',) + RELIABILITIES
"""Values of a subscriber's qos_reliability: 'auto' matches the publishers (qos_matching.py)."""


def image_qos(reliability: str, depth: int) -> QoSProfile:
    """Keep-last QoS of the given reliability ('best_effort' or 'reliable') and depth."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=_RELIABILITY[reliability])


def _without_defaults(kind: Any) -> Any:
    try:
        return kind(use_default_callbacks=False)
    except TypeError:  # pragma: no cover (an rclpy without default event handlers)
        return kind()


# Entities the node makes and destroys while it runs (lifecycle transitions, re-subscribing
# under qos_reliability auto) get no event handlers: with rclpy Kilted, destroying one whose
# default incompatible-QoS handler a multi-threaded executor is adding to its wait set raises
# InvalidHandle in the executor thread, which then stops (seen in test/test_lifecycle.py).
# The node reports unheard publishers itself (qos_matching.py).
QUIET_SUBSCRIPTION = _without_defaults(SubscriptionEventCallbacks)
"""event_callbacks for subscriptions the node destroys while running."""
QUIET_PUBLISHER = _without_defaults(PublisherEventCallbacks)
"""event_callbacks for publishers the node destroys while running."""
