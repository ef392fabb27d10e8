# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""QoS profiles built from the qos_reliability / qos_depth parameters."""

from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

_RELIABILITY = {'best_effort': ReliabilityPolicy.BEST_EFFORT,
                'reliable': ReliabilityPolicy.RELIABLE}
RELIABILITIES = tuple(_RELIABILITY)
"""Values of the qos_reliability parameters."""


def image_qos(reliability: str, depth: int) -> QoSProfile:
    """Keep-last QoS of the given reliability ('best_effort' or 'reliable') and depth."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=_RELIABILITY[reliability])
