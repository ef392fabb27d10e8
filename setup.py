# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Build script for the trt_perception ament_python package (colcon, pip)."""

from glob import glob
import os
from xml.etree import ElementTree

from setuptools import find_packages, setup

PACKAGE = 'trt_perception'
HERE = os.path.dirname(os.path.abspath(__file__))


def _files(pattern):
    """Return the files (no folders) matching a glob pattern relative to this directory."""
    return sorted(path for path in glob(pattern) if os.path.isfile(path))


# package.xml is the one source of the version: colcon and rosdep read it too.
VERSION = ElementTree.parse(os.path.join(HERE, 'package.xml')).getroot().findtext('version')

setup(
    name=PACKAGE,
    version=VERSION,
    packages=find_packages(exclude=['test', 'test.*']),
    package_data={PACKAGE: ['gpu/*.cu', 'data/*']},
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + PACKAGE]),
        ('share/' + PACKAGE, ['package.xml']),
        ('share/' + PACKAGE + '/launch', _files('launch/*.py')),
        ('share/' + PACKAGE + '/config', _files('config/*')),
        # The bundled models (scripts/prepare_models.py makes them before the install), found
        # by trt_perception.core.models in the share folder whatever the working directory.
        ('share/' + PACKAGE + '/models', _files('models/*')),
    ],
    # The dataclasses module arrived in Python 3.7; JetPack 4.6 (TX2, Nano) has 3.6.
    install_requires=['setuptools', 'dataclasses; python_version < "3.7"'],
    zip_safe=False,
    maintainer='trt_perception Authors',
    maintainer_email='maintainers@trt-perception.dev',
    description='Camera object detection for ROS 2 with ONNX Runtime, TensorRT or a Triton '
                'server.',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'detector_node = trt_perception.ros.detector_node:main',
            'lifecycle_detector_node = trt_perception.ros.lifecycle:main',
            'image_source = trt_perception.ros.image_source:main',
            'detect = trt_perception.tools.detect:main',
            'doctor = trt_perception.tools.doctor:main',
            'evaluate = trt_perception.tools.evaluate:main',
            'build_engine = trt_perception.tools.build_engine:main',
            'triton_export = trt_perception.tools.triton_export:main',
            'detection_listener = trt_perception.ros.detection_listener:main',
        ],
    },
)
