# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Build a serialised TensorRT engine (a plan) from an ONNX model.

What trtexec does for our detectors, and no more: explicit-batch network, ONNX parse with
errors that name the node, one optimisation profile over the batch dimension (one image per
camera), FP16/INT8 where the platform has fast support, DLA, a persistent timing cache, and
progress while a Jetson spends minutes on tactic selection.  Every version difference comes
from `TensorRTApi`.
"""

import contextlib
from dataclasses import dataclass, field
import logging
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from trt_perception.core.backend import BackendError, PRECISIONS
from trt_perception.tensorrt.api import TensorRTApi
from trt_perception.tensorrt.files import exclusive_lock, write_atomic

LEGACY_WORKSPACE_MIB = 1024
"""Workspace ceiling when TensorRT < 8.4 (no memory-pool API) is given none: a limit for
tactic selection, not an allocation; large enough for YOLO-size detectors."""

HEARTBEAT_SECONDS = 30.0
"""How often a build without TensorRT's progress monitor reports that it is still running."""


@dataclass(frozen=True)
class BuildOptions:
    """How to build one engine; the defaults give an FP32 engine for batch 1."""

    precision: str = 'fp32'
    min_batch: int = 1
    opt_batch: int = 1
    max_batch: int = 1
    profiles: int = 1
    """Identical optimization profiles: one per execution context run at once (the runner's
    slots), as TensorRT lets each profile serve one context at a time (api.PROFILE_RULES)."""
    workspace_mib: Optional[int] = None
    """Workspace ceiling; None keeps TensorRT's default (the whole device from 8.4 on)."""
    dla_core: Optional[int] = None
    timing_cache: Optional[str] = None
    """File read before and written after the build; later builds reuse its timings."""
    target_compute_capabilities: Tuple[str, ...] = ()
    """TensorRT-RTX only: build for these GPUs ('8.6', '12.0') instead of the current one."""

    def __post_init__(self) -> None:
        """Reject values TensorRT would only refuse minutes into a build."""
        if self.precision not in PRECISIONS:
            raise ValueError('precision=%r is not one of %s'
                             % (self.precision, ', '.join(PRECISIONS)))
        if not 1 <= self.min_batch <= self.opt_batch <= self.max_batch:
            raise ValueError('batch sizes must satisfy 1 <= min (%d) <= opt (%d) <= max (%d)'
                             % (self.min_batch, self.opt_batch, self.max_batch))
        if isinstance(self.profiles, bool) or not isinstance(self.profiles, int) \
                or self.profiles < 1:
            raise ValueError('profiles=%r must be a positive integer (one per execution '
                             'context)' % (self.profiles,))
        if self.workspace_mib is not None and self.workspace_mib <= 0:
            raise ValueError('workspace_mib=%r must be a positive number of MiB'
                             % (self.workspace_mib,))
        if self.dla_core is not None and self.dla_core < 0:
            raise ValueError('dla_core=%r must be 0 or more' % (self.dla_core,))


@dataclass
class BuildResult:
    """A serialised engine and what was actually built."""

    plan: bytes
    precision: str
    """Precision the builder was allowed to use, after platform fallbacks."""
    input_name: str
    input_shape: Tuple[int, ...]
    output_names: List[str]
    notes: List[str] = field(default_factory=list)
    """Warnings about requested features that this platform could not honour."""
    seconds: float = 0.0

    def details(self) -> Dict[str, object]:
        """Facts for the engine cache metadata."""
        return {'built_precision': self.precision, 'input': self.input_name,
                'input_shape': list(self.input_shape), 'outputs': list(self.output_names),
                'notes': list(self.notes), 'build_seconds': round(self.seconds, 1)}


def describe_parser_error(error, with_names: bool) -> str:
    """One ONNX parser error as 'node 12 (Conv "conv1"): <description>'."""
    node = error.node()
    where = 'node %d' % node if node >= 0 else 'model'
    if with_names and node >= 0:
        where += ' (%s %r)' % (error.node_operator(), error.node_name())
    return '%s: %s [%s]' % (where, error.desc(), error.code())


class EngineBuilder:
    """Turns ONNX models into plans with one TensorRT module; reusable for many builds."""

    def __init__(self, api: TensorRTApi, log: Optional[logging.Logger] = None) -> None:
        """Use `api`'s module; raises `TensorRTUnavailable` when it cannot build."""
        api.require_builder()
        self._api = api
        self._trt = api.module
        self._log = log or logging.getLogger('trt_perception.tensorrt')
        self._logger = api.logger(self._log)
        if api.has_plugin_init:
            # EfficientNMS and friends live in the plugin library; register them before parsing.
            self._trt.init_libnvinfer_plugins(self._logger, '')

    def build(self, onnx_path: str, options: BuildOptions,
              make_calibrator: Optional[Callable[[Tuple[int, ...]], object]] = None
              ) -> BuildResult:
        """
        Parse `onnx_path` and build a plan; raises `BackendError` saying what to change.

        For int8, `make_calibrator(input_shape)` is called with the model's NCHW input shape at
        the opt batch and returns a TensorRT INT8 calibrator (see `calibrator.py`); its
        ``close()``, if any, is called after the build.
        """
        if not os.path.isfile(onnx_path):
            raise BackendError('ONNX model %r does not exist' % onnx_path)
        trt = self._trt
        started = time.monotonic()
        builder = trt.Builder(self._logger)
        network = builder.create_network(self._api.network_flags)
        parser = trt.OnnxParser(network, self._logger)
        self._log.info('TensorRT %s: parsing %s', self._api.label, onnx_path)
        with open(onnx_path, 'rb') as f:
            parsed = parser.parse(f.read(), onnx_path)
        if not parsed or parser.num_errors:
            errors = [describe_parser_error(parser.get_error(i),
                                            self._api.has_parser_node_names)
                      for i in range(parser.num_errors)]
            raise BackendError(
                'TensorRT %s cannot parse %s: %s; simplify or re-export the model (onnxsim, '
                'another opset) or provide a plugin for the unsupported operators'
                % (self._api.label, onnx_path, '; '.join(errors) or 'no details given'))
        image = network.get_input(0)
        input_shape = tuple(image.shape)
        if network.num_inputs != 1 or len(input_shape) != 4:
            found = [network.get_input(i) for i in range(network.num_inputs)]
            raise BackendError('%s must have one NCHW image input, found %s' % (
                onnx_path, ', '.join('%s%s' % (t.name, tuple(t.shape)) for t in found)))
        if any(d < 0 for d in input_shape[1:]):
            raise BackendError('input %s of %s has a dynamic channel or size %s; export the '
                               'model with a fixed input size' % (image.name, onnx_path,
                                                                  input_shape))
        config = builder.create_builder_config()
        notes: List[str] = []
        calibrator = None
        if options.precision == 'int8' and make_calibrator is not None:
            batch = input_shape[0] if input_shape[0] >= 0 else options.opt_batch
            calibrator = make_calibrator((batch,) + tuple(input_shape[1:]))
        try:
            precision = self._configure_precision(builder, config, options, calibrator, notes)
            plan = self._build(builder, network, config, onnx_path, image.name, input_shape,
                               options, precision, notes)
        finally:
            close = getattr(calibrator, 'close', None)
            if close is not None:
                close()
        seconds = time.monotonic() - started
        self._log.info('TensorRT %s: engine built in %.1f s (%d bytes)', self._api.label,
                       seconds, len(plan))
        outputs = [network.get_output(i).name for i in range(network.num_outputs)]
        return BuildResult(plan, precision, image.name, input_shape, outputs, notes, seconds)

    def _build(self, builder, network, config, onnx_path: str, input_name: str,
               input_shape: Tuple[int, ...], options: BuildOptions, precision: str,
               notes: List[str]) -> bytes:
        self._configure_memory(config, options)
        self._configure_profile(builder, config, input_name, input_shape, options, notes,
                                calibrate=precision == 'int8')
        self._configure_dla(builder, config, options)
        self._configure_targets(config, options)
        timing_cache = self._load_timing_cache(config, options, notes)
        self._log.info('TensorRT %s: building %s engine for %s (batch %d..%d, opt %d, %d '
                       'profile(s)); this takes minutes on a Jetson', self._api.label,
                       precision, onnx_path, options.min_batch, options.max_batch,
                       options.opt_batch, options.profiles)
        with self._progress(config):
            plan = builder.build_serialized_network(network, config)
        if plan is None:
            raise BackendError(
                'TensorRT %s failed to build an engine from %s (see the TensorRT errors '
                'logged above); try a larger --workspace, fp32, or a smaller max batch'
                % (self._api.label, onnx_path))
        if timing_cache is not None:
            self._save_timing_cache(config, timing_cache)
        return bytes(plan)

    def _configure_precision(self, builder, config, options: BuildOptions, calibrator,
                             notes: List[str]) -> str:
        trt, api = self._trt, self._api
        wanted = options.precision
        if wanted == 'fp32':
            return 'fp32'
        if api.is_rtx or not (api.has_fp16_flag or api.has_int8_flag):
            self._note(notes, '%s %s builds strongly typed networks: precision follows the '
                       "ONNX model's types, so %s was not applied (export the model in that "
                       'precision, or quantise it with Q/DQ nodes)'
                       % (api.flavour, api.version, wanted))
            return 'as-model'
        fast_fp16 = api.has_fp16_flag and (not api.has_fast_fp16_query
                                           or builder.platform_has_fast_fp16)
        if wanted == 'int8':
            fast_int8 = not api.has_fast_fp16_query or builder.platform_has_fast_int8
            if not api.has_int8_flag or not fast_int8:
                self._note(notes, 'this GPU/TensorRT has no fast INT8; building %s instead'
                           % ('fp16' if fast_fp16 else 'fp32'))
                wanted = 'fp16'
            elif calibrator is None:
                raise BackendError(
                    'int8 needs calibration: build with `build_engine --int8 --calib-images '
                    'DIR --calib-cache FILE` (a few hundred representative frames)')
            else:
                config.set_flag(trt.BuilderFlag.INT8)
                config.int8_calibrator = calibrator
                # Layers without an INT8 kernel fall back to FP16 rather than FP32.
                if fast_fp16:
                    config.set_flag(trt.BuilderFlag.FP16)
                return 'int8'
        if not fast_fp16:
            self._note(notes, 'this GPU has no fast FP16 (platform_has_fast_fp16 is False); '
                       'building fp32')
            return 'fp32'
        config.set_flag(trt.BuilderFlag.FP16)
        return 'fp16'

    def _configure_memory(self, config, options: BuildOptions) -> None:
        api = self._api
        if api.has_memory_pool:
            if options.workspace_mib is not None:
                config.set_memory_pool_limit(self._trt.MemoryPoolType.WORKSPACE,
                                             options.workspace_mib << 20)
        elif api.has_max_workspace_size:
            config.max_workspace_size = (options.workspace_mib or LEGACY_WORKSPACE_MIB) << 20

    def _configure_profile(self, builder, config, name: str, shape: Tuple[int, ...],
                           options: BuildOptions, notes: List[str], calibrate: bool) -> None:
        if shape[0] >= 0:
            if (options.min_batch, options.max_batch) != (shape[0], shape[0]):
                self._note(notes, "the model's batch is fixed at %d, so batch %d..%d was not "
                           'applied; export with a dynamic batch axis for several cameras'
                           % (shape[0], options.min_batch, options.max_batch))
            return
        rest = tuple(shape[1:])
        for index in range(options.profiles):
            profile = builder.create_optimization_profile()
            profile.set_shape(name, (options.min_batch,) + rest, (options.opt_batch,) + rest,
                              (options.max_batch,) + rest)
            config.add_optimization_profile(profile)
            if index == 0 and calibrate and self._api.has_calibration_profile:
                config.set_calibration_profile(profile)

    def _configure_dla(self, builder, config, options: BuildOptions) -> None:
        if options.dla_core is None:
            return
        trt = self._trt
        available = getattr(builder, 'num_DLA_cores', 0) if self._api.has_dla else 0
        if options.dla_core >= available:
            raise BackendError('DLA core %d requested but this device has %d DLA cores (Xavier '
                               'and AGX Orin have 2, Orin NX 1 or 2; TX2, Nano and Orin Nano '
                               'none); drop --dla-core'
                               % (options.dla_core, available))
        config.default_device_type = trt.DeviceType.DLA
        config.DLA_core = options.dla_core
        if self._api.has_gpu_fallback_flag:
            config.set_flag(trt.BuilderFlag.GPU_FALLBACK)

    def _configure_targets(self, config, options: BuildOptions) -> None:
        if not options.target_compute_capabilities:
            return
        if not self._api.has_compute_capability_targets:
            raise BackendError('%s %s builds for the GPU it runs on only; drop '
                               '--target-sm (TensorRT-RTX supports it)'
                               % (self._api.flavour, self._api.version))
        targets = self._trt.ComputeCapability
        config.num_compute_capabilities = len(options.target_compute_capabilities)
        for index, cc in enumerate(options.target_compute_capabilities):
            name = 'SM' + cc.replace('.', '')
            if not hasattr(targets, name):
                raise BackendError('compute capability %s is not a %s target; choose from %s'
                                   % (cc, self._api.flavour, ', '.join(
                                       n for n in dir(targets) if n.startswith('SM'))))
            config.set_compute_capability(getattr(targets, name), index)

    def _load_timing_cache(self, config, options: BuildOptions,
                           notes: List[str]) -> Optional[str]:
        path = options.timing_cache
        if path is None:
            return None
        if not self._api.has_timing_cache:
            self._note(notes, '%s has no timing cache; %s is not used'
                       % (self._api.flavour, path))
            return None
        data = b''
        if os.path.isfile(path):
            with open(path, 'rb') as f:
                data = f.read()
            self._log.info('TensorRT: reusing timing cache %s (%d bytes)', path, len(data))
        cache = config.create_timing_cache(data)
        config.set_timing_cache(cache, False)
        return path

    def _save_timing_cache(self, config, path: str) -> None:
        """
        Merge this build's tactic timings into `path` under its lock.

        Builds running side by side (two nodes, two models) each add their timings instead of
        the last writer replacing the others'.  A file from another TensorRT version or GPU
        does not combine and is replaced.  Failing to write only costs later builds time.
        """
        ours = config.get_timing_cache()
        try:
            with exclusive_lock(path + '.lock'):
                merged = ours
                if os.path.isfile(path):
                    with open(path, 'rb') as f:
                        stored = config.create_timing_cache(f.read())
                    if stored.combine(ours, False):
                        merged = stored
                write_atomic(path, bytes(merged.serialize()))
        except OSError as exc:
            self._log.warning('TensorRT: timing cache %s not saved (%s); later builds will '
                              'time their tactics again', path, exc)

    def _progress(self, config):
        if self._api.has_progress_monitor:
            config.progress_monitor = _progress_monitor_class(self._trt)(self._log)
            return contextlib.ExitStack()  # nothing to enter: TensorRT reports progress itself
        return _Heartbeat(self._log, HEARTBEAT_SECONDS)

    def _note(self, notes: List[str], message: str) -> None:
        self._log.warning('TensorRT: %s', message)
        notes.append(message)


def _progress_monitor_class(trt: Any) -> type:
    class LoggingProgressMonitor(trt.IProgressMonitor):
        """Logs TensorRT's build phases with their nesting and duration."""

        def __init__(self, log: logging.Logger) -> None:
            trt.IProgressMonitor.__init__(self)
            self._log = log
            self._started: Dict[str, Tuple[float, int]] = {}

        def phase_start(self, phase_name, parent_phase, num_steps) -> None:
            depth = self._started[parent_phase][1] + 1 if parent_phase in self._started else 0
            self._started[phase_name] = (time.monotonic(), depth)
            self._log.info('TensorRT build: %s%s (%d steps)', '  ' * depth, phase_name,
                           num_steps)

        def step_complete(self, phase_name, step) -> bool:
            return True

        def phase_finish(self, phase_name) -> None:
            began, depth = self._started.pop(phase_name, (time.monotonic(), 0))
            self._log.info('TensorRT build: %s%s done in %.1f s', '  ' * depth, phase_name,
                           time.monotonic() - began)

    return LoggingProgressMonitor


class _Heartbeat:
    """Logs 'still building' every few seconds while TensorRT gives no progress of its own."""

    def __init__(self, log: logging.Logger, period: float) -> None:
        self._log = log
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='trt-build-heartbeat',
                                        daemon=True)
        self._started = 0.0

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self._log.info('TensorRT build: still running after %.0f s',
                           time.monotonic() - self._started)

    def __enter__(self) -> None:
        self._started = time.monotonic()
        self._thread.start()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
