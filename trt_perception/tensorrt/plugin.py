# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Our TensorRT runner as a backend plugin: an engine from the cache, built, or given."""

import logging
from typing import Any, Optional

from trt_perception.core.backend import BackendError, InferenceBackend
from trt_perception.core.backend_plugin import BackendPlugin, REQUIRE, TRY
from trt_perception.core.models import ModelCard
from trt_perception.tensorrt import tensorrt_unavailable_reason

DEPTH = 2
"""Batches in flight when pipeline_depth is 0 (auto): an enqueue costs the CPU little, so one
runs on the GPU while the CPU decodes the previous one and prepares the next."""


class TensorRTPlugin(BackendPlugin):
    """TensorRT first under auto; the only backend that runs an engine file."""

    backend = 'tensorrt'
    name = 'TensorRT'
    serving = 'TensorRT'
    slow_start = True

    def demand(self, config: Any, card: ModelCard) -> Optional[str]:
        """Require it for backend tensorrt or an engine file; try it first under auto."""
        if config.backend == 'triton':
            return None
        if config.backend == self.backend or card.is_engine:
            return REQUIRE
        return TRY if config.backend == 'auto' else None

    def unavailable_reason(self, config: Any) -> Optional[str]:
        """Say what of TensorRT, pycuda and a CUDA device is missing (None: all usable)."""
        return tensorrt_unavailable_reason()

    def required_message(self, config: Any, card: ModelCard, reason: str) -> str:
        """Say what needs TensorRT (the engine file or the setting) and the alternative."""
        return ("TensorRT is needed for %s but %s; or set backend to 'onnxruntime' with an "
                '.onnx model' % (card.path if card.is_engine else 'backend tensorrt', reason))

    def default_depth(self, config: Any) -> int:
        """See DEPTH."""
        return DEPTH

    def needs_cuda(self, config: Any) -> bool:
        """Return True: engines run on our CUDA context."""
        return True

    def create(self, config: Any, card: ModelCard, context: Any, pipeline_depth: int,
               log: logging.Logger) -> InferenceBackend:
        """Resolve the engine (cache, build or file) and run it with `pipeline_depth` slots."""
        from trt_perception.tensorrt.api import TensorRTApi, TensorRTUnavailable
        from trt_perception.tensorrt.backend import TensorRTBackend
        from trt_perception.tensorrt.cache import resolve_engine
        try:
            api = TensorRTApi.load()
        except TensorRTUnavailable as exc:
            raise BackendError(str(exc)) from exc
        capability = '%d.%d' % tuple(context.compute_capability)
        engine = resolve_engine(card.path, api, context.name, capability,
                                precision=config.precision, max_batch=config.max_batch,
                                slots=pipeline_depth, cache_dir=config.engine_cache_dir or None,
                                log=log)
        return TensorRTBackend(engine.plan, max_batch=config.max_batch, api=api, log=log,
                               source=engine.source, precision=engine.precision,
                               context=context, slots=pipeline_depth)


TENSORRT = TensorRTPlugin()
