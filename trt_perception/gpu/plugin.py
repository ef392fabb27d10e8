# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""ONNX Runtime on the GPU (its CUDA or TensorRT provider) as a backend plugin."""

import logging
from typing import Any, Optional

from trt_perception.core.backend import InferenceBackend
from trt_perception.core.backend_plugin import BackendPlugin, REQUIRE, TRY
from trt_perception.core.models import ModelCard

CUDA_GRAPHS_DEPTH = 2
"""Batches in flight when pipeline_depth is 0 (auto) and CUDA graphs make an enqueue cheap: one
on the GPU while the CPU decodes the previous one and prepares the next.  ONNX Runtime launching
kernel by kernel keeps the CPU as busy as the GPU, so there auto is 1: two in flight measured
20% slower (docs/benchmarks.md)."""


def onnxruntime_gpu_unavailable_reason(provider: str) -> Optional[str]:
    """Return None when ONNX Runtime can run `provider` on a GPU through our context, else why."""
    try:
        from trt_perception.gpu.context import CudaUnavailableError, device_count
        from trt_perception.gpu.onnxruntime_backend import cuda_provider_unavailable_reason
    except Exception as exc:  # pycuda raises ImportError or OSError for a missing libcuda
        return 'pycuda cannot be imported (%s)' % (exc.__cause__ or exc)
    try:
        if device_count() == 0:
            return 'the CUDA driver reports no GPU'
    except CudaUnavailableError as exc:
        return str(exc)
    return cuda_provider_unavailable_reason(provider)


def _provider(config: Any) -> str:
    return 'tensorrt' if config.onnxruntime_provider == 'tensorrt' else 'cuda'


class OnnxRuntimeGpuPlugin(BackendPlugin):
    """ONNX Runtime with its CUDA (or TensorRT) provider, input written in place on the GPU."""

    backend = 'onnxruntime'
    name = 'ONNX Runtime CUDA'
    serving = 'ONNX Runtime on the GPU'

    def demand(self, config: Any, card: ModelCard) -> Optional[str]:
        """Try under auto; required where onnxruntime_provider names a GPU provider."""
        if card.is_engine or config.backend not in ('auto', self.backend) \
                or config.onnxruntime_provider == 'cpu':
            return None
        return TRY if config.onnxruntime_provider == 'auto' else REQUIRE

    def unavailable_reason(self, config: Any) -> Optional[str]:
        """Why pycuda, a GPU or onnxruntime-gpu's provider is missing (None: all there)."""
        return onnxruntime_gpu_unavailable_reason(_provider(config))

    def required_message(self, config: Any, card: ModelCard, reason: str) -> str:
        """Name the provider asked for and the settings that would do without it."""
        return ('onnxruntime_provider %s is needed but %s; or set onnxruntime_provider to '
                "'auto' or 'cpu'" % (config.onnxruntime_provider, reason))

    def default_depth(self, config: Any) -> int:
        """Two with CUDA graphs (a cheap enqueue), else one: see CUDA_GRAPHS_DEPTH."""
        return CUDA_GRAPHS_DEPTH if config.cuda_graphs else 1

    def needs_cuda(self, config: Any) -> bool:
        """Return True: it runs on our CUDA context's stream."""
        return True

    def create(self, config: Any, card: ModelCard, context: Any, pipeline_depth: int,
               log: logging.Logger) -> InferenceBackend:
        """Open the session on `context` with `pipeline_depth` slots."""
        from trt_perception.gpu.onnxruntime_backend import OnnxRuntimeCudaBackend
        return OnnxRuntimeCudaBackend(
            card.path, context, max_batch=config.max_batch, slots=pipeline_depth,
            provider=_provider(config), cuda_graphs=config.cuda_graphs,
            engine_cache_dir=config.engine_cache_dir, precision=config.precision, log=log)


ONNXRUNTIME_GPU = OnnxRuntimeGpuPlugin()
