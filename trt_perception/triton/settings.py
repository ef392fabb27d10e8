# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
What the node and the offline runner say about the server, and opening the backend from it.

The model card (bundled name or ONNX file) is still the local source of the preprocessing,
the decoder and the labels; the ONNX file also gives the tensors the served model must have.
"""

from dataclasses import dataclass
import logging
from typing import Optional, TYPE_CHECKING

from trt_perception.core.backend import BackendError
from trt_perception.core.models import ModelCard
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend
from trt_perception.core.schema import setting, Settings
from trt_perception.triton.backend import TritonBackend
from trt_perception.triton.client import split_url
from trt_perception.triton.signature import ModelSignature
from trt_perception.triton.transport import SHARED_MEMORY

if TYPE_CHECKING:  # pycuda is optional: imported only for CUDA shared memory
    from trt_perception.gpu.context import CudaContext


@dataclass(frozen=True)
class TritonSettings(Settings):
    """Server URL, served model name and version, request timeout and tensor transport."""

    url: str = setting('grpc://127.0.0.1:8001',
                       'Backend triton: the server, grpc://host:port or http://host:port.')
    model: str = setting(
        '', "Backend triton: model name in the server's repository; empty: the model card's "
        'name. The model parameter still names the local ONNX model (or bundled name) for '
        'preprocessing, decoding and the tensor check.')
    version: str = setting(
        '', "Backend triton: model version; empty: the server's version policy.",
        name='model_version')
    timeout: float = setting(
        1.0, 'Backend triton: seconds one request or health check may take; past it the batch '
        'fails and the backend reconnects with backoff.', low=0.01, high=600.0)
    shared_memory: str = setting(
        'none', 'Backend triton: none: tensors travel in the request; system: POSIX shared '
        'memory, for a server on the same host; cuda: the input in CUDA shared memory written '
        'by GPU preprocessing, for a server on the same host and GPU (not Jetson: no CUDA IPC '
        'there).', choices=SHARED_MEMORY)

    def __post_init__(self) -> None:
        """Check each setting and reject a malformed URL."""
        super().__post_init__()
        split_url(self.url)


def expected_signature(card: ModelCard, max_batch: int) -> ModelSignature:
    """Read the tensors the served model must have from the card's ONNX model."""
    if card.is_engine:
        raise BackendError("backend triton reads the tensors from the ONNX model the server's "
                           'model was exported from; %s is an engine: set model to that ONNX '
                           'model or its bundled name' % card.path)
    with OnnxRuntimeBackend(card.path, providers=['CPUExecutionProvider'],
                            max_batch=max_batch) as local:
        return ModelSignature.of_backend(local)


def open_triton_backend(settings: TritonSettings, card: ModelCard, max_batch: int,
                        pipeline_depth: int, log: logging.Logger,
                        context: Optional['CudaContext'] = None) -> TritonBackend:
    """
    Connect (or start retrying) to the served model that `card` describes.

    `pipeline_depth` requests may be in flight at once.  CUDA shared memory needs `context`,
    active.
    """
    expected = expected_signature(card, max_batch)
    model = settings.model or card.name
    if settings.shared_memory == 'cuda':
        if context is None:
            raise BackendError("triton shared_memory 'cuda' needs a CUDA GPU on this host")
        from trt_perception.triton.device import TritonDeviceBackend
        return TritonDeviceBackend(settings.url, model, expected, context,
                                   version=settings.version, timeout=settings.timeout,
                                   max_batch=max_batch, slots=pipeline_depth, log=log)
    return TritonBackend(settings.url, model, expected, version=settings.version,
                         timeout=settings.timeout, shared_memory=settings.shared_memory,
                         max_batch=max_batch, slots=pipeline_depth, log=log)
