# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Detector: the bundled model on ONNX Runtime, served from a mailbox, with result stages.

The stages are test_runtime_stages' throwaway plugins; no ROS is imported.
"""

import logging
import math
import threading

import pytest

from test_pipeline import bgr
from test_runtime_stages import CHECKING, NUMBERING
from trt_perception.assembly import PipelineConfig
from trt_perception.core.decoders import DetectionParams
from trt_perception.core.image import RawImage
from trt_perception.core.latest_frame import LatestFrameMailbox
from trt_perception.core.stages import FrameInfo
from trt_perception.runtime.detector import Detector, stamp_age_ms, timing_stages
from trt_perception.runtime.stages import ResultStages

LOG = logging.getLogger('test_runtime_detector')


class Events:
    """The throttled logger's interface, keeping what it was told."""

    def __init__(self):
        self.errors = []

    def error(self, key, text):
        self.errors.append(text)


class Outbox:
    """Collects delivered frames; `wait(n)` until n came."""

    def __init__(self):
        self.frames = []
        self._ready = threading.Condition()

    def deliver(self, entry, found, times, result):
        with self._ready:
            self.frames.append((entry.camera, entry.frame[0], found, dict(times)))
            self._ready.notify_all()

    def wait(self, count):
        with self._ready:
            assert self._ready.wait_for(lambda: len(self.frames) >= count, 60)


def run_detector(frames, plugins=(NUMBERING, CHECKING)):
    """Serve `frames` ((camera, stamp, photo) in order, one at a time); return detector, outbox."""
    mailbox = LatestFrameMailbox()
    outbox = Outbox()
    detector = Detector(
        PipelineConfig(backend='onnxruntime'), mailbox,
        lambda camera, frame: frame[1],
        lambda entry: FrameInfo(entry.camera, entry.frame[0], entry.image.width,
                                entry.image.height),
        outbox.deliver, ResultStages(plugins, {}, LOG), LOG, Events())
    for count, (camera, stamp, photo) in enumerate(frames, 1):
        mailbox.put(camera, (stamp, RawImage.from_array(bgr(photo), 'bgr8')))
        outbox.wait(count)
    return detector, outbox


def test_stages_run_per_camera_in_order_timed_with_health():
    detector, outbox = run_detector([('front', 1.0, 'astronaut'), ('rear', 2.0, 'astronaut'),
                                     ('front', 3.0, 'astronaut')])
    try:
        numbered = [[d.track_id for d in found] for _, _, found, _ in outbox.frames]
        assert numbered[0] and numbered[0][0] == 0, 'the astronaut is found and numbered'
        assert numbered[1][0] == 0, 'each camera numbers on its own'
        assert numbered[2][0] == len(numbered[0]), 'and keeps counting'
        for _, _, _, times in outbox.frames:
            assert set(times) == {'convert', 'queue', 'preprocess', 'inference',
                                  'postprocess', 'numbering', 'checking'}
        assert detector.stages._built[1].stage.stamps == [1.0, 2.0, 3.0]
        health = detector.health()
        assert health.backend == 'onnxruntime' and health.stats.batches == 3
        assert health.stages['numbering'] == {'frames': 3, 'cameras': 2}
        assert ('stage.numbering.frames', '3') in health.values()
        detector.stages.forget('front')
        assert detector.health().stages['numbering']['cameras'] == 1
    finally:
        detector.close()
    assert detector.stages.names == (), 'closed with the detector'


def test_thresholds_apply_from_the_next_batch():
    detector, outbox = run_detector([('front', 1.0, 'astronaut')], plugins=())
    try:
        assert outbox.frames[0][2]
        detector.update_params(DetectionParams(conf_threshold=1.0))
        detector._mailbox.put('front', (2.0, RawImage.from_array(bgr('astronaut'), 'bgr8')))
        outbox.wait(2)
        assert outbox.frames[1][2] == [] and detector.params.conf_threshold == 1.0
    finally:
        detector.close()


def test_timing_places_result_stages_after_decoding():
    assert timing_stages(('tracking',)) == ('convert', 'queue', 'preprocess', 'inference',
                                            'postprocess', 'tracking', 'publish', 'total')


def test_stamp_age():
    now = 10 * 10 ** 9
    assert stamp_age_ms(9, 500000000, now) == (500.0, '', '')
    for sec, nanosec, reason in ((-1, 0, 'negative'), (9, 10 ** 9, 'bad_nanosec'),
                                 (100, 0, 'future')):
        age, got, why = stamp_age_ms(sec, nanosec, now)
        assert math.isnan(age) and got == reason and why
    assert stamp_age_ms(69, 0, now)[1] == '', 'up to a minute ahead is a clock skew, kept'


@pytest.mark.filterwarnings('ignore::pytest.PytestUnhandledThreadExceptionWarning')
def test_the_watchdog_restarts_a_worker_that_ended():
    detector, outbox = run_detector([('front', 1.0, 'astronaut')], plugins=())
    try:
        submit = detector.pipeline.submit
        calls = []

        def end_once(images):
            calls.append(1)
            if len(calls) == 1:
                raise SystemExit('injected: the worker thread ends')
            return submit(images)
        detector.pipeline.submit = end_once
        detector._mailbox.put('front', (2.0, RawImage.from_array(bgr('astronaut'), 'bgr8')))
        detector._worker.join(30)
        assert not detector._worker.is_alive()
        detector.check_worker()
        assert detector.health().stats.restarts == 1
        assert 'SystemExit: injected' in detector._events.errors[0]
        detector._mailbox.put('front', (3.0, RawImage.from_array(bgr('astronaut'), 'bgr8')))
        outbox.wait(2)
        assert outbox.frames[-1][1] == 3.0 and outbox.frames[-1][2]
    finally:
        detector.close()
