# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Gated maximum-weight matching between tracks and detections.

ByteTrack matches with a cost of 1 - IoU and a cost limit: the best matching is the one that
maximises the summed IoU margin over the limit, over pairs inside the gate only.  The gate
splits the problem into small independent groups (an object overlaps few others), so it is
solved group by group: a group of one track and one detection is a match outright, larger
groups go to a linear-sum assignment solver.  SciPy's `linear_sum_assignment` is used where
it can be imported; otherwise a NumPy shortest-augmenting-path solver (the Jonker-Volgenant
family, as described by Crouse, "On implementing 2D rectangular assignment algorithms", IEEE
TAES 2016) gives the same optimum, so a Jetson image without SciPy tracks the same way.
"""

import importlib
from typing import Callable, List, Optional, Tuple

import numpy as np

Solver = Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray]]


def numpy_linear_sum_assignment(cost: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """
    Minimum-cost assignment of a finite (n, m) cost matrix: (rows, cols), rows ascending.

    Every row is assigned when n <= m, every column otherwise (as SciPy's function does).
    """
    cost = np.asarray(cost, dtype=np.float64)
    transposed = cost.shape[0] > cost.shape[1]
    if transposed:
        cost = cost.T
    n, m = cost.shape
    u = np.zeros(n)
    v = np.zeros(m)
    col4row = np.full(n, -1, np.int64)
    row4col = np.full(m, -1, np.int64)
    for current in range(n):
        shortest = np.full(m, np.inf)
        path = np.full(m, -1, np.int64)
        scanned_rows = np.zeros(n, bool)
        scanned_cols = np.zeros(m, bool)
        row, reached, sink = current, 0.0, -1
        while sink < 0:
            scanned_rows[row] = True
            reduced = reached + cost[row] - u[row] - v
            better = ~scanned_cols & (reduced < shortest)
            path[better] = row
            shortest[better] = reduced[better]
            open_cols = np.flatnonzero(~scanned_cols)
            lowest = shortest[open_cols].min()
            tied = open_cols[shortest[open_cols] == lowest]
            free = tied[row4col[tied] < 0]
            col = int(free[0]) if free.size else int(tied[0])
            reached = lowest
            scanned_cols[col] = True
            if row4col[col] < 0:
                sink = col
            else:
                row = int(row4col[col])
        # Dual update keeps every reduced cost non-negative for the next row's search.
        u[current] += reached
        others = scanned_rows.copy()
        others[current] = False
        u[others] += reached - shortest[col4row[others]]
        v[scanned_cols] -= reached - shortest[scanned_cols]
        col = sink
        while True:
            row = int(path[col])
            row4col[col] = row
            col4row[row], col = col, int(col4row[row])
            if row == current:
                break
    rows = np.arange(n)
    if transposed:
        order = np.argsort(col4row)
        return col4row[order], rows[order]
    return rows, col4row


def _scipy_solver() -> Optional[Solver]:
    try:
        return importlib.import_module('scipy.optimize').linear_sum_assignment
    except ImportError:
        return None


class GatedMatcher:
    """Finds the best matching inside a gate; the dense solver is chosen once, here."""

    def __init__(self, solver: Optional[Solver] = None) -> None:
        """Use `solver` for groups larger than one pair (SciPy's, else NumPy's, when None)."""
        if solver is None:
            solver = _scipy_solver() or numpy_linear_sum_assignment
        self.solver = solver

    def match(self, weights: np.ndarray, allowed: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """
        Pairs (rows, cols) maximising the sum of `weights` over `allowed` pairs.

        `weights` (n, m) must be >= 0 where `allowed`; each row and column is used at most
        once.  Pairs come sorted by row.
        """
        n, m = allowed.shape
        if n == 0 or m == 0 or not allowed.any():
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        row_degree = allowed.sum(axis=1)
        col_degree = allowed.sum(axis=0)
        lone = allowed & (row_degree[:, None] == 1) & (col_degree[None, :] == 1)
        rows, cols = np.nonzero(lone)
        found_rows: List[np.ndarray] = [rows]
        found_cols: List[np.ndarray] = [cols]
        rest = allowed & ~lone
        rest[rows, :] = False
        for group_rows, group_cols in _groups(rest):
            block = np.where(allowed[np.ix_(group_rows, group_cols)],
                             weights[np.ix_(group_rows, group_cols)], 0.0)
            picked_rows, picked_cols = self.solver(-block)
            keep = allowed[group_rows[picked_rows], group_cols[picked_cols]]
            found_rows.append(group_rows[picked_rows[keep]])
            found_cols.append(group_cols[picked_cols[keep]])
        rows = np.concatenate(found_rows).astype(np.int64)
        cols = np.concatenate(found_cols).astype(np.int64)
        order = np.argsort(rows)
        return rows[order], cols[order]


def _groups(allowed: np.ndarray) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Return the connected groups (rows, cols) of the bipartite graph `allowed`."""
    unseen_rows = set(np.flatnonzero(allowed.any(axis=1)).tolist())
    groups = []
    while unseen_rows:
        start = unseen_rows.pop()
        rows_in = np.zeros(allowed.shape[0], bool)
        rows_in[start] = True
        cols_in = np.zeros(allowed.shape[1], bool)
        while True:
            reach_cols = allowed[rows_in].any(axis=0)
            reach_rows = allowed[:, reach_cols].any(axis=1)
            if (reach_rows == rows_in).all() and (reach_cols == cols_in).all():
                break
            rows_in |= reach_rows
            cols_in[:] = reach_cols
        group_rows = np.flatnonzero(rows_in)
        unseen_rows.difference_update(group_rows.tolist())
        groups.append((group_rows, np.flatnonzero(cols_in)))
    return groups
