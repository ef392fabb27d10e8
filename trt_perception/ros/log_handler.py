# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Forward Python `logging` records from the core to a node's rclpy logger."""

import logging


class RclpyLogHandler(logging.Handler):
    """A logging.Handler writing to an rclpy logger at the matching severity."""

    def __init__(self, ros_logger) -> None:
        """Write to `ros_logger` (a node's get_logger())."""
        super().__init__()
        self._ros_logger = ros_logger

    def emit(self, record: logging.LogRecord) -> None:
        """Write one record (its formatted message) to the rclpy logger."""
        if record.levelno >= logging.ERROR:
            write = self._ros_logger.error
        elif record.levelno >= logging.WARNING:
            write = self._ros_logger.warning
        elif record.levelno >= logging.INFO:
            write = self._ros_logger.info
        else:
            write = self._ros_logger.debug
        write(self.format(record))
