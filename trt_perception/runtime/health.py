# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The detector's health as typed fields: what diagnostics (or any other reader) report.

The backends describe themselves as key/value facts (`InferenceBackend.describe`); the keys
that mean something to health (`Fact`) are read here, once, into fields.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from trt_perception.core.backend import Fact
from trt_perception.core.decoders import DetectionParams
from trt_perception.core.stages import HealthValue
from trt_perception.core.stats import EngineSnapshot
from trt_perception.engine_builds import BuildStatus

SERVER_READY = 'ready'
"""`EngineHealth.server_state` of a reachable server, and of a backend without one."""


@dataclass(frozen=True)
class EngineHealth:
    """One reading of the detector: counters, the backend's facts, the build, the stages."""

    stats: EngineSnapshot
    backend: str
    """The serving backend's name."""
    facts: Dict[str, str]
    """Everything the serving pipeline describes of itself, for display."""
    fallback: str = ''
    """Why backend 'auto' settled for `backend` ('' when it got its first choice)."""
    server_state: str = SERVER_READY
    build: Optional[BuildStatus] = None
    """The TensorRT engine built in the background, if any."""
    batches_in_flight: int = 0
    gpu_times: Dict[str, float] = field(default_factory=dict)
    """The GPU's own milliseconds per stage of the last batch ({} on the CPU)."""
    params: DetectionParams = field(default_factory=DetectionParams)
    stages: Dict[str, Dict[str, HealthValue]] = field(default_factory=dict)
    """Each result stage's `health()`, by stage name, in running order."""

    @classmethod
    def read(cls, stats: EngineSnapshot, facts: Dict[str, str],
             build: Optional[BuildStatus] = None, batches_in_flight: int = 0,
             gpu_times: Optional[Dict[str, float]] = None,
             params: Optional[DetectionParams] = None,
             stages: Optional[Dict[str, Dict[str, HealthValue]]] = None) -> 'EngineHealth':
        """Take the typed fields out of a pipeline's `describe()` facts."""
        return cls(stats, facts.get(Fact.BACKEND, ''), dict(facts),
                   facts.get(Fact.FALLBACK, ''), facts.get(Fact.SERVER_STATE, SERVER_READY),
                   build, batches_in_flight, dict(gpu_times or {}),
                   params or DetectionParams(), dict(stages or {}))

    def values(self) -> List[Tuple[str, str]]:
        """Key/value pairs for display: facts, build, batches, GPU times, settings, stages."""
        info = dict(self.facts)
        if self.build is not None:
            info.update(self.build.values())
        info['batches_in_flight'] = str(self.batches_in_flight)
        info.update({'gpu_%s_ms' % stage: '%.2f' % ms for stage, ms in self.gpu_times.items()})
        params = self.params
        info.update({'conf_threshold': '%g' % params.conf_threshold,
                     'iou_threshold': '%g' % params.iou_threshold,
                     'classes': ','.join(map(str, sorted(params.classes or ()))) or 'all'})
        values = sorted(info.items())
        for stage, health in self.stages.items():
            values += [('stage.%s.%s' % (stage, key), _text(value))
                       for key, value in sorted(health.items())]
        return values


def _text(value: HealthValue) -> str:
    return '%g' % value if isinstance(value, float) else str(value)
