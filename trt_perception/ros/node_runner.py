# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
init / spin / destroy / shutdown for every executable, with the rclpy differences in one place.

Foxy's rclpy lacks `ExternalShutdownException`; it is looked up once here.  A node that cannot
start (bad parameter, missing model) exits with status 1 and one clear line instead of a
traceback.
"""

import sys
from typing import Callable, Optional, Sequence

import rclpy
import rclpy.exceptions
import rclpy.executors
from rclpy.node import Node

from trt_perception.core.backend import BackendError


def _optional(module, name: str) -> tuple:
    error = getattr(module, name, None)
    return (error,) if error is not None else ()


_STOP_ERRORS = (KeyboardInterrupt,) + _optional(rclpy.executors, 'ExternalShutdownException')
# A parameter of the wrong type or out of its range (`-p rate:=2` for a double) raises a
# ParameterException subclass at declaration.
_START_ERRORS = (ValueError, OSError, BackendError, ImportError) + _optional(
    rclpy.exceptions, 'ParameterException')


def _shutdown() -> None:
    if rclpy.ok():
        rclpy.shutdown()


def run_node(factory: Callable[[], Node], name: str,
             args: Optional[Sequence[str]] = None) -> int:
    """Create the node, spin until Ctrl-C or until its `done` future completes; exit status."""
    rclpy.init(args=None if args is None else list(args))
    try:
        node = factory()
    except _START_ERRORS as error:
        sys.stderr.write('%s: cannot start: %s\n' % (name, error))
        _shutdown()
        return 1
    try:
        done = getattr(node, 'done', None)
        if done is None:
            rclpy.spin(node)
        else:
            rclpy.spin_until_future_complete(node, done)
    except _STOP_ERRORS:
        pass
    except RuntimeError:
        # SIGTERM shuts the context down from rclpy's signal handler; an executor building
        # its wait set at that moment raises RCLError ("context is not valid") instead of
        # ExternalShutdownException. That is a stop, not a failure; anything else is re-raised.
        if rclpy.ok():
            raise
    finally:
        node.destroy_node()
        _shutdown()
    return 0
