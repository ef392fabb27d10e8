# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
detector_node as a managed (lifecycle) node: lifecycle_detector_node, ROS 2 Humble and later.

The same `DetectorNode`, parameters, topics and diagnostics; only the phases follow the
lifecycle transitions instead of running at construction:

- configure: load the model, or build/load the TensorRT engine, allocate buffers, advertise the
  outputs and diagnostics, start the worker;
- activate: subscribe to the cameras; deactivate: unsubscribe, keeping everything else;
- cleanup: stop the worker and free the model, the engine and the GPU memory;
- shutdown, from any state: whatever is held is released.

With the ``autostart`` parameter the node configures and activates itself at start.
"""

from typing import Callable, Optional, Sequence

from trt_perception.ros.detector_node import DetectorNode
from trt_perception.ros.node_runner import run_node

try:
    from rclpy.lifecycle import LifecycleNode, State, TransitionCallbackReturn
except ImportError as error:  # Foxy's rclpy has no lifecycle nodes
    raise ImportError('%s: managed nodes need rclpy.lifecycle (ROS 2 Humble or later); on Foxy '
                      'run detector_node, the plain node' % error) from error


class LifecycleDetectorNode(DetectorNode, LifecycleNode):
    """A `DetectorNode` whose phases run on lifecycle transitions."""

    def _start(self) -> None:
        if self._settings.autostart:
            self.trigger_configure()
            self.trigger_activate()

    def _transition(self, name: str, step: Callable[[], None]) -> TransitionCallbackReturn:
        try:
            step()
        except Exception as error:  # a failed transition is reported, never raised
            self.get_logger().error('%s failed: %s: %s' % (name, type(error).__name__, error))
            return TransitionCallbackReturn.FAILURE
        return TransitionCallbackReturn.SUCCESS

    def on_configure(self, state: State) -> TransitionCallbackReturn:
        """Load the model (or build/load the engine) and advertise the outputs."""
        return self._transition('configure', self._configure)

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        """Subscribe to the cameras."""
        return self._transition('activate', self._activate)

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        """Unsubscribe; keep the model for the next activation."""
        return self._transition('deactivate', self._deactivate)

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        """Free the model, the engine and their buffers."""
        return self._transition('cleanup', self._cleanup)

    def on_shutdown(self, state: State) -> TransitionCallbackReturn:
        """Release whatever the state held."""
        return self._transition('shutdown', self._cleanup)

    def on_error(self, state: State) -> TransitionCallbackReturn:
        """Release everything after a failed transition; the node returns to unconfigured."""
        return self._transition('error recovery', self._cleanup)


def main(args: Optional[Sequence[str]] = None) -> int:
    """Run lifecycle_detector_node until Ctrl-C."""
    return run_node(LifecycleDetectorNode, 'lifecycle_detector_node', args)


if __name__ == '__main__':
    raise SystemExit(main())
