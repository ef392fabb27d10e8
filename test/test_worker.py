# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
BatchScheduler: batches in flight, per-camera order, failures and the drain on close.

Depth 1 runs the real CPU pipeline.  Batches in flight need a backend with slots, which on a
machine without a GPU is `SlottedCpuBackend`: a named stand-in that keeps one input per slot
and runs the real ONNX Runtime CPU session when a batch is enqueued.  It shows the
scheduling, never GPU overlap (the GPU tests and bench/gpu_pipeline.py do that).
"""

import threading

import numpy as np
import pytest

from test_pipeline import bgr, core_pipeline
from trt_perception.core.backend import DeviceInputBackend
from trt_perception.core.decoders import make_decoder
from trt_perception.core.detection import load_labels
from trt_perception.core.image import RawImage
from trt_perception.core.latest_frame import LatestFrameMailbox
from trt_perception.core.models import default_model
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.core.pipeline import DetectionPipeline, preprocess_spec
from trt_perception.core.preprocess import CpuPreprocessor
from trt_perception.core.worker import BatchScheduler

PHOTOS = ('astronaut', 'chelsea', 'coffee')


class SlottedCpuBackend(DeviceInputBackend):
    """Stand-in for a GPU backend with slots: host arrays per slot, real ONNX Runtime."""

    name = 'slotted-cpu-stand-in'

    def __init__(self, model_path, max_batch, slots):
        self._session = OnnxRuntimeBackend(model_path, max_batch=max_batch)
        shape = (slots, max_batch) + tuple(self._session.input.shape[1:])
        self._inputs = np.empty(shape, np.float32)
        self._counts = [0] * slots
        self._results = [None] * slots
        self.enqueued = []

    input = property(lambda self: self._session.input)  # noqa: A003
    outputs = property(lambda self: self._session.outputs)
    max_batch = property(lambda self: self._session.max_batch)
    slots = property(lambda self: len(self._counts))
    stream = None

    def device_input(self, batch_size, slot=0):
        raise NotImplementedError('the stand-in has no device memory')

    def upload(self, batch, slot=0):
        assert self._results[slot] is None, 'slot reused before it was collected'
        self._inputs[slot, :len(batch)] = batch
        self._counts[slot] = len(batch)

    def enqueue(self, batch_size, slot=0):
        self.enqueued.append(slot)
        self._results[slot] = self._session.infer(self._inputs[slot, :batch_size])

    def collect(self, slot=0):
        results, self._results[slot] = self._results[slot], None
        return results

    def close(self):
        self._session.close()


def slotted_pipeline(slots, max_batch=2):
    card = default_model()
    backend = SlottedCpuBackend(card.path, max_batch, slots)
    decoder = make_decoder(card.output_format, backend.outputs, load_labels(card.labels_path),
                           normalized_boxes=card.normalized_boxes)
    return DetectionPipeline(backend, CpuPreprocessor(preprocess_spec(card, backend)), decoder)


def frames():
    return {name: RawImage.from_array(bgr(name), 'bgr8') for name in PHOTOS}


def summary(detections):
    return [(d.label, round(d.score, 4)) for d in detections]


@pytest.fixture(scope='module')
def expected():
    with core_pipeline(max_batch=1) as pipe:
        return {name: summary(pipe.detect([image]).detections[0])
                for name, image in frames().items()}


def serve(pipeline, sequence, cameras=3, fail_on=()):
    """
    Feed `sequence` of (camera, photo) through a scheduler, one step after each frame.

    Returns what was delivered, the errors reported, the batches in flight after each step
    and the mailbox (for its drop counts).
    """
    mailbox = LatestFrameMailbox()
    images = frames()
    delivered, errors = [], []

    def deliver(entries, result):
        for entry, found in zip(entries, result.detections):
            if entry.frame in fail_on:
                raise RuntimeError('publishing %s failed' % entry.frame)
            delivered.append((entry.camera, entry.frame, summary(found)))

    scheduler = BatchScheduler(pipeline, mailbox, lambda camera, name: images[name], deliver,
                               errors.append)
    in_flight_seen = []
    for camera, name in sequence:
        mailbox.put(camera, name)
        scheduler.step()
        in_flight_seen.append(scheduler.in_flight)
    while mailbox.pending():  # close() discards waiting frames, as at a node's shutdown
        scheduler.step()
    mailbox.close()
    while scheduler.step():
        pass
    return delivered, errors, in_flight_seen, mailbox


def test_depth_one_is_take_detect_deliver(expected):
    with core_pipeline(max_batch=1) as pipeline:
        delivered, errors, in_flight, _ = serve(pipeline, [(0, 'astronaut'), (1, 'chelsea')])
    assert errors == [] and set(in_flight) <= {0, 1}
    assert [d[:2] for d in delivered] == [(0, 'astronaut'), (1, 'chelsea')]
    assert all(found == expected[name] for _, name, found in delivered)


def test_two_slots_keep_two_batches_in_flight_and_deliver_in_order(expected):
    sequence = [(i % 3, PHOTOS[i % 3]) for i in range(12)]
    with slotted_pipeline(slots=2, max_batch=1) as pipeline:
        delivered, errors, in_flight, mailbox = serve(pipeline, sequence)
        assert pipeline.backend.enqueued[:4] == [0, 1, 0, 1]
    assert errors == [] and max(in_flight) == 2
    # The newest-frame policy drops what a busy worker could not take; the rest arrives in
    # the order it was sent.
    dropped = sum(mailbox.dropped(camera) for camera in range(3))
    assert len(delivered) + dropped == len(sequence) and dropped < len(sequence) // 2
    remaining = iter(sequence)
    assert all(d[:2] in remaining for d in delivered), 'delivered out of order'
    assert all(found == expected[name] for _, name, found in delivered)


def test_close_delivers_what_is_in_flight(expected):
    with slotted_pipeline(slots=3, max_batch=2) as pipeline:
        mailbox = LatestFrameMailbox()
        images = frames()
        delivered = []
        scheduler = BatchScheduler(
            pipeline, mailbox, lambda camera, name: images[name],
            lambda entries, result: delivered.extend(
                (e.frame, summary(f)) for e, f in zip(entries, result.detections)),
            pytest.fail)
        for name in PHOTOS:
            mailbox.put(name, name)
            scheduler.step()
        assert scheduler.in_flight == 3  # a step after each frame: three batches of one
        mailbox.close()
        steps = 1
        while scheduler.step():
            steps += 1
        assert scheduler.in_flight == 0 and steps <= 2
    assert sorted(delivered) == sorted((name, expected[name]) for name in PHOTOS)


def test_a_failing_delivery_loses_its_batch_and_nothing_else(expected):
    sequence = [(0, 'astronaut'), (1, 'chelsea'), (2, 'coffee'), (0, 'astronaut')]
    with slotted_pipeline(slots=2, max_batch=1) as pipeline:
        delivered, errors, _, _ = serve(pipeline, sequence, fail_on=('chelsea',))
        assert pipeline.in_flight == 0
    assert [str(e) for e in errors] == ['publishing chelsea failed']
    assert [d[:2] for d in delivered] == [(0, 'astronaut'), (2, 'coffee'), (0, 'astronaut')]


def test_rejected_frames_are_skipped_and_a_batch_of_none_is_not_submitted():
    with core_pipeline(max_batch=2) as pipeline:
        mailbox = LatestFrameMailbox()
        scheduler = BatchScheduler(pipeline, mailbox, lambda camera, frame: None,
                                   pytest.fail, pytest.fail)
        mailbox.put(0, 'unreadable')
        assert scheduler.step() is True and scheduler.in_flight == 0


def test_the_worker_blocks_for_frames_only_when_nothing_is_in_flight():
    with core_pipeline(max_batch=1) as pipeline:
        mailbox = LatestFrameMailbox()
        images = frames()
        done = threading.Event()
        scheduler = BatchScheduler(pipeline, mailbox, lambda camera, name: images[name],
                                   lambda entries, result: done.set(), pytest.fail)
        worker = threading.Thread(target=lambda: [None for _ in iter(scheduler.step, False)])
        worker.start()
        mailbox.put(0, 'coffee')
        assert done.wait(60)
        mailbox.close()
        worker.join(60)
        assert not worker.is_alive()


def test_busy_and_idle_bracket_every_batch_for_the_watchdog():
    events = []
    with slotted_pipeline(slots=2, max_batch=1) as pipeline:
        mailbox = LatestFrameMailbox()
        images = frames()
        scheduler = BatchScheduler(
            pipeline, mailbox, lambda camera, name: None if name == 'bad' else images[name],
            lambda entries, result: events.append('deliver'), pytest.fail,
            busy=lambda: events.append('busy'), idle=lambda: events.append('idle'))
        for name in ('coffee', 'bad', 'chelsea'):
            mailbox.put(name, name)
            scheduler.step()
        scheduler.drain()
    assert events == ['busy', 'busy', 'idle', 'busy', 'deliver', 'idle', 'deliver', 'idle']
