# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The README demo: three processes through real DDS, every photo detected and saved."""

import os
import subprocess
import sys

import pytest
from ros_imports import ros_imports

with ros_imports():
    import rclpy  # noqa: F401 (the demo's processes need it)
    import vision_msgs.msg  # noqa: F401
pytest.importorskip('skimage.data')

from trt_perception.core.models import find_model  # noqa: E402
from trt_perception.demo import demo_environment, PHOTOS  # noqa: E402
from trt_perception.fastdds_profile import (large_images_profile,  # noqa: E402
                                            PROFILE_VARIABLES)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPECTED = {'astronaut.png': 'person', 'camera.png': 'person', 'chelsea.png': 'cat',
            'coffee.png': 'cup', 'stereo_motorcycle.png': 'motorcycle'}


def test_demo_environment_is_private_with_the_large_image_profile(monkeypatch):
    for name in PROFILE_VARIABLES + ('ROS_DISTRO',):
        monkeypatch.delenv(name, raising=False)
    env = demo_environment(domain_id=123)
    assert env['FASTDDS_DEFAULT_PROFILES_FILE'] == large_images_profile()
    assert os.path.basename(large_images_profile()) == 'fastdds_large_images.xml'
    assert env['ROS_DOMAIN_ID'] == '123'
    assert env['PYTHONPATH'].split(os.pathsep)[0] == ROOT


def test_demo_detects_every_photo_through_three_processes(tmp_path):
    try:
        find_model('')
    except (ValueError, FileNotFoundError) as error:
        pytest.skip('the bundled model is not prepared (%s): run scripts/setup.sh' % error)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p))
    done = subprocess.run(
        [sys.executable, '-m', 'trt_perception.demo', '--output', str(tmp_path),
         '--timeout', '150'], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=240)
    print(done.stdout)
    assert done.returncode == 0
    assert 'OK: %d photos' % len(PHOTOS) in done.stdout
    lines = done.stdout.splitlines()
    for photo, label in EXPECTED.items():
        line = next(line for line in lines if line.startswith(photo))
        assert ' %s 0.' % label in line
    saved = [name for name in os.listdir(str(tmp_path)) if name.endswith('.jpg')]
    assert len(saved) >= len(PHOTOS)
