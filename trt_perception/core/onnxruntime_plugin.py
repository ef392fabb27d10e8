# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""ONNX Runtime on the CPU (its default providers) as a backend plugin: the last resort."""

import logging
from typing import Any, Optional

from trt_perception.core.backend import InferenceBackend
from trt_perception.core.backend_plugin import BackendPlugin, TRY
from trt_perception.core.models import ModelCard
from trt_perception.core.onnxruntime_backend import OnnxRuntimeBackend


class OnnxRuntimeCpuPlugin(BackendPlugin):
    """ONNX Runtime fed host arrays; always usable for an ONNX model."""

    backend = 'onnxruntime'
    name = 'ONNX Runtime CPU'
    serving = 'ONNX Runtime on the CPU'
    max_depth = 1
    """Inference holds the worker: a second batch in flight would only wait."""

    def demand(self, config: Any, card: ModelCard) -> Optional[str]:
        """Try for an ONNX model unless a GPU provider is required."""
        if card.is_engine or config.backend not in ('auto', self.backend) \
                or config.onnxruntime_provider in ('cuda', 'tensorrt'):
            return None
        return TRY

    def default_depth(self, config: Any) -> int:
        """One: see `max_depth`."""
        return 1

    def create(self, config: Any, card: ModelCard, context: Any, pipeline_depth: int,
               log: logging.Logger) -> InferenceBackend:
        """Open the session; onnxruntime_provider cpu keeps even onnxruntime-gpu off the GPU."""
        providers = ['CPUExecutionProvider'] if config.onnxruntime_provider == 'cpu' else None
        return OnnxRuntimeBackend(card.path, providers=providers, max_batch=config.max_batch)


ONNXRUNTIME_CPU = OnnxRuntimeCpuPlugin()
