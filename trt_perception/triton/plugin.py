# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""A Triton Inference Server as a backend plugin, with its triton.* settings."""

import logging
from typing import Any, Optional

from trt_perception.core.backend import InferenceBackend
from trt_perception.core.backend_plugin import BackendPlugin, REQUIRE
from trt_perception.core.models import ModelCard
from trt_perception.triton.settings import open_triton_backend, TritonSettings

DEPTH = 2
"""Requests in flight when pipeline_depth is 0 (auto): one on the server while the robot
prepares the next batch and decodes the previous."""


class TritonPlugin(BackendPlugin):
    """Only when asked for (never by auto): the server may be far away or shared."""

    backend = 'triton'
    name = 'Triton'
    serving = 'a Triton server'
    settings = TritonSettings
    prefix = 'triton.'

    def demand(self, config: Any, card: ModelCard) -> Optional[str]:
        """Require it for backend triton; otherwise rule it out."""
        return REQUIRE if config.backend == self.backend else None

    def default_depth(self, config: Any) -> int:
        """See DEPTH."""
        return DEPTH

    def needs_cuda(self, config: Any) -> bool:
        """Say yes only for CUDA shared memory: the input is written on the server's GPU."""
        return config.triton.shared_memory == 'cuda'

    def cuda_missing_message(self, config: Any, error: str) -> str:
        """Explain that CUDA shared memory needs a GPU here; the other transports do without."""
        if not self.needs_cuda(config):
            return ''  # the context was for GPU preprocessing: its own error says it all
        return ("triton shared_memory 'cuda' needs pycuda and a CUDA GPU on this host (%s); "
                "set it to 'system' (same host) or 'none'" % error)

    def create(self, config: Any, card: ModelCard, context: Any, pipeline_depth: int,
               log: logging.Logger) -> InferenceBackend:
        """Connect (or start retrying) to the served model, `pipeline_depth` requests in flight."""
        return open_triton_backend(config.triton, card, config.max_batch, pipeline_depth, log,
                                   context)


TRITON = TritonPlugin()
