# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for per-key log throttling."""

from trt_perception.core.log_throttle import LogThrottle


class FakeClock:

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_each_key_logs_once_per_period_and_counts_the_rest():
    clock = FakeClock()
    throttle = LogThrottle(5.0, clock)
    assert throttle.allow(('cam', 'data_too_short')) == 0
    assert throttle.allow(('cam', 'data_too_short')) is None
    assert throttle.allow(('cam', 'data_too_short')) is None
    # Another reason on the same camera is not silenced by the first.
    assert throttle.allow(('cam', 'unknown_encoding')) == 0
    clock.now = 5.0
    assert throttle.allow(('cam', 'data_too_short')) == 2
    assert throttle.allow(('cam', 'data_too_short')) is None


def test_a_line_says_how_many_similar_ones_were_held_back():
    clock = FakeClock()
    throttle = LogThrottle(5.0, clock)
    assert throttle.line('depth/cam/bad_depth', 'refused') == 'refused'
    assert throttle.line('depth/cam/bad_depth', 'refused') is None
    clock.now = 6.0
    assert throttle.line('depth/cam/bad_depth', 'refused') == \
        'refused (1 similar messages not logged)'
