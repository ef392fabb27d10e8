# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for per-key log throttling."""

import uuid

from ros_imports import ros_imports

with ros_imports():
    import rclpy.logging as rclpy_logging

from trt_perception.ros.log_throttle import LogThrottle, ThrottledLogger  # noqa: E402


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


def test_warnings_and_errors_share_a_real_rclpy_logger(capfd):
    # rclpy raises 'Logger severity cannot be changed between calls' when one line of code
    # logs at two severities; a warning followed by an error once killed the inference thread.
    clock = FakeClock()
    log = ThrottledLogger(rclpy_logging.get_logger('throttle_%s' % uuid.uuid4().hex[:8]),
                          5.0, clock)
    log.warning(('cam', '16UC1'), 'first a warning')
    log.error(('engine', 'ValueError'), 'then an error')
    log.warning(('cam', '16UC1'), 'held back')
    clock.now = 6.0
    log.warning(('cam', '16UC1'), 'a warning again')
    log.info(('cam', 'resolution'), 'and some news')
    err = capfd.readouterr().err
    assert '[WARN]' in err and 'first a warning' in err
    assert '[ERROR]' in err and 'then an error' in err
    assert 'held back' not in err
    assert 'a warning again (1 similar messages not logged)' in err
    assert '[INFO]' in err and 'and some news' in err
