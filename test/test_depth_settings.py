# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The depth settings' schema, and where each camera's depth and camera_info topics are."""

import pytest

from trt_perception.core.depth.settings import (depth_settings_described, depth_topics_for,
                                                DepthSettings)


def test_depth_is_off_unless_a_topic_is_set():
    assert not DepthSettings().enabled
    assert not DepthSettings(topics=('',)).enabled
    assert DepthSettings(topics=('aligned_depth_to_color/image_raw',)).enabled


def test_settings_are_described_once_with_their_outside_names():
    described = {d.name: d for d in depth_settings_described()}
    assert set(described) == {
        'depth.topics', 'depth.camera_info_topics', 'depth.stamp_tolerance', 'depth.min_range',
        'depth.max_range', 'depth.percentile', 'depth.band', 'depth.inner_fraction',
        'depth.buffer'}
    assert described['depth.topics'].type_name == 'string array'
    assert [n for n, d in described.items() if not d.info.runtime] == [
        'depth.topics', 'depth.camera_info_topics', 'depth.buffer']
    assert described['depth.percentile'].info.constraints() == '0 to 100'


def test_bad_values_are_refused_naming_the_setting():
    with pytest.raises(ValueError, match='percentile=101'):
        DepthSettings(percentile=101.0)
    with pytest.raises(ValueError, match='depth.min_range=5 is not below depth.max_range=5'):
        DepthSettings(min_range=5.0, max_range=5.0)
    with pytest.raises(ValueError, match='buffer=0'):
        DepthSettings(buffer=0)


@pytest.mark.parametrize('image, depth, info', [
    ('/camera/color/image_raw', '/camera/aligned_depth_to_color/image_raw',
     '/camera/aligned_depth_to_color/camera_info'),
    ('/camera/camera/color/image_raw', '/camera/camera/aligned_depth_to_color/image_raw',
     '/camera/camera/aligned_depth_to_color/camera_info'),
    ('/color/image_raw', '/aligned_depth_to_color/image_raw',
     '/aligned_depth_to_color/camera_info'),
    ('/image_raw', '/aligned_depth_to_color/image_raw', '/aligned_depth_to_color/camera_info'),
    ('color/image_raw', 'aligned_depth_to_color/image_raw', 'aligned_depth_to_color/camera_info'),
    ('front/color/image_raw', 'front/aligned_depth_to_color/image_raw',
     'front/aligned_depth_to_color/camera_info'),
])
def test_relative_names_are_looked_up_in_the_camera_namespace(image, depth, info):
    settings = DepthSettings(topics=('aligned_depth_to_color/image_raw',))
    assert depth_topics_for(settings, [image]) == {image: (depth, info)}


def test_one_relative_name_serves_every_camera():
    settings = DepthSettings(topics=('depth/depth_registered',),
                             camera_info_topics=('depth/camera_info',))
    found = depth_topics_for(settings, ['/zed/zed_node/rgb/image_rect_color',
                                        '/zed2/zed_node/rgb/image_rect_color'])
    assert found['/zed2/zed_node/rgb/image_rect_color'] == (
        '/zed2/zed_node/depth/depth_registered', '/zed2/zed_node/depth/camera_info')


def test_one_name_per_camera_and_cameras_without_depth():
    settings = DepthSettings(topics=('/front/depth', ''))
    assert depth_topics_for(settings, ['/front/color/image_raw', '/rear/image']) == {
        '/front/color/image_raw': ('/front/depth', '/front/camera_info')}
    assert depth_topics_for(DepthSettings(topics=('depth',)), ['image']) == {
        'image': ('depth', 'camera_info')}
    assert depth_topics_for(DepthSettings(), ['/a/b/image']) == {}


def test_lists_that_do_not_fit_the_cameras_are_refused():
    with pytest.raises(ValueError, match='one absolute topic for 2 cameras'):
        depth_topics_for(DepthSettings(topics=('/depth',)), ['/a/image', '/b/image'])
    with pytest.raises(ValueError, match='depth.camera_info_topics has 2 names for 3 cameras'):
        depth_topics_for(DepthSettings(topics=('depth',), camera_info_topics=('a', 'b')),
                         ['/a/x/image', '/b/x/image', '/c/x/image'])
