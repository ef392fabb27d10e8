# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The inference backend interface every runtime (ONNX Runtime, TensorRT, Triton) implements."""

import abc
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

PRECISIONS = ('fp32', 'fp16', 'int8')
"""Engine precisions a backend may be built for (ONNX Runtime runs the model as it is)."""


class Fact:
    """Keys of the `describe()` facts that the detector reads back for its health."""

    BACKEND = 'backend'
    """The backend's `name`."""
    MODEL_NAME = 'model_name'
    FALLBACK = 'fallback'
    """Why backend 'auto' settled for what it runs (absent when it got its first choice)."""
    SERVER_STATE = 'server_state'
    """A remote backend's connection: 'ready' or 'unavailable: <why>'."""


Dim = Union[int, str, None]
"""A tensor dimension: a fixed size, or a symbolic/unknown one (dynamic batch)."""


@dataclass(frozen=True)
class TensorSpec:
    """Name, shape and element type of one model input or output."""

    name: str
    shape: Tuple[Dim, ...]
    dtype: np.dtype

    @property
    def is_dynamic(self) -> bool:
        """Whether any dimension is only known at run time."""
        return any(not isinstance(d, int) or d < 0 for d in self.shape)

    def describe(self) -> str:
        """Short text such as 'images[N,3,640,640]:float32'."""
        dims = ','.join(str(d) if isinstance(d, int) and d >= 0 else 'N' for d in self.shape)
        return '%s[%s]:%s' % (self.name, dims, np.dtype(self.dtype).name)


class BackendError(RuntimeError):
    """A model or engine that cannot be loaded or run; the message says how to fix it."""


def check_slot(slot: int, slots: int) -> None:
    """Raise BackendError unless `slot` is an int in 0 .. `slots` - 1 (bools refused)."""
    if isinstance(slot, bool) or not isinstance(slot, int) or not 0 <= slot < slots:
        raise BackendError('slot %r is outside 0..%d' % (slot, slots - 1))


def check_batch(count: int, low: int, high: int, note: str = '') -> int:
    """Return `count` as an int when in `low`..`high` (bools refused); else BackendError."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) \
            or not low <= count <= high:
        raise BackendError('batch of %r is outside %d..%d%s' % (count, low, high, note))
    return int(count)


class InferenceBackend(abc.ABC):
    """
    A loaded model that runs one batch at a time on host arrays.

    Implementations own their runtime resources; use them as context managers or call
    `close()`.  The single input is NCHW; `max_batch` is the largest batch `infer` accepts.
    """

    name: str = ''

    @property
    @abc.abstractmethod
    def input(self) -> TensorSpec:  # noqa: A003 (an attribute hides no builtin)
        """Image input of the model."""

    @property
    @abc.abstractmethod
    def outputs(self) -> List[TensorSpec]:
        """Output tensors of the model, in the model's order."""

    @property
    @abc.abstractmethod
    def max_batch(self) -> int:
        """Largest batch this backend was built or loaded for."""

    @abc.abstractmethod
    def infer(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        """Run one NCHW batch (host memory) and return host outputs by name."""

    def describe(self) -> Dict[str, str]:
        """Key/value facts for logs and diagnostics (backend, model, shapes, device)."""
        return {
            Fact.BACKEND: self.name,
            'input': self.input.describe(),
            'outputs': ' '.join(o.describe() for o in self.outputs),
            'max_batch': str(self.max_batch),
        }

    def close(self) -> None:
        """Release runtime resources; safe to call more than once."""

    def __enter__(self) -> 'InferenceBackend':
        """Use the backend in a with-block that closes it."""
        return self

    def __exit__(self, *exc) -> None:
        """Close on leaving the with-block."""
        self.close()


class RequestBackend(InferenceBackend):
    """
    A backend on host arrays that keeps several requests in flight (a remote server).

    Like a `DeviceInputBackend` it has `slots`: `send` starts a slot's request and returns
    at once, `collect` waits for that slot's outputs.  While the server runs one request the
    caller prepares the next and decodes the previous.  A slot is free again once collected,
    whether its request succeeded or raised.
    """

    @property
    @abc.abstractmethod
    def slots(self) -> int:
        """How many requests can be in flight at once."""

    def send(self, batch: np.ndarray, slot: int = 0) -> None:
        """
        Start inference of a host NCHW batch in `slot`; do not wait for it.

        `batch` may be overwritten as soon as this returns.  The slot and the batch size are
        checked here, then the backend's `_send_impl` runs.
        """
        self._check_request(slot, batch.shape[0])
        self._send_impl(batch, slot)

    def collect(self, slot: int = 0) -> Dict[str, np.ndarray]:
        """Wait for `slot`'s request and return its outputs by name (arrays it owns)."""
        check_slot(slot, self.slots)
        return self._collect_impl(slot)

    def _check_request(self, slot: int, count: int) -> None:
        """Raise BackendError unless `slot` exists and `count` images fit `max_batch`."""
        check_slot(slot, self.slots)
        check_batch(count, 1, self.max_batch, ' (max_batch)')

    @abc.abstractmethod
    def _send_impl(self, batch: np.ndarray, slot: int) -> None:
        """Start `slot`'s request for `batch` (slot and size already checked)."""

    @abc.abstractmethod
    def _collect_impl(self, slot: int) -> Dict[str, np.ndarray]:
        """Wait for `slot`'s request (slot already checked) and return its outputs."""

    def infer(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        """Send one batch in slot 0 and wait for its outputs."""
        self.send(batch, 0)
        return self.collect(0)


class DeviceInputBackend(InferenceBackend):
    """
    A backend whose input lives in GPU memory that a GPU preprocessor can write directly.

    It keeps `slots` independent sets of buffers, so that several batches can be in flight
    on its CUDA stream at once: while the GPU runs the batch of one slot, the CPU decodes the
    outputs of another and prepares the next.  A slot's batch goes `device_input` (or
    `upload`), then `enqueue`, then `collect`; a slot is free again once collected.
    """

    @property
    @abc.abstractmethod
    def slots(self) -> int:
        """How many batches can be in flight at once (sets of buffers)."""

    @property
    @abc.abstractmethod
    def stream(self) -> Optional[object]:
        """CUDA stream the engine runs on (a pycuda Stream)."""

    @abc.abstractmethod
    def device_input(self, batch_size: int, slot: int = 0) -> int:
        """
        Device pointer of `slot`'s NCHW input buffer, shaped for `batch_size` images.

        Call it before queuing the preprocessing that writes there on `stream`.
        """

    @abc.abstractmethod
    def upload(self, batch: np.ndarray, slot: int = 0) -> None:
        """Queue a copy of a host NCHW batch into `slot`'s input (page-locked staging)."""

    @abc.abstractmethod
    def enqueue(self, batch_size: int, slot: int = 0) -> None:
        """Queue inference of `slot`'s input and the copies of its outputs; do not wait."""

    @abc.abstractmethod
    def collect(self, slot: int = 0) -> Dict[str, np.ndarray]:
        """
        Wait for `slot`'s queued work and return its host outputs by name.

        The arrays are views of the slot's page-locked buffers, valid until the slot is
        used again.
        """

    @property
    def last_gpu_times(self) -> Dict[str, float]:
        """GPU milliseconds of the last collected batch by stage ({} when not measured)."""
        return {}

    def infer_device(self, batch_size: int) -> Dict[str, np.ndarray]:
        """
        Run on what was written to `device_input(batch_size)` and wait for the outputs.

        Work is queued on the backend's CUDA stream (`stream`), so a preprocessor that queued
        its kernel on the same stream needs no synchronisation in between.
        """
        self.enqueue(batch_size, 0)
        return self.collect(0)

    def infer(self, batch: np.ndarray) -> Dict[str, np.ndarray]:
        """Copy a host NCHW batch in, run it and wait for the outputs."""
        self.upload(batch, 0)
        self.enqueue(batch.shape[0], 0)
        return self.collect(0)
