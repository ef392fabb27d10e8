# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
A test double of an inference backend that fails on the calls it is told to.

`FailingBackend` wraps a real backend (ONNX Runtime in the tests) and raises `BackendError`
from `infer` on the chosen call numbers, as a GPU backend does on a CUDA error or a lost
device; every other call goes through to the real backend.  It proves how the node handles a
backend failure, never that any backend works.
"""

import threading
from typing import Any, Callable, Collection, Dict, List

import numpy as np

from trt_perception.core.backend import BackendError, InferenceBackend, TensorSpec


class FailingBackend(InferenceBackend):
    """The real `backend`, except that `infer` call number n (from 1) in `failing` raises."""

    def __init__(self, backend: InferenceBackend, failing: Collection[int]) -> None:
        """Wrap `backend`; `failing` lists the 1-based infer calls that raise."""
        self._backend = backend
        self._failing = set(failing)
        self._lock = threading.Lock()
        self.calls = 0
        self.failures = 0

    @property
    def input(self) -> TensorSpec:  # noqa: A003 (an attribute hides no builtin)
        """Return the real backend's input."""
        return self._backend.input

    @property
    def outputs(self) -> List[TensorSpec]:
        """Return the real backend's outputs."""
        return self._backend.outputs

    @property
    def max_batch(self) -> int:
        """Return the real backend's batch limit."""
        return self._backend.max_batch

    def infer(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        """Raise BackendError on a failing call, else run the real backend."""
        with self._lock:
            self.calls += 1
            fail = self.calls in self._failing
            if fail:
                self.failures += 1
        if fail:
            raise BackendError('injected by FailingBackend: infer call %d failed (as on a '
                               'CUDA error)' % self.calls)
        return self._backend.infer(batch)

    def describe(self) -> Dict[str, str]:
        """Return the real backend's description, marked as wrapped by this fake."""
        info = dict(self._backend.describe())
        info['fake'] = 'FailingBackend'
        return info

    def close(self) -> None:
        """Close the real backend."""
        self._backend.close()


class FirstCall:
    """A stand-in for a method whose first call does `before()` (raise, block) first."""

    def __init__(self, target: Callable[..., Any], before: Callable[[], None]) -> None:
        """Wrap `target`; every later call goes straight through."""
        self._target = target
        self._before = before
        self.seen = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run `before` on the first call, then the real method."""
        if not self.seen:
            self.seen = True
            self._before()
        return self._target(*args, **kwargs)


def raising(error: BaseException) -> Callable[[], None]:
    """Return a function that raises `error`, for `FirstCall`."""
    def fail() -> None:
        raise error
    return fail
