# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Batches in flight on a CUDA stream: what every GPU backend keeps per slot.

A slot's batch goes: input written (`written`: GPU preprocessing or an upload), inference
and output copies queued (`queued`), then `wait` on the last CUDA event.  The events bracket
each stage, so the GPU's own time per stage comes back with the outputs.
"""

from typing import Dict, Generic, List, Optional, Sequence, Tuple, TypeVar

import numpy as np

from trt_perception.core.backend import BackendError, check_slot
from trt_perception.gpu.context import cuda

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


class SlottedBackend:
    """
    What a GPU backend with slots reports the same way, from its own three attributes.

    Mixed in before `DeviceInputBackend`, whose abstract `slots` and `stream` it provides.
    """

    _slots: Slots
    _stream: Optional[cuda.Stream]
    _last_gpu_times: Dict[str, float]

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
