# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Preprocess, infer and decode a batch of frames, timing each stage.

`DetectionPipeline` runs stages it is given; choosing them (which backend, which
preprocessor, which GPU context) is assembly, done by `trt_perception.assembly`.
"""

import abc
import contextlib
import dataclasses
from dataclasses import dataclass
import time
from typing import Any, Callable, ContextManager, Dict, List, Optional, Sequence

import numpy as np

from trt_perception.core.backend import BackendError, DeviceInputBackend, InferenceBackend
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
    """Detections per input image, the geometry used, and stage timing."""

    detections: List[List[Detection]]
    letterboxes: List[Letterbox]
    timing: StageTimes


class BatchPath(abc.ABC):
    """How frames reach the backend's input: chosen once, from where each stage keeps data."""

    zero_copy = False

    @abc.abstractmethod
    def preprocess(self, images: Sequence[RawImage]) -> List[Letterbox]:
        """Put `images` into the backend's next input; return each one's geometry."""

    @abc.abstractmethod
    def infer(self, count: int) -> Outputs:
        """Run the backend on the `count` images just preprocessed."""


class _HostInput(BatchPath):
    """A numpy input batch allocated once, run by `backend.infer`."""

    def __init__(self, spec: PreprocessSpec, backend: InferenceBackend) -> None:
        self._backend = backend
        self._batch = np.empty((backend.max_batch, 3, spec.height, spec.width),
                               dtype=spec.numpy_dtype)

    def infer(self, count: int) -> Outputs:
        return self._backend.infer(self._batch[:count])


class _HostBatch(_HostInput):
    """Host preprocessing straight into the input batch."""

    def __init__(self, preprocessor: HostPreprocessor, backend: InferenceBackend) -> None:
        super().__init__(preprocessor.spec, backend)
        self._preprocessor = preprocessor

    def preprocess(self, images: Sequence[RawImage]) -> List[Letterbox]:
        return [self._preprocessor.run_host(image, self._batch, slot)
                for slot, image in enumerate(images)]


class _DownloadedBatch(_HostInput):
    """GPU preprocessing into the preprocessor's own batch, fetched for a host backend."""

    def __init__(self, preprocessor: DevicePreprocessor, backend: InferenceBackend) -> None:
        super().__init__(preprocessor.spec, backend)
        self._preprocessor = preprocessor

    def preprocess(self, images: Sequence[RawImage]) -> List[Letterbox]:
        boxes = [self._preprocessor.run_device(image, None, slot)
                 for slot, image in enumerate(images)]
        self._preprocessor.download(self._batch[:len(images)])
        return boxes


class _DeviceBatch(BatchPath):
    """GPU preprocessing straight into the backend's device input: no copy in between."""

    zero_copy = True

    def __init__(self, preprocessor: DevicePreprocessor, backend: DeviceInputBackend) -> None:
        self._preprocessor = preprocessor
        self._backend = backend

    def preprocess(self, images: Sequence[RawImage]) -> List[Letterbox]:
        address = self._backend.device_input(len(images))
        return [self._preprocessor.run_device(image, address, slot)
                for slot, image in enumerate(images)]

    def infer(self, count: int) -> Outputs:
        return self._backend.infer_device(count)


def batch_path(preprocessor: Preprocessor, backend: InferenceBackend) -> BatchPath:
    """Choose the one way `preprocessor`'s output can reach `backend`."""
    if isinstance(preprocessor, HostPreprocessor):
        return _HostBatch(preprocessor, backend)
    if isinstance(preprocessor, DevicePreprocessor):
        if isinstance(backend, DeviceInputBackend):
            return _DeviceBatch(preprocessor, backend)
        return _DownloadedBatch(preprocessor, backend)
    raise TypeError('preprocessor %s is neither a HostPreprocessor nor a DevicePreprocessor'
                    % type(preprocessor).__name__)


class DetectionPipeline:
    """
    Runs frames through a preprocessor, a backend and a decoder.

    The way frames reach the backend (`BatchPath`) is fixed at construction: a device
    preprocessor feeding a `DeviceInputBackend` writes straight into the engine's input;
    any other combination goes through a host batch allocated once.  Not thread-safe: one
    thread runs `detect`; `update_params` may be called from any thread.
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
        self._info = dict(info or {})
        self._info['preprocess'] = preprocessor.location
        self._info['zero_copy_input'] = str(self._path.zero_copy).lower()

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

    def detect(self, images: Sequence[RawImage]) -> BatchResult:
        """Detect objects in up to `max_batch` frames."""
        if not 0 < len(images) <= self.max_batch:
            raise ValueError('detect() takes 1..%d images, got %d'
                             % (self.max_batch, len(images)))
        params = self._params
        with self._activate():
            t0 = time.perf_counter()
            letterboxes = self._path.preprocess(images)
            t1 = time.perf_counter()
            outputs = self._path.infer(len(images))
            t2 = time.perf_counter()
            detections = self.decoder.decode(outputs, letterboxes, params)
            t3 = time.perf_counter()
        timing = StageTimes((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3)
        return BatchResult(detections, letterboxes, timing)

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


def preprocess_spec(card: ModelCard, backend: InferenceBackend) -> PreprocessSpec:
    """Combine the model card's preprocessing with the backend's input shape and type."""
    _, channels, height, width = backend.input.shape
    if channels not in (3, None) or not isinstance(height, int) or not isinstance(width, int):
        raise BackendError('input %s must be N x 3 x H x W with a fixed H and W'
                           % backend.input.describe())
    dtype = 'float16' if np.dtype(backend.input.dtype) == np.float16 else 'float32'
    return PreprocessSpec(
        width=width, height=height, channel_order=card.channel_order,
        pad_value=card.pad_value, scale=card.scale, mean=card.mean, std=card.std,
        dtype=dtype, resize=card.resize)
