# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Batches in flight on a CUDA stream: what every GPU backend keeps per slot.

A slot's batch goes: input written (`written`: GPU preprocessing or an upload), inference
and output copies queued (`queued`), then `wait` on the last CUDA event.  The events bracket
each stage, so the GPU's own time per stage comes back with the outputs.
"""

import abc
from typing import (AbstractSet, Any, Dict, FrozenSet, Generic, List, Optional, Sequence,
                    Tuple, TypeVar)

import numpy as np

from trt_perception.core.backend import (BackendError, check_batch, check_slot,
                                         DeviceInputBackend)
from trt_perception.gpu.context import cuda
from trt_perception.gpu.masks import DeviceTensor

Outputs = Dict[str, np.ndarray]


class BatchInFlight:
    """The CUDA events and progress of one slot's batch."""

    def __init__(self) -> None:
        """Create the slot's events (a CUDA context must be active)."""
        self.events = {name: cuda.Event() for name in ('start', 'ready', 'inferred', 'copied')}
        self.first_stage = ''
        """'preprocess' or 'upload': how the input was written ('' not yet)."""
        self.count = 0
        """Images queued and not yet collected (0: free)."""
        self.results: Outputs = {}

    def written(self, stage: str, stream: cuda.Stream) -> None:
        """Mark the start of writing the input (`stage`) on `stream`."""
        self.events['start'].record(stream)
        self.first_stage = stage

    def inference_starts(self, stream: cuda.Stream, slot: int, count: int) -> None:
        """Mark where inference begins; raises when nothing was written to the input."""
        if not self.first_stage:
            raise BackendError('enqueue(%d, slot=%d) before its input was written: get '
                               'device_input() and queue preprocessing on backend.stream, or '
                               'upload() a host batch, then enqueue' % (count, slot))
        self.events['ready'].record(stream)

    def queued(self, stream: cuda.Stream, count: int, results: Outputs) -> None:
        """Mark the end of inference and of the output copies queued after it."""
        self.events['copied'].record(stream)
        self.count = count
        self.results = results

    def wait(self) -> Tuple[Outputs, Dict[str, float]]:
        """Wait for the copies; return the outputs and the GPU milliseconds per stage."""
        events = self.events
        events['copied'].synchronize()
        stage, self.first_stage, self.count = self.first_stage, '', 0
        return self.results, {
            stage: events['start'].time_till(events['ready']),
            'inference': events['ready'].time_till(events['inferred']),
            'download': events['inferred'].time_till(events['copied']),
        }


S = TypeVar('S', bound=BatchInFlight)


class Slots(Generic[S]):
    """A backend's slots, with the checks every call makes: open, in range, free or busy."""

    def __init__(self, owner: str) -> None:
        """Start empty; `owner` names the backend in errors."""
        self._owner = owner
        self.all: List[S] = []

    def __len__(self) -> int:
        """Count the slots."""
        return len(self.all)

    def get(self, slot: int) -> S:
        """Return slot `slot`; raises when the backend was closed or the index is wrong."""
        if not self.all:
            raise BackendError('%s was closed; create a new one' % self._owner)
        check_slot(slot, len(self.all))
        return self.all[slot]

    def free(self, slot: int) -> S:
        """Return slot `slot` when it holds no uncollected batch."""
        state = self.get(slot)
        if state.count:
            raise BackendError('slot %d still holds an uncollected batch: collect() it first'
                               % slot)
        return state

    def busy(self, slot: int) -> S:
        """Return slot `slot` when it holds a batch to collect."""
        state = self.get(slot)
        if not state.count:
            raise BackendError('collect(slot=%d) with nothing enqueued in that slot' % slot)
        return state

    def extend(self, states: Sequence[S]) -> None:
        """Add slots."""
        self.all.extend(states)

    def clear(self) -> List[S]:
        """Forget every slot and return them, for their owner to release."""
        states, self.all = self.all, []
        return states


class SlottedBackend(DeviceInputBackend):
    """
    The slot protocol of a GPU backend: every check once, then the backend's own hooks.

    It implements `DeviceInputBackend`'s `slots`, `stream`, `device_input`, `upload`,
    `enqueue` and `collect` (a backend lists it first among its bases): each call checks that
    the slot exists and is free (or busy, to collect) and that the batch is in
    `_batch_range`, then calls the hooks `_input_impl` (where a slot's input goes, for a batch
    size), `_run_impl` (queue inference) and `_outputs_impl` (where the outputs are, to copy),
    as Polygraphy's runners keep their checks in the base class and call ``infer_impl``.
    """

    _slots: Slots
    _stream: Optional[cuda.Stream]
    _last_gpu_times: Dict[str, float]
    _on_device: FrozenSet[str] = frozenset()

    def keep_on_device(self, names: AbstractSet[str]) -> None:
        """
        Leave outputs `names` on the GPU: `collect` hands them out as `DeviceTensor`s.

        For a consumer on the GPU (the segmentation prototypes, `gpu.masks`): it reads the
        slot's own output buffer, so it must finish before the slot is enqueued again, as
        the pipeline's decoding does.
        """
        unknown = set(names) - {spec.name for spec in self.outputs}
        if unknown:
            raise BackendError('outputs %s are not among the model outputs %s'
                               % (sorted(unknown), [spec.name for spec in self.outputs]))
        self._on_device = frozenset(names)

    @property
    def slots(self) -> int:
        """Batches that can be in flight at once."""
        return len(self._slots)

    @property
    def stream(self) -> Optional[cuda.Stream]:
        """Pycuda Stream every copy and inference is queued on."""
        return self._stream

    @property
    def last_gpu_times(self) -> Dict[str, float]:
        """GPU milliseconds of the last collected batch by stage, from CUDA events."""
        return dict(self._last_gpu_times)

    def device_input(self, batch_size: int, slot: int = 0) -> int:
        """
        Device address of `slot`'s input buffer, shaped for `batch_size` images.

        Marks the start of GPU preprocessing on `stream`, so call it before queuing the
        preprocessing work.
        """
        state = self._slots.free(slot)
        address, _ = self._input_impl(state, self._checked_batch(batch_size))
        state.written('preprocess', self._stream)
        return address

    def upload(self, batch: np.ndarray, slot: int = 0) -> None:
        """Queue a host NCHW batch into `slot`'s input through its page-locked staging."""
        state = self._slots.free(slot)
        image = self.input
        if batch.ndim != 4 or batch.shape[1:] != tuple(image.shape[1:]) \
                or batch.dtype != image.dtype:
            raise BackendError('batch %s:%s does not match input %s'
                               % (batch.shape, batch.dtype, image.describe()))
        address, staging = self._input_impl(state, self._checked_batch(batch.shape[0]))
        staging = staging[:batch.size].reshape(batch.shape)
        np.copyto(staging, batch)
        state.written('upload', self._stream)
        cuda.memcpy_htod_async(address, staging, self._stream)

    def enqueue(self, batch_size: int, slot: int = 0) -> None:
        """Queue inference of `slot`'s input and its output copies behind it; no waiting."""
        state = self._slots.free(slot)
        stream = self._stream
        assert stream is not None  # it lives as long as the slots, and one was found
        state.inference_starts(stream, slot, batch_size)
        count = self._checked_batch(batch_size)
        self._run_impl(state, slot, count)
        state.events['inferred'].record(stream)
        results: Dict[str, Any] = {}
        for name, address, host, shape in self._outputs_impl(state, count):
            # A fixed-batch engine ran its whole batch: hand back the images asked for.
            if name in self._on_device:
                results[name] = DeviceTensor(address, (count,) + tuple(shape[1:]), host.dtype)
                continue
            view = host[:int(np.prod(shape))].reshape(shape)
            cuda.memcpy_dtoh_async(view, address, stream)
            results[name] = view[:count]
        state.queued(stream, count, results)

    def collect(self, slot: int = 0) -> Outputs:
        """Wait for `slot`'s batch and return its outputs (views of page-locked memory)."""
        results, self._last_gpu_times = self._slots.busy(slot).wait()
        return results

    def _checked_batch(self, batch_size: int) -> int:
        low, high, note = self._batch_range()
        return check_batch(batch_size, low, high, note)

    @abc.abstractmethod
    def _batch_range(self) -> Tuple[int, int, str]:
        """Smallest and largest batch, and what to add to the error naming them."""

    @abc.abstractmethod
    def _input_impl(self, state: Any, batch_size: int) -> Tuple[int, np.ndarray]:
        """Set `state`'s slot up for `batch_size`; return its input address and staging."""

    @abc.abstractmethod
    def _run_impl(self, state: Any, slot: int, batch_size: int) -> None:
        """Queue inference of slot `slot`'s input (`state`) on the stream; it is written."""

    @abc.abstractmethod
    def _outputs_impl(self, state: Any, batch_size: int
                      ) -> Sequence[Tuple[str, int, np.ndarray, Tuple[int, ...]]]:
        """(name, device address, page-locked host buffer, shape) of each output to copy."""
