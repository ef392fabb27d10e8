# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for finding the Fast DDS large-image profile and naming it per ROS distro."""

import os
from xml.etree import ElementTree

from trt_perception.fastdds_profile import (large_images_profile, profile_environment,
                                            profile_variable)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NS = '{http://www.eprosima.com/XMLSchemas/fastRTPS_Profiles}'


def test_the_source_tree_profile_is_found_and_sizes_shared_memory_for_1080p_frames():
    path = large_images_profile()
    assert path == os.path.join(ROOT, 'config', 'fastdds_large_images.xml')
    segment = int(ElementTree.parse(path).getroot().find(
        './/%stransport_descriptor[%stype="SHM"]/%ssegment_size' % (NS, NS, NS)).text)
    assert segment >= 8 * 1920 * 1080 * 3


def test_fast_dds_2_distros_read_fastrtps_the_others_fastdds():
    for distro in ('foxy', 'Humble', 'iron'):
        assert profile_variable(distro) == 'FASTRTPS_DEFAULT_PROFILES_FILE'
    for distro in ('jazzy', 'kilted', 'rolling', ''):
        assert profile_variable(distro) == 'FASTDDS_DEFAULT_PROFILES_FILE'


def test_the_environment_keeps_a_users_own_profile():
    env = profile_environment({'ROS_DISTRO': 'humble', 'PATH': '/bin'})
    assert env == {'ROS_DISTRO': 'humble', 'PATH': '/bin',
                   'FASTRTPS_DEFAULT_PROFILES_FILE': large_images_profile()}
    mine = {'FASTDDS_DEFAULT_PROFILES_FILE': '/etc/mine.xml'}
    assert profile_environment(mine) == mine
