# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for the shared argument checks: whole numbers that are not bools, channel triples."""

import fractions

import numpy as np
import pytest

from trt_perception.core.checks import is_int, is_real, positive_int, three_numbers


@pytest.mark.parametrize('value, expected', [
    (0, True), (-3, True), (np.int64(7), True), (np.uint8(2), True),
    (True, False), (np.bool_(True), False), (2.0, False), (np.float32(2), False),
    ('2', False), (None, False)])
def test_is_int_takes_whole_numbers_but_not_bools(value, expected):
    assert is_int(value) is expected


@pytest.mark.parametrize('value, expected', [
    (0, True), (2.5, True), (np.float32(0.5), True), (np.int16(-4), True),
    (fractions.Fraction(1, 3), True), (float('nan'), False), (float('inf'), False),
    (False, False), ('1', False), (None, False)])
def test_is_real_takes_finite_numbers_but_not_bools(value, expected):
    assert is_real(value) is expected


def test_positive_int_returns_a_python_int():
    value = positive_int('max_batch', np.int32(4))
    assert value == 4 and type(value) is int


@pytest.mark.parametrize('value', [0, -1, True, 1.0, '1', None])
def test_positive_int_names_the_argument_and_the_value(value):
    with pytest.raises(ValueError) as error:
        positive_int('max_batch', value, ' (images per batch)')
    assert str(error.value) == 'max_batch must be a positive integer (images per batch), ' \
                               'got %r' % (value,)


@pytest.mark.parametrize('value', [[1, 2, 3], (1.5, np.float32(2), np.int64(3)),
                                   np.array([0.1, 0.2, 0.3])])
def test_three_numbers_returns_three_floats(value):
    result = three_numbers('mean', value)
    assert result == tuple(float(v) for v in value)
    assert all(type(v) is float for v in result)


@pytest.mark.parametrize('value', [[1, 2], [1, 2, 3, 4], [1, True, 3], [1, float('nan'), 3],
                                   'abc', 5, None, [1, '2', 3]])
def test_three_numbers_refuses_anything_else_naming_it(value):
    with pytest.raises(ValueError, match=r'^std must be three finite numbers .*got '):
        three_numbers('std', value)
