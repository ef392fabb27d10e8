# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for the per-camera newest-frame mailbox."""

import threading

import pytest

from trt_perception.core.latest_frame import LatestFrameMailbox, MailboxClosed


class FakeClock:

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_newer_frame_replaces_waiting_one_and_is_counted():
    box = LatestFrameMailbox()
    assert box.put('cam', 1) is False
    assert box.put('cam', 2) is True
    assert box.put('cam', 3) is True
    assert box.pending() == 1
    assert [(c, f) for c, f, _ in box.take()] == [('cam', 3)]
    assert box.dropped('cam') == 2
    assert box.received('cam') == 3
    assert box.pending() == 0


def test_take_serves_longest_waiting_camera_first_and_reports_wait():
    clock = FakeClock()
    box = LatestFrameMailbox(clock)
    box.put('a', 'a1')
    clock.now = 1.0
    box.put('b', 'b1')
    clock.now = 2.0
    # A newer frame for 'a' moves it behind 'b': 'b' has now waited longest.
    box.put('a', 'a2')
    clock.now = 2.5
    assert box.take(limit=1) == [('b', 'b1', 1.5)]
    assert box.take(limit=5) == [('a', 'a2', 0.5)]


def test_take_batches_at_most_one_frame_per_camera():
    box = LatestFrameMailbox()
    for camera in ('a', 'b', 'c'):
        box.put(camera, camera + '1')
        box.put(camera, camera + '2')
    taken = box.take(limit=2)
    assert [f for _, f, _ in taken] == ['a2', 'b2']
    assert [f for _, f, _ in box.take(limit=2)] == ['c2']


def test_take_times_out_empty_and_close_wakes_a_waiting_consumer():
    box = LatestFrameMailbox()
    assert box.take(timeout=0.01) == []
    outcome = []

    def consume():
        try:
            box.take()
        except MailboxClosed:
            outcome.append('closed')

    thread = threading.Thread(target=consume)
    thread.start()
    box.close()
    thread.join(10)
    assert outcome == ['closed']
    assert box.put('cam', 1) is False
    assert box.closed


def test_take_rejects_a_limit_below_one():
    with pytest.raises(ValueError, match='limit'):
        LatestFrameMailbox().take(limit=0)


def test_concurrent_producers_keep_memory_bounded_and_account_for_every_frame(rng):
    cameras = ['cam%d' % i for i in range(int(rng.integers(2, 5)))]
    per_camera = int(rng.integers(300, 1000))
    box = LatestFrameMailbox()
    consumed = {camera: [] for camera in cameras}
    most_waiting = []
    stop = threading.Event()

    def produce(camera):
        for index in range(per_camera):
            box.put(camera, index)

    def consume():
        while not stop.is_set() or box.pending():
            most_waiting.append(box.pending())
            for camera, frame, _ in box.take(limit=len(cameras), timeout=0.01):
                consumed[camera].append(frame)

    consumer = threading.Thread(target=consume)
    consumer.start()
    producers = [threading.Thread(target=produce, args=(c,)) for c in cameras]
    for thread in producers:
        thread.start()
    for thread in producers:
        thread.join()
    stop.set()
    consumer.join(30)
    assert max(most_waiting) <= len(cameras)
    for camera in cameras:
        frames = consumed[camera]
        # Frames come out in order, the newest always arrives, and every frame put was either
        # taken or counted as dropped.
        assert frames == sorted(frames)
        assert frames[-1] == per_camera - 1
        assert len(frames) + box.dropped(camera) == per_camera == box.received(camera)
