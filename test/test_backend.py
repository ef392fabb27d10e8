# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The slot and batch-range checks every backend with slots makes (once, in its base class)."""

import numpy as np
import pytest

from trt_perception.core.backend import (BackendError, check_batch, check_slot, RequestBackend,
                                         TensorSpec)


class Echo(RequestBackend):
    """A "server" in memory whose output is its input: only the hooks are implemented."""

    name = 'echo'
    input = TensorSpec('x', (None, 3, 2, 2), np.dtype(np.float32))  # noqa: A003
    outputs = [TensorSpec('x', (None, 3, 2, 2), np.dtype(np.float32))]
    max_batch = 2
    slots = 2

    def __init__(self):
        self.pending = {}

    def _send_impl(self, batch, slot):
        self.pending[slot] = batch.copy()

    def _collect_impl(self, slot):
        return {'x': self.pending.pop(slot)}


def test_a_slot_outside_the_range_or_not_an_int_is_refused():
    check_slot(1, 2)
    for slot in (2, -1, True, 1.0):
        with pytest.raises(BackendError, match=r'slot %r is outside 0\.\.1' % (slot,)):
            check_slot(slot, 2)


def test_a_batch_outside_the_range_is_refused_with_the_backends_note():
    assert check_batch(np.int64(3), 1, 4) == 3 and type(check_batch(np.int64(3), 1, 4)) is int
    with pytest.raises(BackendError, match=r'batch of 5 is outside 1\.\.4 \(max_batch\)$'):
        check_batch(5, 1, 4, ' (max_batch)')
    for count in (0, True, 2.0):
        with pytest.raises(BackendError, match=r'batch of %r is outside 1\.\.4' % (count,)):
            check_batch(count, 1, 4)


def test_a_request_backend_checks_slot_and_size_before_its_hooks():
    echo = Echo()
    batch = np.ones((2, 3, 2, 2), np.float32)
    echo.send(batch, 1)
    np.testing.assert_array_equal(echo.infer(batch[:1])['x'], batch[:1])
    np.testing.assert_array_equal(echo.collect(1)['x'], batch)
    with pytest.raises(BackendError, match=r'slot 2 is outside 0\.\.1'):
        echo.send(batch, 2)
    with pytest.raises(BackendError, match=r'batch of 3 is outside 1\.\.2 \(max_batch\)'):
        echo.send(np.ones((3, 3, 2, 2), np.float32), 0)
    with pytest.raises(BackendError, match=r'slot -1 is outside'):
        echo.collect(-1)
    assert echo.pending == {}
