# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The offline runner as users run it: `python -m trt_perception.detect`."""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from skimage import data

from trt_perception.core.annotate import Annotator
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
