# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests that log lines of every severity reach a real rclpy logger, in any order."""

import logging
import uuid

import pytest
from ros_imports import ros_imports

with ros_imports():
    import rclpy.logging as rclpy_logging

from trt_perception.ros.log_handler import RclpyLogHandler  # noqa: E402
from trt_perception.ros.log_throttle import ThrottledLogger  # noqa: E402


@pytest.fixture
def core_log():
    """Return a core logger forwarding to a fresh rclpy logger that prints every severity."""
    name = 'test_log_handler_%s' % uuid.uuid4().hex[:8]
    ros_logger = rclpy_logging.get_logger(name)
    ros_logger.set_level(rclpy_logging.LoggingSeverity.DEBUG)
    log = logging.getLogger('trt_perception.' + name)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    handler = RclpyLogHandler(ros_logger)
    log.addHandler(handler)
    yield log
    log.removeHandler(handler)


def test_records_of_every_level_reach_rclpy_in_any_order(core_log, capfd):
    # rclpy refuses a second severity from one call site ("Logger severity cannot be changed
    # between calls"): an engine-cache miss (warning) followed by the build's progress (info)
    # used to raise out of the core's log call.
    core_log.warning('cache miss one')
    core_log.info('building two')
    core_log.error('failed three')
    core_log.debug('detail four')
    core_log.warning('cache miss five')
    err = capfd.readouterr().err
    for level, text in (('WARN', 'cache miss one'), ('INFO', 'building two'),
                        ('ERROR', 'failed three'), ('DEBUG', 'detail four'),
                        ('WARN', 'cache miss five')):
        assert '[%s]' % level in err and text in err, (level, text, err)


class FakeClock:

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


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
