# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The result stages the detector runs after decoding, built from an ordered list of plugins.

A plugin names its settings schema (a `core.schema` settings class), the prefix of its
settings' outside names ('depth.') and a factory that builds its stage from the settings,
or returns None when the settings disable it.  Adding a stage is one entry in
`STAGE_PLUGINS`; the order of the list is the order the stages run in.
"""

from dataclasses import dataclass, replace
import logging
import time
from typing import Any, Callable, Dict, Hashable, List, Mapping, Optional, Sequence, Tuple

from trt_perception.core.depth.settings import DepthSettings, PREFIX as DEPTH_PREFIX
from trt_perception.core.depth.stage import DepthStage, make_depth_stage
from trt_perception.core.detection import Detection
from trt_perception.core.log_throttle import LogThrottle
from trt_perception.core.schema import check, settings_of
from trt_perception.core.stages import FrameInfo, HealthValue, ResultStage
from trt_perception.core.tracking import make_tracker_stage, TrackerSettings, TrackerStage


@dataclass(frozen=True)
class StagePlugin:
    """How to build one result stage from its settings."""

    settings: type
    """A frozen settings dataclass whose fields are made with `core.schema.setting`."""
    prefix: str
    """
    Prefix of the settings' outside names (ROS parameters, flags), such as 'depth.'.

    The tracker's is '': its settings name themselves (`tracking`, `tracking.min_hits`).
    """
    factory: Callable[[Any, logging.Logger], Optional[ResultStage]]
    """(settings, log) -> the stage, or None when the settings disable it."""
    reconfigure: Optional[Callable[[ResultStage, Any], None]] = None
    """Give a built stage new settings after a run-time change (None: none can change)."""


class StageWarnings:
    """
    A stage's ``log(key, text)``: a warning to a `logging.Logger`, at most once a period per key.

    The core stages take this two-argument form so that one bad camera's warnings neither
    flood the log nor silence another camera's.
    """

    def __init__(self, log: logging.Logger, period: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Warn through `log`, once per key every `period` seconds."""
        self._log = log
        self._throttle = LogThrottle(period, clock)

    def __call__(self, key: Hashable, text: str) -> None:
        """Log `text` as a warning unless `key` logged within the period."""
        line = self._throttle.line(key, text)
        if line is not None:
            self._log.warning('%s', line)


def _tracker(settings: TrackerSettings, log: logging.Logger) -> Optional[TrackerStage]:
    return make_tracker_stage(settings, StageWarnings(log))


def _configure_tracker(stage: ResultStage, settings: Any) -> None:
    assert isinstance(stage, TrackerStage)
    stage.configure(settings)


def _depth_stage(settings: DepthSettings, log: logging.Logger) -> Optional[DepthStage]:
    return make_depth_stage(settings, StageWarnings(log))


def _apply_depth(stage: ResultStage, settings: Any) -> None:
    assert isinstance(stage, DepthStage)
    stage.apply(settings)


STAGE_PLUGINS: List[StagePlugin] = [
    StagePlugin(TrackerSettings, '', _tracker, _configure_tracker),
    StagePlugin(DepthSettings, DEPTH_PREFIX, _depth_stage, _apply_depth),
]
"""The result stages, in the order they run after decoding: tracking first, so that what
later stages add (3D boxes) goes with a track id."""


class _Built:
    """A plugin, its settings now and the stage it built (None while disabled)."""

    def __init__(self, plugin: StagePlugin, settings: Any,
                 stage: Optional[ResultStage]) -> None:
        self.plugin = plugin
        self.settings = settings
        self.stage = stage


class ResultStages:
    """
    The built stages: run them in order, timed, and route run-time setting changes.

    Run from the detector's worker thread; `change` may come from another thread (a
    parameter service) and reaches the stage through its plugin's `reconfigure`.
    """

    def __init__(self, plugins: Sequence[StagePlugin], values: Mapping[str, Any],
                 log: logging.Logger) -> None:
        """Build each plugin's stage from `values` keyed by outside name (defaults otherwise)."""
        self._built: List[_Built] = []
        try:
            for plugin in plugins:
                settings = plugin.settings(**_settings_values(plugin, values))
                self._built.append(_Built(plugin, settings, plugin.factory(settings, log)))
        except BaseException:
            self.close()
            raise

    @property
    def names(self) -> Tuple[str, ...]:
        """Names of the enabled stages, in running order (their keys in per-frame timing)."""
        return tuple(built.stage.name for built in self._built if built.stage is not None)

    def stage(self, name: str) -> Optional[ResultStage]:
        """Return the enabled stage called `name` ('depth'), or None when it is off."""
        for built in self._built:
            if built.stage is not None and built.stage.name == name:
                return built.stage
        return None

    def run(self, frame: FrameInfo, detections: List[Detection],
            times: Dict[str, float]) -> List[Detection]:
        """Pass `detections` through every stage; add each stage's milliseconds to `times`."""
        for built in self._built:
            stage = built.stage
            if stage is not None:
                start = time.perf_counter()
                detections = stage.process(frame, detections)
                times[stage.name] = (time.perf_counter() - start) * 1e3
        return detections

    def change(self, values: Mapping[str, Any]) -> None:
        """
        Apply run-time changes keyed by outside name; ValueError (nothing changed) if refused.

        Names that belong to no plugin are ignored (they are the detector's own settings).
        """
        updates = []
        for built in self._built:
            mine = _settings_values(built.plugin, values)
            if not mine:
                continue
            fixed = sorted(described.name
                           for described in settings_of(built.plugin.settings, built.plugin.prefix)
                           if described.attribute in mine and (
                               built.plugin.reconfigure is None or not described.info.runtime))
            if fixed:
                raise ValueError('%s cannot change while the detector runs' % ', '.join(fixed))
            updates.append((built, replace(built.settings, **mine)))
        for built, settings in updates:
            built.settings = settings
            if built.stage is not None and built.plugin.reconfigure is not None:
                built.plugin.reconfigure(built.stage, settings)

    def forget(self, camera: str) -> None:
        """Drop every stage's state for `camera`."""
        for built in self._built:
            if built.stage is not None:
                built.stage.forget(camera)

    def health(self) -> Dict[str, Dict[str, HealthValue]]:
        """Return what each enabled stage reports of itself, by name, in running order."""
        return {built.stage.name: dict(built.stage.health())
                for built in self._built if built.stage is not None}

    def close(self) -> None:
        """Close the stages, last first."""
        while self._built:
            stage = self._built.pop().stage
            if stage is not None:
                stage.close()


def _settings_values(plugin: StagePlugin, values: Mapping[str, Any]) -> Dict[str, Any]:
    # Checked here, by outside name, so that a refusal names the setting as the user wrote it.
    return {described.attribute: check(described, values[described.name])
            for described in settings_of(plugin.settings, plugin.prefix)
            if described.name in values}
