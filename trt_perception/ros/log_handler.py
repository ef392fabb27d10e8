# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Forward Python `logging` records from the core to a node's rclpy logger."""

import logging


class RclpyLogHandler(logging.Handler):
    """
    A logging.Handler writing to an rclpy logger at the matching severity.

    rclpy raises when one line of code logs at a second severity, so each severity is written
    from its own line below (never through a variable holding the logger method).
    """

    def __init__(self, ros_logger) -> None:
        """Write to `ros_logger` (a node's get_logger())."""
        super().__init__()
        self._ros_logger = ros_logger

    def emit(self, record: logging.LogRecord) -> None:
        """Write one record (its formatted message) to the rclpy logger."""
        text = self.format(record)
        if record.levelno >= logging.ERROR:
            self._ros_logger.error(text)
        elif record.levelno >= logging.WARNING:
            self._ros_logger.warning(text)
        elif record.levelno >= logging.INFO:
            self._ros_logger.info(text)
        else:
            self._ros_logger.debug(text)
