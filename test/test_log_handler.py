# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for RclpyLogHandler: core `logging` records reach a real rclpy logger."""

import logging
import uuid

import pytest
from ros_imports import ros_imports

with ros_imports():
    import rclpy.logging as rclpy_logging

from trt_perception.ros.log_handler import RclpyLogHandler  # noqa: E402


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
