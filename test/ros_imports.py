# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
ROS 2 imports in tests: skipped on a machine without ROS, a failure in CI.

A test module imports the ROS packages it needs inside the guard, then the rest as usual::

    with ros_imports():
        import rclpy
        from vision_msgs.msg import Detection2DArray

CI (the ``CI`` environment variable set, as ``.ci/run`` does) builds the ROS environment with
``scripts/setup.sh``: a ROS package that does not import there is a broken set-up, which a
skip would hide.  test/test_ros_imports.py checks that every test module goes through here.
"""

import contextlib
import os

import pytest


@contextlib.contextmanager
def ros_imports():
    """Run a test module's ROS imports; on ImportError skip the module, or fail it in CI."""
    try:
        yield
    except ImportError as error:
        if os.environ.get('CI'):
            pytest.fail('a ROS 2 package does not import in CI, where scripts/setup.sh builds '
                        'the ROS environment: %s' % error, pytrace=False)
        pytest.skip('ROS 2 Python packages are not importable (%s): run ./scripts/setup.sh and '
                    'test with ./scripts/test.sh' % error, allow_module_level=True)
