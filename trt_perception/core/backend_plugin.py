# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
A backend described once, by its own package.

When the settings ask for it, why it is unusable here, its default pipeline depth, whether it
needs CUDA, its own settings, and how to create it. Each backend package exports one
`BackendPlugin`; assembly walks an explicit ordered list of them and records why it passed over
each. Nothing else decides whether a backend is usable. The `config` a plugin is given is
assembly's `PipelineConfig` (typed loosely here: the core imports nothing above it).
"""

import abc
import logging
from typing import Any, Optional

from trt_perception.core.backend import InferenceBackend
from trt_perception.core.models import ModelCard

TRY = 'try'
"""`demand`: the settings allow this backend; when unusable, pass over it to the next."""
REQUIRE = 'require'
"""`demand`: the settings ask for this backend alone; when unusable, fail and say so."""


class BackendPlugin(abc.ABC):
    """One backend as the settings see it; subclasses live in the backend's own package."""

    backend = ''
    """Value of the `backend` setting that selects it ('tensorrt', 'onnxruntime', 'triton')."""
    name = ''
    """Short name in the reasons `backend: auto` records ('TensorRT', 'ONNX Runtime CUDA')."""
    serving = ''
    """What serving with it is called in the fallback note ('ONNX Runtime on the GPU')."""
    settings: Optional[type] = None
    """Its own settings schema, if any (prefixed by `prefix` in tables and flags)."""
    prefix = ''
    max_depth = 8
    """Most batches it can have in flight (1 where inference holds the worker anyway)."""
    slow_start = False
    """Getting ready can take minutes (an engine build): worth serving with another meanwhile."""

    @abc.abstractmethod
    def demand(self, config: Any, card: ModelCard) -> Optional[str]:
        """Return TRY, REQUIRE, or None where the settings rule this backend out."""

    def unavailable_reason(self, config: Any) -> Optional[str]:
        """Why it cannot run here (None: it can); asked only where `demand` is not None."""
        return None

    def required_message(self, config: Any, card: ModelCard, reason: str) -> str:
        """Return the error when it is required (REQUIRE) but `reason` makes it unusable."""
        return '%s is needed but %s' % (self.name, reason)

    @abc.abstractmethod
    def default_depth(self, config: Any) -> int:
        """Batches in flight when pipeline_depth is 0 (auto)."""

    def needs_cuda(self, config: Any) -> bool:
        """Whether it runs on (or shares memory with) the local GPU through a CUDA context."""
        return False

    def cuda_missing_message(self, config: Any, error: str) -> str:
        """Return the error when its CUDA context cannot open ('': raise the original)."""
        return ''

    @abc.abstractmethod
    def create(self, config: Any, card: ModelCard, context: Any, pipeline_depth: int,
               log: logging.Logger) -> InferenceBackend:
        """Create the backend; `context` is the CUDA context (None unless `needs_cuda`)."""
