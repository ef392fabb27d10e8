# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The offline runner as users run it: `python -m trt_perception.detect`."""

import json
import os
import subprocess
import sys

import cv2
from depth_scene import encode, Plate, render
import moving_photos
import numpy as np
import pytest
from skimage import data

from trt_perception.core.annotate import Annotator
from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.detection import Detection, InstanceMask, Keypoints
from trt_perception.core.keypoints import COCO_SKELETON

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, '-m', 'trt_perception.detect'] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env, timeout=300)


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp('photos')
    paths = {}
    for name in ('astronaut', 'chelsea'):
        paths[name] = str(folder / (name + '.png'))
        cv2.imwrite(paths[name], cv2.cvtColor(getattr(data, name)(), cv2.COLOR_RGB2BGR))
    broken = folder / 'broken.jpg'
    broken.write_bytes(b'\xff\xd8 this is not a JPEG')
    paths['broken'] = str(broken)
    return paths


def test_json_output_and_bad_inputs(photos, tmp_path):
    missing = str(tmp_path / 'missing.png')
    result = run(photos['astronaut'], missing, photos['broken'], photos['chelsea'], '--json',
                 '--backend', 'onnxruntime', '--conf', '0.3', '--save-dir', str(tmp_path))
    assert result.returncode == 1, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r['image'] for r in records] == [photos['astronaut'], photos['chelsea']]
    person = records[0]
    assert (person['width'], person['height']) == (512, 512)
    assert set(person['timing_ms']) == {'preprocess', 'inference', 'postprocess'}
    labels = {d['label'] for d in person['detections']}
    assert 'person' in labels
    for det in person['detections']:
        assert set(det) == {'label', 'class_id', 'score', 'box'}
        assert det['score'] >= 0.3
        x1, y1, x2, y2 = det['box']
        assert 0 <= x1 < x2 <= 512 and 0 <= y1 < y2 <= 512
    assert 'cat' in {d['label'] for d in records[1]['detections']}
    assert missing in result.stderr and 'no such file' in result.stderr
    assert photos['broken'] in result.stderr and 'cannot decode' in result.stderr
    assert sorted(os.listdir(tmp_path)) == ['astronaut.jpg', 'chelsea.jpg']


def test_text_output_and_video_frames(photos, tmp_path):
    video = str(tmp_path / 'clip.avi')
    frame = cv2.imread(photos['chelsea'])
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 5,
                             (frame.shape[1], frame.shape[0]))
    for _ in range(3):
        writer.write(frame)
    writer.release()
    result = run(video, '--backend', 'onnxruntime')
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith(' ')]
    assert [line.split()[0] for line in lines] == ['%s#%d' % (video, i) for i in range(3)]
    assert 'cat' in result.stdout


def test_tracking_gives_each_object_of_a_video_its_own_id_in_json_and_draws_trails(tmp_path):
    video = str(tmp_path / 'moving.avi')
    count = 8
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (moving_photos.WIDTH, moving_photos.HEIGHT))
    for i in range(count):
        writer.write(moving_photos.frame(i, count))
    writer.release()
    saved = tmp_path / 'saved'
    result = run(video, '--json', '--backend', 'onnxruntime', '--tracking',
                 '--save-dir', str(saved))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == count
    ids = {'cat': set(), 'person': set()}
    for record in records[1:]:
        assert 'tracking' in record['timing_ms']
        for det in record['detections']:
            if det['label'] in ids:
                ids[det['label']].add(det['track_id'])
    assert len(ids['cat']) == 1 and len(ids['person']) == 1, ids
    assert ids['cat'] != ids['person']
    assert len(os.listdir(str(saved))) == count
    # The text output names each tracked detection by its id too.
    text = run(video, '--backend', 'onnxruntime', '--tracking').stdout
    assert '#%d cat' % next(iter(ids['cat'])) in text
    # Without --tracking no detection has an id.
    plain = [json.loads(line) for line in run(video, '--json', '--backend', 'onnxruntime')
             .stdout.splitlines()]
    assert not any('track_id' in det for record in plain for det in record['detections'])


def test_unknown_model_exits_with_a_message(photos):
    result = run(photos['chelsea'], '--model', 'no_such_model')
    assert result.returncode == 2
    assert 'no_such_model' in result.stderr


def test_the_node_settings_are_flags_too(photos):
    # --classes takes names or ids as the node's classes parameter does; a bound is the
    # schema's, refused with the setting's name.
    result = run(photos['astronaut'], '--json', '--backend', 'onnxruntime', '--max-batch', '2',
                 '--pipeline-depth', '1', '--agnostic-nms', '--onnxruntime-provider', 'cpu',
                 '--classes', 'person', '--max-detections', '1')
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d['label'] for d in record['detections']] == ['person']
    result = run(photos['astronaut'], '--iou-threshold', '1.5')
    assert result.returncode == 2
    assert 'iou_threshold=1.5 is out of range; use 0 to 1' in result.stderr


@pytest.mark.filterwarnings('ignore::pytest.PytestUnhandledThreadExceptionWarning')
def test_a_failed_batch_or_an_ended_worker_is_an_error_not_a_hang():
    import logging
    from trt_perception.assembly import PipelineConfig
    from trt_perception.core.backend import BackendError
    from trt_perception.tools.detect import OneAtATime
    frame = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    detector = OneAtATime(PipelineConfig(backend='onnxruntime'), logging.getLogger('test'))
    try:
        found, times = detector.detect('a.png', frame)
        assert found and {'preprocess', 'inference', 'postprocess'} <= set(times)
        pipeline = detector._detector.pipeline
        submit = pipeline.submit
        for error, words in ((BackendError('server away'), 'BackendError: server away'),
                             (SystemExit('worker gone'), 'SystemExit: worker gone')):
            def fail(images, error=error):
                pipeline.submit = submit
                raise error
            pipeline.submit = fail
            with pytest.raises(BackendError, match=words):
                detector.detect('a.png', frame)
        assert detector.detect('a.png', frame)[0]
    finally:
        detector.close()


def test_class_names_come_from_an_ultralytics_export_without_a_card(photos, tmp_path):
    pytest.importorskip('torch')
    pytest.importorskip('ultralytics')
    import ultralytics_exports
    path = ultralytics_exports.export('yolo11n.yaml', tmp_path, format='onnx')
    result = run(photos['astronaut'], '--model', path, '--json', '--backend', 'onnxruntime')
    assert result.returncode == 0, result.stderr
    labels = {d['label'] for d in json.loads(result.stdout)['detections']}
    assert labels and labels <= set(ultralytics_exports.CUSTOM_NAMES.values())


K = CameraIntrinsics(450.0, 450.0, 255.5, 255.5, 512, 512, 'camera_depth_optical_frame')
"""Intrinsics of the astronaut photo (512 x 512) for the rendered depth."""


def person_plate(photo):
    """
    Return the detections without depth, the person and a plate placed on it.

    The plate is 2 m away and its outline is the person box: in front of a wall at 4 m, it is
    the depth scene rendered (test/depth_scene.py) for the photo.
    """
    plain = run(photo, '--json', '--backend', 'onnxruntime')
    assert plain.returncode == 0, plain.stderr
    found = json.loads(plain.stdout)['detections']
    person = max((d for d in found if d['label'] == 'person'), key=lambda d: d['score'])
    x1, y1, x2, y2 = person['box']
    return found, person, Plate((((x1 + x2) / 2 - K.cx) / K.fx * 2.0,
                                 ((y1 + y2) / 2 - K.cy) / K.fy * 2.0, 2.0),
                                (x2 - x1) / K.fx * 2.0, (y2 - y1) / K.fy * 2.0)


def test_depth_png_and_camera_info_yaml_give_positions_in_metres(photos, tmp_path):
    pytest.importorskip('yaml')
    found, person, plate = person_plate(photos['astronaut'])
    center, size = plate.true_box()
    # Half-size 16-bit PNG with a camera_info as `ros2 topic echo --once` prints it.
    half = K.scaled(256, 256)
    png = str(tmp_path / 'depth.png')
    cv2.imwrite(png, encode(render(half, [plate])[0], '16UC1'))
    info = tmp_path / 'camera_info.yaml'
    info.write_text('header:\n  frame_id: camera_depth_optical_frame\nheight: 256\nwidth: 256\n'
                    'k: [%r, 0.0, %r, 0.0, %r, %r, 0.0, 0.0, 1.0]\n---\n'
                    % (half.fx, half.cx, half.fy, half.cy))
    located = run(photos['astronaut'], '--json', '--backend', 'onnxruntime', '--depth', png,
                  '--intrinsics', str(info))
    assert located.returncode == 0, located.stderr
    record = json.loads(located.stdout)
    assert [d['box'] for d in record['detections']] == [d['box'] for d in found]
    box3d = [d for d in record['detections'] if d['box'] == person['box']][0]['box3d']
    assert box3d['frame_id'] == 'camera_depth_optical_frame'
    np.testing.assert_allclose(box3d['center'], center, atol=0.01)
    np.testing.assert_allclose(box3d['size'][:2], size[:2], rtol=0.03)


def test_depth_npy_and_numbers_print_positions_in_metres(photos, tmp_path):
    _, person, plate = person_plate(photos['astronaut'])
    center, _ = plate.true_box()
    npy = str(tmp_path / 'depth.npy')
    np.save(npy, encode(render(K, [plate])[0], '32FC1'))
    text = run(photos['astronaut'], '--backend', 'onnxruntime', '--depth', npy,
               '--intrinsics', '450,450,255.5,255.5', '--depth-percentile', '30')
    assert text.returncode == 0, text.stderr
    assert 'person %.2f at x=%+.2f y=%+.2f z=2.00 m' % (person['score'], center[0], center[1]) \
        in text.stdout


def test_depth_that_does_not_fit_is_refused_with_the_reason(photos, tmp_path):
    npy = str(tmp_path / 'wide.npy')
    np.save(npy, np.full((360, 640), 2.0, np.float32))
    wide = run(photos['astronaut'], '--backend', 'onnxruntime', '--depth', npy,
               '--intrinsics', '450,450,319.5,179.5')
    assert wide.returncode == 1 and 'depth image:' in wide.stderr, wide.stderr
    alone = run(photos['astronaut'], '--depth', npy)
    assert alone.returncode == 2 and '--depth and --intrinsics go together' in alone.stderr
    two = run(photos['astronaut'], photos['chelsea'], '--depth', npy, '--intrinsics', '1,1,1,1')
    assert two.returncode == 2 and '--depth goes with one image file' in two.stderr


def _rle_mask(window):
    """Decode COCO's uncompressed RLE (column-major, zeros first) of a mask's box window."""
    rows, cols = window['size']
    assert sum(window['counts']) == rows * cols
    values = np.repeat(np.arange(len(window['counts'])) % 2 == 1, window['counts'])
    return InstanceMask(*window['origin'], values.reshape(cols, rows).T)


def test_masks_and_keypoints_in_json_and_drawn(photos, tmp_path, head_export):
    pytest.importorskip('ultralytics')
    for yaml, key in (('yolov8n-seg.yaml', 'mask'), ('yolov8n-pose.yaml', 'keypoints')):
        saved = tmp_path / key
        result = run(photos['astronaut'], '--model', head_export(yaml), '--json', '--conf',
                     '0.05', '--backend', 'onnxruntime', '--save-dir', str(saved))
        assert result.returncode == 0, result.stderr
        found = json.loads(result.stdout)['detections']
        assert found and all(key in d for d in found), yaml
        for det in found:
            if key == 'mask':
                x0, y0 = det['mask']['origin']
                assert 0 <= x0 <= det['box'][0] + 1 and 0 <= y0 <= det['box'][1] + 1
            else:
                assert len(det['keypoints']['xy']) == len(det['keypoints']['scores']) == 17
        # The saved image is the annotator's drawing of these detections, with the skeleton.
        drawn = cv2.imread(str(saved / 'astronaut.jpg'))
        detections = [Detection(*d['box'], d['score'], d['class_id'], d['label'],
                                mask=_rle_mask(d['mask']) if key == 'mask' else None,
                                keypoints=Keypoints(np.array(d['keypoints']['xy']),
                                                    np.array(d['keypoints']['scores']))
                                if key == 'keypoints' else None) for d in found]
        plain = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
        with_skeleton = Annotator(skeleton=COCO_SKELETON).draw(plain.copy(), detections)
        jpeg = cv2.imdecode(cv2.imencode('.jpg', with_skeleton)[1], cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(drawn, jpeg)
        if key == 'keypoints':  # the skeleton drew lines
            assert (Annotator().draw(plain.copy(), detections) != with_skeleton).any()
