# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""QoS profiles built from the qos_reliability / qos_depth parameters."""

from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

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
