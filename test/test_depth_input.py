# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The node's depth input and 3D output over DDS, fed by an RGB-D driver in another process.

test/rgbd_publisher.py sends five cameras' colour, depth and camera_info.  Each colour image
is the astronaut photo; the depth is a scene rendered in float64 (test/depth_scene.py): a
plate facing the camera 2 m away whose outline is the person box the pipeline finds on its
own (the independent reference, run here), in front of a wall at 4 m.  Camera 'good' sends
half-size 16UC1 depth with holes and outliers and its camera_info, so its 3D box must land on
the plate, and its rviz markers must be built only once someone subscribes; the others each
carry one fault (no camera_info, a depth image of another shape,
depth all NaN, depth stamps 0.13 s off), which must show in diagnostics while their 2D
detections go on.
"""

import json
import os
import subprocess
import sys

from depth_scene import encode, Plate, render, spoil
import numpy as np
import pytest
from ros_imports import ros_imports

with ros_imports():
    from std_msgs.msg import Float64MultiArray
    from visualization_msgs.msg import Marker, MarkerArray

from test_detector_node import engine_status, Harness, wait_for  # noqa: E402
from trt_perception.assembly import create_pipeline, PipelineConfig  # noqa: E402
from trt_perception.core.depth.intrinsics import CameraIntrinsics  # noqa: E402
from trt_perception.core.image import RawImage  # noqa: E402
from trt_perception.ros.depth_input import beside  # noqa: E402
from trt_perception.ros.detection3d import Detection3DLayout  # noqa: E402
from trt_perception.ros.markers import BoxMarkers  # noqa: E402

skimage_data = pytest.importorskip('skimage.data')

HERE = os.path.dirname(os.path.abspath(__file__))
K = CameraIntrinsics(450.0, 450.0, 255.5, 255.5, 512, 512, 'camera_depth_optical_frame')
"""The colour camera's intrinsics (the astronaut photo is 512 x 512)."""
DISTANCE = 2.0
FAULTS = {'noinfo': 'unpaired_no_camera_info', 'size': 'unpaired_size_mismatch',
          'invalid': 'without_depth', 'stamps': 'unpaired_stamp_mismatch'}
"""Each faulty camera and the depth stage counter its fault grows."""


def test_outputs_sit_next_to_the_detections():
    assert beside('/cam/color/detections', 'detections_3d') == '/cam/color/detections_3d'
    assert beside('detections', 'detection_markers') == 'detection_markers'


def person_plate():
    """Return the photo, its person and the plate at DISTANCE whose outline that box is."""
    rgb = skimage_data.astronaut()
    with create_pipeline(PipelineConfig(backend='onnxruntime')) as pipeline:
        found = pipeline.detect([RawImage.from_array(rgb, 'rgb8')]).detections[0]
    person = max((d for d in found if d.label == 'person'), key=lambda d: d.score)
    x = ((person.x1 + person.x2) / 2 - K.cx) / K.fx * DISTANCE
    y = ((person.y1 + person.y2) / 2 - K.cy) / K.fy * DISTANCE
    return rgb, person, Plate((x, y, DISTANCE), (person.x2 - person.x1) / K.fx * DISTANCE,
                              (person.y2 - person.y1) / K.fy * DISTANCE)


def write_scene(folder, namespace, rgb, plate, rng):
    colour = str(folder / 'colour.npy')
    np.save(colour, rgb)
    half = K.scaled(256, 256)
    depths = {'good': encode(spoil(render(half, [plate])[0], rng), '16UC1'),
              'noinfo': encode(render(half, [plate])[0], '16UC1'),
              'size': encode(render(K.scaled(512, 384), [plate])[0], '16UC1'),
              'invalid': np.full((512, 512), np.nan, np.float32),
              'stamps': encode(render(K, [plate])[0], '32FC1')}
    intrinsics = {'good': half, 'noinfo': None, 'size': K.scaled(512, 384), 'invalid': K,
                  'stamps': K}
    cameras = []
    for name, depth in depths.items():
        path = str(folder / (name + '.npy'))
        np.save(path, depth)
        k = intrinsics[name]
        root = '%s/%s/' % (namespace, name)
        cameras.append({
            'colour': colour, 'colour_topic': root + 'color/image_raw', 'depth': path,
            'depth_topic': root + 'aligned_depth_to_color/image_raw',
            'info_topic': root + 'aligned_depth_to_color/camera_info',
            'intrinsics': None if k is None else [k.fx, k.fy, k.cx, k.cy, k.width, k.height,
                                                  k.frame_id],
            'depth_offset': 0.13 if name == 'stamps' else 0.0})
    path = folder / 'scene.json'
    path.write_text(json.dumps({'rate': 4.0, 'cameras': cameras}))
    return str(path)


def test_3d_boxes_land_on_the_object_and_faults_show_in_diagnostics(tmp_path, rng,
                                                                    monkeypatch):
    built = []
    original = BoxMarkers.to_message
    monkeypatch.setattr(BoxMarkers, 'to_message',
                        lambda *args: built.append(args[3]) or original(*args))
    rgb, person, plate = person_plate()
    ros = Harness()
    publisher = None
    try:
        cameras = ['good'] + sorted(FAULTS)
        node = ros.detector(backend='onnxruntime',
                            image_topics=['%s/color/image_raw' % c for c in cameras],
                            depth__topics=['aligned_depth_to_color/image_raw'])
        found_2d = {c: ros.listen('%s/color/detections' % c) for c in cameras}
        found_3d = ros.listen('good/color/detections_3d', Detection3DLayout().array_type)
        timing = ros.listen('good/color/detections/timing', Float64MultiArray)
        publisher = subprocess.Popen(
            [sys.executable, os.path.join(HERE, 'rgbd_publisher.py'),
             write_scene(tmp_path, ros.namespace, rgb, plate, rng)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
        assert publisher.stdout.readline().startswith('publishing')

        def located():
            return [m for m in found_3d if m.detections]
        boxes = wait_for(located, 60.0, what='3D boxes of camera good')[-1]
        twin = wait_for(lambda: [m for m in found_2d['good']
                                 if m.header.stamp == boxes.header.stamp], 10.0,
                        what='the 2D detections of the same frame')[0]
        assert boxes.header.frame_id == 'camera_depth_optical_frame'
        flat = ros.layout.from_message(twin)
        assert len(boxes.detections) == len(flat)
        center, size = plate.true_box()
        for item, det2d, hypothesis in zip(boxes.detections, twin.detections, flat):
            assert item.header == boxes.header
            assert item.results[0].hypothesis.class_id == hypothesis.class_id
            assert item.results[0].hypothesis.score == pytest.approx(hypothesis.score)
            assert item.id == det2d.id  # the track id, where a tracker set one
        item = max((i for i in boxes.detections if i.results[0].hypothesis.class_id ==
                    'person'), key=lambda i: i.results[0].hypothesis.score)
        position, extent = item.bbox.center.position, item.bbox.size
        print('camera good: centre off by %.1f mm, extents off by %.2f%% and %.2f%%' % (
            1e3 * np.linalg.norm(np.subtract([position.x, position.y, position.z], center)),
            100 * abs(extent.x / size[0] - 1), 100 * abs(extent.y / size[1] - 1)))
        np.testing.assert_allclose([position.x, position.y, position.z], center, atol=0.01)
        np.testing.assert_allclose([extent.x, extent.y], size[:2], rtol=0.03)
        assert extent.z < 0.01

        label = wait_for(lambda: timing, 10.0, what='timing')[-1].layout.dim[0].label
        assert 'depth_ms' in label.split(',')

        assert built == [], 'markers are built only while someone subscribes'
        markers = ros.listen('good/color/detection_markers', MarkerArray)
        shown = wait_for(lambda: [m for m in markers if len(m.markers) > 1], 20.0,
                         what='markers while subscribed')[-1]
        assert shown.markers[0].action == Marker.DELETEALL
        assert {m.type for m in shown.markers[1:]} == {Marker.CUBE, Marker.TEXT_VIEW_FACING}
        assert all(m.header.frame_id == 'camera_depth_optical_frame' for m in shown.markers)

        def faults_shown(status, values):
            return all(int(values.get('stage.depth.' + key, 0)) > 0 for key in FAULTS.values())
        status, values = engine_status(ros, node, faults_shown, 60.0)
        assert int(values['stage.depth.bad_depth']) == 0
        assert int(values['stage.depth.located']) >= 1
        # A WARN names what grew; it may be the next status that still sees a fault grow.
        status, _ = engine_status(
            ros, node, lambda s, v: s.level == b'\x01' and 'depth: ' in s.message, 60.0)
        assert 'unpaired_' in status.message or 'without_depth' in status.message
        # The faulty cameras' 2D detections go on.
        for camera in FAULTS:
            wait_for(lambda c=camera: any(m.detections for m in found_2d[c]), 20.0,
                     what='2D detections of camera %s' % camera)
    finally:
        if publisher is not None:
            publisher.communicate('', timeout=20)
        ros.close()
