# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Backoff between reconnection attempts, on a hand-driven clock."""

import pytest

from trt_perception.triton.retry import Backoff, RetryPolicy


class Clock:

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_waits_grow_by_the_factor_up_to_the_maximum_and_reset_on_success():
    clock = Clock()
    backoff = Backoff(RetryPolicy(initial=0.5, factor=2.0, maximum=3.0), clock)
    assert backoff.remaining() == 0.0
    assert [backoff.failed('down') for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff.failures == 5 and backoff.reason == 'down'
    assert backoff.remaining() == 3.0
    clock.now += 1.25
    assert backoff.remaining() == 1.75
    backoff.succeeded()
    assert backoff.remaining() == 0.0 and backoff.failures == 0 and backoff.reason == ''
    assert backoff.failed('down again') == 0.5


@pytest.mark.parametrize('fields, text', [
    ({'initial': 0.0}, 'initial=0.0'),
    ({'initial': 2.0, 'maximum': 1.0}, 'maximum=1.0'),
    ({'factor': 0.5}, 'factor=0.5'),
    ({'initial': True}, 'initial=True'),
])
def test_a_policy_that_would_spin_or_shrink_is_refused(fields, text):
    with pytest.raises(ValueError, match=text):
        RetryPolicy(**fields)
