# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The gated matching: the NumPy solver against brute force and SciPy; gated groups.

Brute force over every matching is the independent reference on small problems; SciPy's
`linear_sum_assignment` on larger ones.  Random real costs have one optimum, so the solvers
must agree on the pairs, not only on the total.
"""

import itertools
import sys

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from trt_perception.core.tracking.assignment import GatedMatcher, numpy_linear_sum_assignment


def _best_matching(weights, allowed):
    """Brute force: the allowed matching of largest total weight (rows and columns once)."""
    n, m = allowed.shape
    best, best_pairs = 0.0, []
    for size in range(1, min(n, m) + 1):
        for rows in itertools.combinations(range(n), size):
            for cols in itertools.permutations(range(m), size):
                if all(allowed[r, c] for r, c in zip(rows, cols)):
                    total = sum(weights[r, c] for r, c in zip(rows, cols))
                    if total > best:
                        best, best_pairs = total, list(zip(rows, cols))
    return best_pairs


@pytest.mark.parametrize('shape', [(1, 1), (3, 3), (4, 6), (6, 4), (5, 5), (1, 5), (5, 1)])
def test_numpy_solver_matches_brute_force(rng, shape):
    for _ in range(5):
        cost = rng.uniform(-1.0, 1.0, shape)
        rows, cols = numpy_linear_sum_assignment(cost)
        n, m = shape
        best = min((sum(cost[r, c] for r, c in zip(range(n), perm)), perm)
                   for perm in itertools.permutations(range(m), n)) if n <= m else min(
            (sum(cost[r, c] for r, c in zip(perm, range(m))), perm)
            for perm in itertools.permutations(range(n), m))
        assert cost[rows, cols].sum() == pytest.approx(best[0])
        assert len(rows) == min(n, m) and list(rows) == sorted(rows)


@pytest.mark.parametrize('shape', [(20, 20), (15, 40), (40, 15), (60, 60)])
def test_numpy_solver_gives_scipys_pairs(rng, shape):
    cost = rng.uniform(0.0, 10.0, shape)
    rows, cols = numpy_linear_sum_assignment(cost)
    ref_rows, ref_cols = linear_sum_assignment(cost)
    np.testing.assert_array_equal(rows, ref_rows)
    np.testing.assert_array_equal(cols, ref_cols)


def _gated_problem(rng, n, m, density):
    weights = rng.uniform(0.0, 1.0, (n, m))
    allowed = rng.uniform(size=(n, m)) < density
    return weights, allowed


def test_gated_matching_is_the_best_allowed_matching(rng):
    for _ in range(40):
        weights, allowed = _gated_problem(rng, int(rng.integers(0, 6)), int(rng.integers(0, 6)),
                                          rng.uniform(0.1, 0.8))
        expected = _best_matching(weights, allowed)
        for solver in (numpy_linear_sum_assignment, linear_sum_assignment):
            rows, cols = GatedMatcher(solver).match(weights, allowed)
            assert sorted(zip(rows.tolist(), cols.tolist())) == sorted(expected)


def test_both_solvers_give_the_same_pairs_on_large_sparse_problems(rng):
    for _ in range(10):
        n, m = int(rng.integers(50, 200)), int(rng.integers(50, 200))
        weights, allowed = _gated_problem(rng, n, m, 3.0 / max(n, m))
        ours = GatedMatcher(numpy_linear_sum_assignment).match(weights, allowed)
        scipys = GatedMatcher(linear_sum_assignment).match(weights, allowed)
        np.testing.assert_array_equal(ours[0], scipys[0])
        np.testing.assert_array_equal(ours[1], scipys[1])
        assert allowed[ours].all() and len(set(ours[1].tolist())) == len(ours[1])


def test_scipy_is_preferred_where_importable_else_numpy(monkeypatch):
    assert GatedMatcher().solver is linear_sum_assignment
    monkeypatch.setitem(sys.modules, 'scipy.optimize', None)  # as on a Jetson without SciPy
    assert GatedMatcher().solver is numpy_linear_sum_assignment


def test_nothing_allowed_gives_no_pairs():
    rows, cols = GatedMatcher().match(np.ones((3, 2)), np.zeros((3, 2), bool))
    assert rows.size == cols.size == 0
    rows, cols = GatedMatcher().match(np.ones((0, 2)), np.zeros((0, 2), bool))
    assert rows.size == cols.size == 0
