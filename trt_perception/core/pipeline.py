# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Preprocess, infer and decode a batch of frames, timing each stage.

`DetectionPipeline` runs stages it is given; choosing them (which backend, which
preprocessor, which GPU context) is assembly, done by `trt_perception.assembly`.
"""

import abc
import collections
import contextlib
import dataclasses
from dataclasses import dataclass, field
import time
from typing import Any, Callable, ContextManager, Dict, List, Optional, Sequence

import numpy as np

from trt_perception.core.backend import (BackendError, DeviceInputBackend, InferenceBackend,
                                         RequestBackend)
from trt_perception.core.decoders import Decoder, DetectionParams
from trt_perception.core.detection import Detection
from trt_perception.core.image import RawImage
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.models import ModelCard
from trt_perception.core.preprocess import (DevicePreprocessor, HostPreprocessor,
                                            Preprocessor, PreprocessSpec)

Outputs = Dict[str, np.ndarray]


@dataclass(frozen=True)
class StageTimes:
    """Wall-clock milliseconds spent in each stage for one batch."""

    preprocess: float
    inference: float
    postprocess: float

    @property
    def total(self) -> float:
        """Sum of the stages."""
        return self.preprocess + self.inference + self.postprocess

    def as_dict(self) -> Dict[str, float]:
        """Stage name to milliseconds, as the offline runner prints them."""
        return {'preprocess': self.preprocess, 'inference': self.inference,
                'postprocess': self.postprocess}


@dataclass(frozen=True)
class BatchResult:
    """
    Detections per input image, the geometry used, and stage timing.

    `timing` is wall-clock time on the host: preprocess is the time to queue (GPU) or do
    (CPU) preprocessing, inference runs from then until the outputs were on the host
    (including any wait behind an earlier batch in flight), postprocess is decoding.
    `gpu_times` are the GPU's own milliseconds per stage, from CUDA events ({} on the CPU).
    """

    detections: List[List[Detection]]
    letterboxes: List[Letterbox]
    timing: StageTimes
    gpu_times: Dict[str, float] = field(default_factory=dict)


class BatchPath(abc.ABC):
    """
    How frames reach the backend's input: chosen once, from where each stage keeps data.

    Every method takes the in-flight `slot` the batch uses (0 .. `slots` - 1); each slot
    has its own buffers, so one batch can be prepared while another is in inference.
    """

    zero_copy = False

    def __init__(self, slots: int) -> None:
        """Serve `slots` batches in flight."""
        self.slots = slots

    @abc.abstractmethod
    def preprocess(self, images: Sequence[RawImage], slot: int) -> List[Letterbox]:
        """Put `images` into `slot`'s input; return each one's geometry."""

    @abc.abstractmethod
    def enqueue(self, count: int, slot: int) -> None:
        """Start inference of the `count` images in `slot` (a host backend finishes it)."""

    @abc.abstractmethod
    def collect(self, slot: int) -> Outputs:
        """Wait for `slot`'s inference and return its outputs."""

    def gpu_times(self) -> Dict[str, float]:
        """GPU milliseconds of the batch just collected, by stage ({} on the CPU)."""
        return {}


def _host_batches(spec: PreprocessSpec, backend: InferenceBackend, slots: int) -> np.ndarray:
    """One NCHW host batch of `backend.max_batch` images per slot, as `spec` lays them out."""
    return np.empty((slots, backend.max_batch, 3, spec.height, spec.width),
                    dtype=spec.numpy_dtype)


class _HostInput(BatchPath):
    """Numpy input batches, one per slot, allocated once."""

    def __init__(self, spec: PreprocessSpec, backend: InferenceBackend, slots: int) -> None:
        super().__init__(slots)
        self._backend = backend
        self._batches = _host_batches(spec, backend, slots)


class _HostRun(_HostInput):
    """
    A host backend fed from the slot's host batch.

    A `RequestBackend` (a server) gets the batch in `enqueue` and answers in `collect`, so
    several requests are in flight; any other backend runs inference to completion in
    `enqueue`, and `collect` hands the outputs over.
    """

    def __init__(self, spec: PreprocessSpec, backend: InferenceBackend, slots: int) -> None:
        super().__init__(spec, backend, slots)
        self._requests = backend if isinstance(backend, RequestBackend) else None
        self._outputs: List[Outputs] = [{} for _ in range(slots)]

    def enqueue(self, count: int, slot: int) -> None:
        if self._requests is not None:
            self._requests.send(self._batches[slot, :count], slot)
        else:
            self._outputs[slot] = self._backend.infer(self._batches[slot, :count])

    def collect(self, slot: int) -> Outputs:
        if self._requests is not None:
            return self._requests.collect(slot)
        outputs, self._outputs[slot] = self._outputs[slot], {}
        return outputs


class _HostBatch(_HostRun):
    """Host preprocessing straight into the input batch of a host backend."""

    def __init__(self, preprocessor: HostPreprocessor, backend: InferenceBackend,
                 slots: int) -> None:
        super().__init__(preprocessor.spec, backend, slots)
        self._preprocessor = preprocessor

    def preprocess(self, images: Sequence[RawImage], slot: int) -> List[Letterbox]:
        batch = self._batches[slot]
        return [self._preprocessor.run_host(image, batch, position)
                for position, image in enumerate(images)]


class _DownloadedBatch(_HostRun):
    """GPU preprocessing into the preprocessor's own batch, fetched for a host backend."""

    def __init__(self, preprocessor: DevicePreprocessor, backend: InferenceBackend,
                 slots: int) -> None:
        super().__init__(preprocessor.spec, backend, slots)
        self._preprocessor = preprocessor

    def preprocess(self, images: Sequence[RawImage], slot: int) -> List[Letterbox]:
        boxes = [self._preprocessor.run_device(image, None, position)
                 for position, image in enumerate(images)]
        # download() waits for the GPU, so the preprocessor's one batch is free again.
        self._preprocessor.download(self._batches[slot, :len(images)])
        return boxes


class _DeviceRun(BatchPath):
    """A device backend: inference and output copies queued on its stream, per slot."""

    def __init__(self, backend: DeviceInputBackend, slots: int) -> None:
        super().__init__(slots)
        self._device = backend

    def enqueue(self, count: int, slot: int) -> None:
        self._device.enqueue(count, slot)

    def collect(self, slot: int) -> Outputs:
        return self._device.collect(slot)

    def gpu_times(self) -> Dict[str, float]:
        return self._device.last_gpu_times


class _UploadedBatch(_DeviceRun):
    """Host preprocessing, copied into a device backend's input through pinned staging."""

    def __init__(self, preprocessor: HostPreprocessor, backend: DeviceInputBackend,
                 slots: int) -> None:
        super().__init__(backend, slots)
        self._preprocessor = preprocessor
        self._batches = _host_batches(preprocessor.spec, backend, slots)

    def preprocess(self, images: Sequence[RawImage], slot: int) -> List[Letterbox]:
        batch = self._batches[slot]
        boxes = [self._preprocessor.run_host(image, batch, position)
                 for position, image in enumerate(images)]
        self._device.upload(batch[:len(images)], slot)
        return boxes


class _DeviceBatch(_DeviceRun):
    """GPU preprocessing straight into the backend's device input: no copy in between."""

    zero_copy = True

    def __init__(self, preprocessor: DevicePreprocessor, backend: DeviceInputBackend,
                 slots: int) -> None:
        super().__init__(backend, slots)
        self._preprocessor = preprocessor

    def preprocess(self, images: Sequence[RawImage], slot: int) -> List[Letterbox]:
        address = self._device.device_input(len(images), slot)
        return [self._preprocessor.run_device(image, address, position)
                for position, image in enumerate(images)]


def batch_path(preprocessor: Preprocessor, backend: InferenceBackend) -> BatchPath:
    """
    Choose the one way `preprocessor`'s output can reach `backend`.

    A device backend keeps as many batches in flight as it has slots, and so does a
    request backend (a server); any other host backend runs one batch at a time.
    """
    if isinstance(backend, DeviceInputBackend):
        if isinstance(preprocessor, DevicePreprocessor):
            return _DeviceBatch(preprocessor, backend, backend.slots)
        if isinstance(preprocessor, HostPreprocessor):
            return _UploadedBatch(preprocessor, backend, backend.slots)
    else:
        slots = backend.slots if isinstance(backend, RequestBackend) else 1
        if isinstance(preprocessor, DevicePreprocessor):
            return _DownloadedBatch(preprocessor, backend, slots)
        if isinstance(preprocessor, HostPreprocessor):
            return _HostBatch(preprocessor, backend, slots)
    raise TypeError('preprocessor %s is neither a HostPreprocessor nor a DevicePreprocessor'
                    % type(preprocessor).__name__)


@dataclass(frozen=True)
class Submitted:
    """A batch handed to `DetectionPipeline.submit` and not yet completed."""

    slot: int
    count: int
    letterboxes: List[Letterbox]
    params: DetectionParams
    started: float
    """perf_counter() seconds when preprocessing began."""
    enqueued: float
    """perf_counter() seconds when preprocessing had been queued and inference began."""


class DetectionPipeline:
    """
    Runs frames through a preprocessor, a backend and a decoder.

    The way frames reach the backend (`BatchPath`) is fixed at construction: a device
    preprocessor feeding a `DeviceInputBackend` writes straight into the engine's input;
    any other combination goes through a host batch allocated once.  `detect` runs a batch
    start to end; `submit` and `complete` split it so that up to `depth` batches are in
    flight at once, each in its own slot of buffers (a GPU backend's `slots`).  Not
    thread-safe: one thread submits and completes; `update_params` may be called from any
    thread.
    """

    def __init__(self, backend: InferenceBackend, preprocessor: Preprocessor, decoder: Decoder,
                 params: Optional[DetectionParams] = None,
                 activate: Optional[Callable[[], ContextManager[object]]] = None,
                 closers: Sequence[Callable[[], None]] = (),
                 info: Optional[Dict[str, str]] = None) -> None:
        """Wire the stages; `activate` makes the GPU context current, `closers` run last."""
        self.backend = backend
        self.preprocessor = preprocessor
        self.decoder = decoder
        self._params = params or DetectionParams()
        self._activate = activate or contextlib.ExitStack
        self._closers = list(closers)
        self._path = batch_path(preprocessor, backend)
        self._free_slots = collections.deque(range(self._path.slots))
        self._info = dict(info or {})
        self._info['preprocess'] = preprocessor.location
        self._info['zero_copy_input'] = str(self._path.zero_copy).lower()
        self._info['pipeline_depth'] = str(self._path.slots)

    @property
    def params(self) -> DetectionParams:
        """Thresholds and filters used for the next batch."""
        return self._params

    def update_params(self, **changes: Any) -> DetectionParams:
        """Validate and swap in new thresholds/filters; raises ValueError, changing nothing."""
        new = dataclasses.replace(self._params, **changes)
        self._params = new
        return new

    @property
    def max_batch(self) -> int:
        """Largest number of frames one `detect` call runs together."""
        return self.backend.max_batch

    @property
    def depth(self) -> int:
        """How many submitted batches may be in flight before one must be completed."""
        return self._path.slots

    @property
    def in_flight(self) -> int:
        """Batches submitted and not yet completed."""
        return self._path.slots - len(self._free_slots)

    def detect(self, images: Sequence[RawImage]) -> BatchResult:
        """Detect objects in up to `max_batch` frames, start to end."""
        return self.complete(self.submit(images))

    def submit(self, images: Sequence[RawImage]) -> Submitted:
        """
        Preprocess up to `max_batch` frames and start their inference; do not wait.

        Raises RuntimeError when `depth` batches are already in flight.
        """
        if not 0 < len(images) <= self.max_batch:
            raise ValueError('detect() takes 1..%d images, got %d'
                             % (self.max_batch, len(images)))
        if not self._free_slots:
            raise RuntimeError('%d batches are already in flight: complete() the oldest first'
                               % self.depth)
        slot = self._free_slots[0]
        with self._activate():
            started = time.perf_counter()
            letterboxes = self._path.preprocess(images, slot)
            enqueued = time.perf_counter()
            self._path.enqueue(len(images), slot)
        self._free_slots.popleft()
        return Submitted(slot, len(images), letterboxes, self._params, started, enqueued)

    def complete(self, submitted: Submitted) -> BatchResult:
        """Wait for a submitted batch's outputs and decode them; frees its slot."""
        try:
            with self._activate():
                outputs = self._path.collect(submitted.slot)
                collected = time.perf_counter()
                gpu_times = self._path.gpu_times()
                detections = self.decoder.decode(outputs, submitted.letterboxes,
                                                 submitted.params)
                decoded = time.perf_counter()
        finally:
            self._free_slots.append(submitted.slot)
        timing = StageTimes((submitted.enqueued - submitted.started) * 1e3,
                            (collected - submitted.enqueued) * 1e3,
                            (decoded - collected) * 1e3)
        return BatchResult(detections, submitted.letterboxes, timing, gpu_times)

    def describe(self) -> Dict[str, str]:
        """Backend, model and selection facts for logs and diagnostics."""
        info = dict(self.backend.describe())
        info.update(self._info)
        return info

    def close(self) -> None:
        """Release the backend, the preprocessor and then the GPU context, in that order."""
        with self._activate():
            self.backend.close()
            self.preprocessor.close()
        for closer in self._closers:
            closer()
        self._closers = []

    def __enter__(self) -> 'DetectionPipeline':
        """Use the pipeline in a with-block that closes it."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on leaving the with-block."""
        self.close()


def _is_size(dim: object) -> bool:
    return isinstance(dim, int) and dim > 0


def preprocess_spec(card: ModelCard, backend: InferenceBackend) -> PreprocessSpec:
    """Combine the model card's preprocessing with the backend's input shape and type."""
    _, channels, height, width = backend.input.shape
    # A dynamic H and W take the size the card or the file's metadata names (imgsz).
    if not _is_size(height) and not _is_size(width) and len(card.input_shape) == 4:
        height, width = card.input_shape[2:]
    if channels not in (3, None) or not isinstance(height, int) or height < 1 \
            or not isinstance(width, int) or width < 1:
        raise BackendError('input %s must be N x 3 x H x W with a fixed H and W, or the model '
                           'card must name them (input.shape)' % backend.input.describe())
    dtype = 'float16' if np.dtype(backend.input.dtype) == np.float16 else 'float32'
    return PreprocessSpec(
        width=width, height=height, channel_order=card.channel_order,
        pad_value=card.pad_value, scale=card.scale, mean=card.mean, std=card.std,
        dtype=dtype, resize=card.resize, sampling=card.sampling)
