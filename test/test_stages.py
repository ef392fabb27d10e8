# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The result-stage interface and the fields stages fill on a Detection."""

import dataclasses
import json

from trt_perception.core.detection import Box3D, Detection
from trt_perception.core.stages import FrameInfo, ResultStage


class _Numbering(ResultStage):
    name = 'numbering'

    def __init__(self):
        self.seen = {}

    def process(self, frame, detections):
        start = self.seen.get(frame.camera, 0)
        self.seen[frame.camera] = start + len(detections)
        return [dataclasses.replace(d, track_id=start + i) for i, d in enumerate(detections)]

    def forget(self, camera):
        self.seen.pop(camera, None)


def test_a_stage_annotates_detections_per_camera():
    stage = _Numbering()
    found = Detection(1.0, 2.0, 3.0, 4.0, 0.9, 0, 'person')
    front = FrameInfo('front/image', 1.5, 640, 480)
    assert [d.track_id for d in stage.process(front, [found, found])] == [0, 1]
    assert [d.track_id for d in stage.process(FrameInfo('rear/image', 1.5, 64, 48),
                                              [found])] == [0]
    assert [d.track_id for d in stage.process(front, [found])] == [2]
    stage.forget('front/image')
    assert [d.track_id for d in stage.process(front, [found])] == [0]
    assert stage.health() == {}


def test_stage_fields_appear_in_the_json_form_only_when_set():
    plain = Detection(1.0, 2.0, 3.0, 4.0, 0.5, 2, 'car')
    assert set(plain.to_dict()) == {'label', 'class_id', 'score', 'box'}
    full = dataclasses.replace(plain, track_id=7,
                               box3d=Box3D((0.1, 0.2, 2.0), (0.5, 0.4, 0.3), 'camera_optical'))
    out = json.loads(json.dumps(full.to_dict()))
    assert out['track_id'] == 7
    assert out['box3d'] == {'center': [0.1, 0.2, 2.0], 'size': [0.5, 0.4, 0.3],
                            'frame_id': 'camera_optical'}
