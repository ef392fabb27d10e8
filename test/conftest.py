# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Session-wide test setup: the gpu marker, the import path, an isolated DDS domain, fixtures."""

import os
import random
import secrets
import sys

import cv2
import numpy as np
import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Tests import the source tree, not a copy installed in the environment, and the build tools
# in scripts/ (prepare_models.py and its model_prep package), which are never installed.
if os.path.join(REPO_ROOT, 'scripts') not in sys.path:
    sys.path.insert(0, os.path.join(REPO_ROOT, 'scripts'))
if sys.path[0] != REPO_ROOT:
    sys.path.insert(0, REPO_ROOT)

from trt_perception.fastdds_profile import profile_environment, PROFILE_VARIABLES  # noqa: E402

# Set before any test creates a DDS participant. A random domain keeps this session from
# talking to other DDS participants on the machine (another test run, a robot's nodes).
# Valid ROS domain ids on Linux are 0-101; 0 is everyone's default, so it is never drawn.
os.environ.setdefault('ROS_DOMAIN_ID', str(random.SystemRandom().randint(1, 101)))
# Discovery stays on the loopback interface: without this Fast DDS also multicasts to
# 239.255.0.1 on every network interface.
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
# Fast DDS' default transports, and LARGE_DATA too, lose large best-effort images (1080p bgr8)
# between processes; the shipped profile's 64 MiB shared-memory segment delivers them.
os.environ.update(profile_environment(os.environ))


@pytest.fixture
def rng(request):
    """Return a fresh random generator; its seed is printed and kept to replay a failure."""
    seed = secrets.randbits(32)
    request.node.user_properties.append(('seed', seed))
    print('random seed %d' % seed)
    return np.random.default_rng(seed)


@pytest.fixture
def photos(tmp_path, rng):
    """Write three random images out of name order, plus a non-image file; return both."""
    images = {}
    # Distinct widths tell the frames apart once published.
    for name, width in (('b.png', 23), ('a.png', 17), ('c.png', 31)):
        images[name] = rng.integers(0, 256, (int(rng.integers(8, 40)), width, 3),
                                    dtype=np.uint8)
        cv2.imwrite(str(tmp_path / name), images[name])
    (tmp_path / 'notes.txt').write_text('not an image')
    return tmp_path, images


def pytest_configure(config):
    """Register the project's markers."""
    config.addinivalue_line(
        'markers', 'gpu: needs a CUDA device and pycuda; skipped with the reason when absent')


def pytest_report_header(config):
    """Show the DDS settings the session runs with."""
    return 'dds: ' + ', '.join(
        '%s=%s' % (name, os.environ[name])
        for name in ('ROS_DOMAIN_ID', 'ROS_AUTOMATIC_DISCOVERY_RANGE',
                     'FASTDDS_BUILTIN_TRANSPORTS') + PROFILE_VARIABLES
        if name in os.environ)


@pytest.fixture
def ros():
    """Return a `Harness` for node tests: real rclpy and DDS, closed after the test."""
    from test_detector_node import Harness  # ROS is imported only by tests that ask for it
    harness = Harness()
    yield harness
    harness.close()


@pytest.fixture(scope='session')
def head_export(request):
    """Return `export(yaml)`: a seeded Ultralytics seg or pose ONNX file, cached across runs."""
    pytest.importorskip('torch')
    pytest.importorskip('ultralytics')
    import ultralytics_heads
    cache_dir = str(request.config.cache.mkdir('ultralytics_exports'))
    return lambda yaml: ultralytics_heads.cached_export(yaml, cache_dir)
