# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
package.xml tells rosdep the truth.

Every run-time dependency is imported, ONNX Runtime (which a plain ROS install lacks) is
declared, and the keys rosdistro lacks are defined in rosdep/.
"""

import glob
import os
import re
from xml.etree import ElementTree

import pytest

yaml = pytest.importorskip('yaml')

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPORTED_AS = {
    'rclpy': 'rclpy', 'sensor_msgs': 'sensor_msgs', 'std_msgs': 'std_msgs',
    'vision_msgs': 'vision_msgs', 'trt_perception_msgs': 'trt_perception_msgs',
    'visualization_msgs': 'visualization_msgs',
    'diagnostic_msgs': 'diagnostic_msgs', 'launch': 'launch',
    'launch_ros': 'launch_ros', 'python3-numpy': 'numpy', 'python3-opencv': 'cv2',
    'python3-onnxruntime-pip': 'onnxruntime', 'python3-pycuda': 'pycuda',
    'python3-dataclasses-pip': 'dataclasses',
}
"""The Python module each rosdep key provides."""
OWN_KEYS = ('python3-pycuda', 'python3-dataclasses-pip')
"""Keys rosdistro does not define (rosdep/python.yaml), so rosdep/trt_perception.yaml does."""


def _exec_depends():
    root = ElementTree.parse(os.path.join(REPO, 'package.xml')).getroot()
    return [element.text for element in root.findall('exec_depend')]


def _imported_modules():
    found = set()
    paths = glob.glob(os.path.join(REPO, 'trt_perception', '**', '*.py'), recursive=True)
    for path in paths + glob.glob(os.path.join(REPO, 'launch', '*.py')):
        with open(path, encoding='utf-8') as f:
            text = f.read()
        found.update(re.findall(r'^\s*(?:from|import) ([A-Za-z_]\w*)', text, re.MULTILINE))
        found.update(re.findall(r"import_module\('([A-Za-z_]\w*)", text))
    return found


def test_every_run_time_dependency_is_imported_and_cv_bridge_is_not_one():
    depends = _exec_depends()
    assert 'cv_bridge' not in depends
    assert set(depends) <= set(IMPORTED_AS), set(depends) - set(IMPORTED_AS)
    imported = _imported_modules()
    for key in depends:
        assert IMPORTED_AS[key] in imported, key


def test_onnxruntime_is_declared_with_the_rosdistro_key():
    assert 'onnxruntime' in _imported_modules()
    assert 'python3-onnxruntime-pip' in _exec_depends()


def test_keys_rosdistro_lacks_are_defined_here_and_pycuda_says_how_to_find_cuda():
    with open(os.path.join(REPO, 'rosdep', 'trt_perception.yaml'), encoding='utf-8') as f:
        text = f.read()
    rules = yaml.safe_load(text)
    for key in OWN_KEYS:
        assert key in rules and key in _exec_depends(), key
    # rosdep's sudo pip cannot see /usr/local/cuda/bin: the file gives the manual step.
    assert '--skip-keys python3-pycuda' in text and 'export PATH=/usr/local/cuda/bin' in text
