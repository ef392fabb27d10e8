# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Where the Fast DDS large-image profile is, and the environment that makes Fast DDS read it.

Fast DDS keeps best-effort samples that do not fit its default shared-memory segment (about
0.5 MB) off that transport, and between processes on one machine they are lost: 1080p bgr8
(6.2 MB) at 30 Hz arrived 1 of 240 times with ``FASTDDS_BUILTIN_TRANSPORTS=LARGE_DATA`` and
240 of 240 with config/fastdds_large_images.xml (docs/benchmarks.md).  Fast DDS 2.x (Foxy,
Humble) reads the profile from ``FASTRTPS_DEFAULT_PROFILES_FILE``, 3.x (Jazzy and later) from
``FASTDDS_DEFAULT_PROFILES_FILE``.  Fast DDS 3 also reads the old name but warns that it is
deprecated, so the variable is chosen once, from ``ROS_DISTRO``.
"""

import os
import sys
from typing import Dict, List, Mapping, Optional

PROFILE_NAME = 'fastdds_large_images.xml'
FAST_DDS_2_DISTROS = ('foxy', 'galactic', 'humble', 'iron')
"""ROS 2 distributions whose Fast DDS (2.x) reads FASTRTPS_DEFAULT_PROFILES_FILE."""
PROFILE_VARIABLES = ('FASTRTPS_DEFAULT_PROFILES_FILE', 'FASTDDS_DEFAULT_PROFILES_FILE')
"""Fast DDS 2.x's and 3.x's names for the XML profile file."""


def profile_variable(distro: str) -> str:
    """Return the variable naming the XML profile for a ROS distro ('' or unknown: Jazzy+)."""
    if distro.lower() in FAST_DDS_2_DISTROS:
        return 'FASTRTPS_DEFAULT_PROFILES_FILE'
    return 'FASTDDS_DEFAULT_PROFILES_FILE'


def _candidates() -> List[str]:
    package = os.path.dirname(os.path.abspath(__file__))
    # A source checkout keeps it in config/; colcon and pip install it to
    # <prefix>/share/trt_perception/config (setup.py data_files), the package going to
    # <prefix>/lib/pythonX.Y/site-packages.
    prefix = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(package))))
    return [os.path.join(os.path.dirname(package), 'config', PROFILE_NAME),
            os.path.join(prefix, 'share', 'trt_perception', 'config', PROFILE_NAME),
            os.path.join(sys.prefix, 'share', 'trt_perception', 'config', PROFILE_NAME)]


def large_images_profile() -> str:
    """Return the path of fastdds_large_images.xml, from the source tree or an install."""
    for path in _candidates():
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        '%s is neither in the source tree nor installed (looked at %s): reinstall '
        'trt_perception, or point FASTDDS_DEFAULT_PROFILES_FILE at your own profile'
        % (PROFILE_NAME, ', '.join(_candidates())))


def profile_environment(env: Mapping[str, str], path: Optional[str] = None) -> Dict[str, str]:
    """
    Return `env` with its distro's profile variable set to the large-image profile.

    A profile already set in `env` is kept: a user's own profile wins.
    """
    out = dict(env)
    out.setdefault(profile_variable(env.get('ROS_DISTRO', '')), path or large_images_profile())
    return out
