# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Argument checks that the package's constructors share.

Python's bool is an int (``True + True == 2``), so a flag passed where a count or a size
belongs would otherwise be taken as 1: every whole-number check here refuses bools.
"""

import math
import numbers
from typing import Sequence, Tuple


def is_int(value) -> bool:
    """Tell whether `value` is a whole number (int or numpy integer), bools excluded."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value) -> bool:
    """Tell whether `value` is a finite real number (numpy's included), bools excluded."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def positive_int(name: str, value, meaning: str = '') -> int:
    """Return `value` as an int if it is a whole number above 0, else raise ValueError."""
    if not is_int(value) or value <= 0:
        raise ValueError('%s must be a positive integer%s, got %r' % (name, meaning, value))
    return int(value)


def three_numbers(name: str, value: Sequence[float]) -> Tuple[float, float, float]:
    """Return `value` as three floats (one per channel), else raise ValueError naming it."""
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != 3 or not all(is_real(v) for v in items):
        raise ValueError("%s must be three finite numbers (one per channel, in the model's "
                         'channel order), got %r' % (name, value))
    return float(items[0]), float(items[1]), float(items[2])
