# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The depth stage: 3D boxes on paired frames, and every fault counted, logged and survived.

The faults are the ones a node meets: no camera_info yet, depth of another shape, depth whose
stamps never come near the colour frames', objects whose depth is all invalid.  In each, the
2D detections go on unchanged.
"""

import threading

from depth_scene import detections, encode, Plate, render
import numpy as np
import pytest

from trt_perception.core.depth.image import DepthImage
from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.depth.settings import DepthSettings
from trt_perception.core.depth.stage import DepthStage, make_depth_stage
from trt_perception.core.image import ImageFormatError
from trt_perception.core.stages import FrameInfo, ResultStage

K = CameraIntrinsics(600.0, 600.0, 319.5, 239.5, 640, 480, 'camera_depth_optical_frame')
CAMERA = '/camera/color/image_raw'
PLATE = Plate((0.1, -0.05, 2.0), 0.5, 0.8)
SETTINGS = DepthSettings(topics=('aligned_depth_to_color/image_raw',))


@pytest.fixture
def scene():
    depth, seen = render(K, [PLATE])
    return DepthImage.from_array(encode(depth, '16UC1')), detections(K, [PLATE], seen, masks=True)


class Logged:
    """Collects (key, text) pairs as the node's throttled logger would receive them."""

    def __init__(self):
        self.lines = []

    def __call__(self, key, text):
        self.lines.append((key, text))


def _stage():
    log = Logged()
    return DepthStage(SETTINGS, log), log


def _frame(stamp=5.0, width=640, height=480):
    return FrameInfo(CAMERA, stamp, width, height, 'camera_color_optical_frame')


def test_the_factory_gives_a_stage_only_when_depth_is_set():
    assert make_depth_stage(DepthSettings()) is None
    stage = make_depth_stage(SETTINGS, Logged())
    assert isinstance(stage, ResultStage) and stage.name == 'depth'


def test_paired_frames_get_3d_boxes(scene):
    depth, found = scene
    stage, log = _stage()
    stage.set_camera_info(CAMERA, K)
    stage.add_depth(CAMERA, 5.001, depth)
    (out,) = stage.process(_frame(), found)
    center, size = PLATE.true_box()
    np.testing.assert_allclose(out.box3d.center, center, atol=0.01)
    np.testing.assert_allclose(out.box3d.size[:2], size[:2], rtol=0.03)
    assert out.box3d.frame_id == 'camera_depth_optical_frame'
    assert (out.x1, out.label, out.mask) == (found[0].x1, found[0].label, found[0].mask)
    health = stage.health()
    assert (health['paired_frames'], health['located'], health['without_depth']) == (1, 1, 0)
    assert health['last_problem'] == '' and log.lines == []


@pytest.mark.parametrize('fault, reason, words', [
    ('nothing', 'no_depth', 'no depth image'),
    ('no camera_info', 'no_camera_info', 'camera_info'),
    ('stamps never pair', 'stamp_mismatch', 'depth.stamp_tolerance'),
    ('other shape', 'size_mismatch', 'not aligned'),
])
def test_unpaired_frames_are_counted_and_logged_and_go_on_in_2d(scene, fault, reason, words):
    depth, found = scene
    stage, log = _stage()
    stage.watch(CAMERA)
    if fault != 'nothing':
        stage.add_depth(CAMERA, 5.0 if fault != 'stamps never pair' else 4.5, depth)
    if fault not in ('nothing', 'no camera_info'):
        stage.set_camera_info(CAMERA, K)
    size = (1280, 720) if fault == 'other shape' else (640, 480)
    for _ in range(3):
        assert stage.process(_frame(5.0, *size), found) == found
    health = stage.health()
    assert health['unpaired_' + reason] == 3 and health['paired_frames'] == 0
    assert sum(v for k, v in health.items() if k.startswith('unpaired_')) == 3
    assert words in health['last_problem'] and CAMERA in health['last_problem']
    assert [key for key, _ in log.lines] == ['depth/%s/unpaired_%s' % (CAMERA, reason)] * 3


def test_objects_without_valid_depth_are_counted(scene):
    _, found = scene
    stage, log = _stage()
    stage.set_camera_info(CAMERA, K)
    stage.add_depth(CAMERA, 5.0, DepthImage.from_array(np.zeros((480, 640), np.uint16)))
    assert stage.process(_frame(), found + found) == found + found
    health = stage.health()
    assert (health['paired_frames'], health['located'], health['without_depth']) == (1, 0, 2)
    assert '2 of 2 objects' in health['last_problem']
    assert 'depth.min_range=0.1' in log.lines[0][1]


def test_messages_the_node_could_not_convert_are_counted():
    stage, log = _stage()
    try:
        DepthImage.from_buffer(bytes(3), 2, 2, 4, '16UC1')
    except ImageFormatError as error:
        stage.refuse(CAMERA, 'bad_depth', error)
    stage.refuse(CAMERA, 'bad_camera_info', ValueError('K is all zero'))
    health = stage.health()
    assert (health['bad_depth'], health['bad_camera_info']) == (1, 1)
    assert health['last_problem'] == 'camera_info for %s refused: K is all zero' % CAMERA
    assert 'data holds 3 bytes' in log.lines[0][1]
    assert log.lines[0][0] == 'depth/%s/bad_depth' % CAMERA
    with pytest.raises(ValueError, match='bad_depth, bad_camera_info'):
        stage.refuse(CAMERA, 'other', ValueError('x'))


def test_run_time_settings_apply_and_fixed_ones_are_refused(scene):
    depth, found = scene
    stage, _ = _stage()
    stage.set_camera_info(CAMERA, K)
    stage.add_depth(CAMERA, 4.9, depth)
    assert stage.process(_frame(), found)[0].box3d is None
    stage.apply(DepthSettings(topics=SETTINGS.topics, stamp_tolerance=0.2))
    assert stage.process(_frame(), found)[0].box3d is not None
    with pytest.raises(ValueError, match='depth.buffer cannot change'):
        stage.apply(DepthSettings(topics=SETTINGS.topics, buffer=3))


def test_forget_and_close_drop_a_cameras_depth(scene):
    depth, found = scene
    stage, _ = _stage()
    stage.set_camera_info(CAMERA, K)
    stage.add_depth(CAMERA, 5.0, depth)
    stage.forget(CAMERA)
    assert stage.process(_frame(), found) == found
    assert stage.health()['unpaired_no_depth'] == 1
    stage.set_camera_info(CAMERA, K)
    stage.add_depth(CAMERA, 5.0, depth)
    stage.close()
    assert stage.process(_frame(), found) == found
    health = stage.health()
    assert health['unpaired_no_depth'] == 1 and health['paired_frames'] == 0


def test_the_depth_frame_id_is_the_camera_infos():
    stage, _ = _stage()
    assert stage.frame_id(CAMERA) == ''
    stage.add_depth(CAMERA, 1.0, DepthImage.from_array(np.zeros((4, 4), np.uint16)))
    assert stage.frame_id(CAMERA) == ''
    stage.set_camera_info(CAMERA, K)
    assert stage.frame_id(CAMERA) == 'camera_depth_optical_frame'


def test_cameras_are_paired_separately(scene):
    depth, found = scene
    stage, _ = _stage()
    stage.set_camera_info(CAMERA, K)
    stage.add_depth(CAMERA, 5.0, depth)
    other = FrameInfo('/rear/color/image_raw', 5.0, 640, 480)
    assert stage.process(other, found) == found  # no depth for it: not counted
    assert sum(v for k, v in stage.health().items() if k.startswith('unpaired_')) == 0
    stage.watch(other.camera)
    assert stage.process(other, found)[0].box3d is None
    assert stage.health()['unpaired_no_depth'] == 1
    assert stage.process(_frame(), found)[0].box3d is not None


def test_depth_and_camera_info_arrive_on_another_thread(scene):
    depth, found = scene
    stage, _ = _stage()
    stage.set_camera_info(CAMERA, K)
    stage.add_depth(CAMERA, 0.0, depth)
    done = threading.Event()

    def executor():
        for index in range(1, 2000):
            stage.add_depth(CAMERA, index * 0.01, depth)
            stage.set_camera_info(CAMERA, K)
        done.set()

    thread = threading.Thread(target=executor)
    thread.start()
    frames = 0
    while not done.is_set():
        stage.process(_frame(stamp=0.0, width=640, height=480), [])
        frames += 1
    thread.join()
    health = stage.health()
    assert health['paired_frames'] + health['unpaired_stamp_mismatch'] == frames
