# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The one place where TensorRT versions and flavours differ.

Three Python modules carry TensorRT's API: ``tensorrt`` (the full library: builder, ONNX
parser, runtime; JetPack ships 8.2 on TX2, 8.5/10.x on Orin), ``tensorrt_rtx`` (TensorRT for
RTX: a builder that also runs on a CPU-only machine, strongly typed networks only) and
``tensorrt_lean`` (the lean runtime: deserialise and execute only).  Within them the engine
I/O API changed: up to 8.4 tensors are *bindings* addressed by index (``execute_async_v2``),
from 8.5 on they are named I/O tensors (``execute_async_v3``).

`TensorRTApi` probes a module once and records every decision as a plain attribute, so the
builder and the runner never test versions themselves.  The ``*_SURFACE`` tables below are
the attributes each path uses; `TensorRTApi.from_module` checks them, and the contract tests
check them against the real wheels, so code and tables cannot drift apart silently.
"""

import importlib
import logging
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

FLAVOURS = ('tensorrt', 'tensorrt_rtx', 'tensorrt_lean')
"""Module names tried, in this order, when no module is named."""

MODULE_ENV = 'TRT_PERCEPTION_TENSORRT_MODULE'
"""Environment variable naming one of `FLAVOURS` to use instead of the first importable."""

Surface = Dict[str, Tuple[str, ...]]

# The severities are read from Logger: TensorRT 8.0 (JetPack 4.6) defines the enum there only;
# from 8.2 on it lives in ILogger and Logger inherits it.
RUNTIME_SURFACE: Surface = {
    '': ('__version__', 'Runtime', 'ILogger', 'Logger', 'DataType', 'nptype'),
    'Runtime': ('deserialize_cuda_engine',),
    'ILogger': ('log',),
    'Logger.Severity': ('VERBOSE', 'INFO', 'WARNING', 'ERROR', 'INTERNAL_ERROR'),
    'ICudaEngine': ('create_execution_context', 'num_optimization_profiles'),
    'IExecutionContext': ('set_optimization_profile_async',),
}
"""What every runner path uses, whatever the version (see `PROFILE_RULES` for the last two)."""

PROFILE_RULES: Dict[str, str] = {
    'one context per profile':
        'On an engine with dynamic input shapes each execution context in concurrent use must '
        'use a separate optimization profile (IExecutionContext class documentation in '
        'NvInferRuntime.h of NVIDIA/TensorRT at tags 8.0.1, 8.2.1, 8.5.2, branch release/8.6 '
        'and main (10.x)); the runtime says "Profile 0 has been chosen by another '
        'IExecutionContext" (NVIDIA/TensorRT #846 and #1341 on 8.0.1, #2516 on 8.2.1.8; #1590: '
        '"each profile can only assign to single context"). So an engine for N slots is '
        'built with N identical profiles (`BuildOptions.profiles`) and slot k selects profile k.',
    'which profile a new context has':
        '8.0 .. 8.5: the first context created for an engine implicitly selects profile 0, '
        'later ones must select a unique profile before setting shapes (setOptimizationProfile'
        'Async, NvInferRuntime.h 8.0.1 and 8.5.2); 10.x: every new context is assigned profile '
        '0 (same method, main).  Either way slot k calls set_optimization_profile_async(k).',
    'how a context selects its profile':
        'IExecutionContext.set_optimization_profile_async(profile_index, stream_handle) exists '
        'from 8.0.1 on (python/src/infer/pyCore.cpp at tags 8.0.1, 8.2.1, 8.5.2, release/8.6, '
        'main) and raises RuntimeError("Error in set optimization profile async.") where the '
        'C++ call returns false.  The setter of active_optimization_profile is deprecated from '
        '8.0.1 and gone in 10.x (a read-only property there; checked against tensorrt_lean '
        '10.16), so it is not used.  Profile switches may copy on the stream given, which must '
        'therefore be the stream the context enqueues on.',
    'selection before shapes':
        'set_optimization_profile_async must be called before set_binding_shape / '
        'set_input_shape, which must be called before enqueue (NvInferRuntime.h, all tags '
        'above); a fixed-shape engine needs no selection and its contexts all use profile 0.',
    'binding indices per profile':
        'With the bindings API (8.0 .. 8.4) an engine with K profiles has K * n bindings: '
        'profile k uses indices k*n .. k*n+n-1, names suffixed " [profile k]" for k > 0 '
        '(ICudaEngine::getBindingIndex and getBindingName, NvInferRuntime.h 8.2.1); the '
        'bindings array handed to execute_async_v2 has all K * n entries.',
}
"""TensorRT's rules for execution contexts and optimization profiles, each with its source."""

NAMED_TENSOR_SURFACE: Surface = {
    '': ('TensorIOMode',),
    'TensorIOMode': ('INPUT', 'OUTPUT'),
    'ICudaEngine': ('num_io_tensors', 'get_tensor_name', 'get_tensor_mode', 'get_tensor_shape',
                    'get_tensor_dtype', 'get_tensor_profile_shape'),
    'IExecutionContext': ('set_input_shape', 'set_tensor_address', 'get_tensor_shape',
                          'execute_async_v3'),
}
"""The I/O API of TensorRT >= 8.5 (the only one in 10.x and TensorRT-RTX)."""

BINDINGS_SURFACE: Surface = {
    'ICudaEngine': ('num_bindings', 'get_binding_name', 'binding_is_input',
                    'get_binding_shape', 'get_binding_dtype', 'get_profile_shape'),
    'IExecutionContext': ('set_binding_shape', 'get_binding_shape', 'execute_async_v2'),
}
"""The I/O API of TensorRT 8.0 .. 8.4 (8.2 on JetPack 4.6)."""

BUILDER_SURFACE: Surface = {
    '': ('Builder', 'OnnxParser', 'NetworkDefinitionCreationFlag'),
    'Builder': ('create_network', 'create_builder_config', 'create_optimization_profile',
                'build_serialized_network'),
    'IBuilderConfig': ('add_optimization_profile', 'set_flag'),
    'IOptimizationProfile': ('set_shape',),
    'OnnxParser': ('parse', 'num_errors', 'get_error'),
    'ParserError': ('code', 'desc', 'node'),
    'INetworkDefinition': ('num_inputs', 'num_outputs', 'get_input', 'get_output'),
    'ITensor': ('name', 'shape', 'dtype'),
}
"""What `EngineBuilder` needs in every version; the rest are optional features below."""

_OPTIONAL_BUILDER_FEATURES: Dict[str, Tuple[str, str]] = {
    'has_fp16_flag': ('BuilderFlag', 'FP16'),
    'has_int8_flag': ('BuilderFlag', 'INT8'),
    'has_gpu_fallback_flag': ('BuilderFlag', 'GPU_FALLBACK'),
    'has_memory_pool': ('IBuilderConfig', 'set_memory_pool_limit'),
    'has_max_workspace_size': ('IBuilderConfig', 'max_workspace_size'),
    'has_progress_monitor': ('IBuilderConfig', 'progress_monitor'),
    'has_compute_capability_targets': ('IBuilderConfig', 'set_compute_capability'),
    'has_calibration_profile': ('IBuilderConfig', 'set_calibration_profile'),
    'has_fast_fp16_query': ('Builder', 'platform_has_fast_fp16'),
    'has_dla': ('IBuilderConfig', 'DLA_core'),
    'has_plugin_init': ('', 'init_libnvinfer_plugins'),
    'has_entropy_calibrator': ('', 'IInt8EntropyCalibrator2'),
    'has_parser_node_names': ('ParserError', 'node_name'),
}
"""Builder features present in some versions only: attribute name -> (class, member)."""


class TensorRTUnavailable(ImportError):
    """No usable TensorRT Python module; the message says what to install."""


def _lookup(module, path: str):
    obj = module
    for part in filter(None, path.split('.')):
        obj = getattr(obj, part)
    return obj


def missing_members(module, surface: Surface) -> List[str]:
    """Dotted names from `surface` that `module` lacks (empty when all are present)."""
    missing = []
    for owner, members in surface.items():
        try:
            obj = _lookup(module, owner)
        except AttributeError:
            missing.append(owner)
            continue
        missing.extend('%s.%s' % (owner, m) if owner else m
                       for m in members if not hasattr(obj, m))
    return list(dict.fromkeys(missing))


def _version_tuple(version: str) -> Tuple[int, ...]:
    parts = []
    for piece in version.split('.'):
        digits = ''.join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _install_hint() -> str:
    return ("on Jetson install JetPack's TensorRT Python bindings (apt install "
            'python3-libnvinfer); on x86 pip install tensorrt-cu12 or tensorrt-cu13 (the full '
            'builder and runtime)')


class TensorRTApi:
    """
    One TensorRT Python module and the API decisions made for it, once.

    Build it with `load()` (the installed TensorRT) or `from_module()` (any module object,
    which is also how tests hand in a double of the runtime).
    """

    # Set in __init__ from _OPTIONAL_BUILDER_FEATURES, one per entry (a test keeps them equal).
    has_fp16_flag: bool
    has_int8_flag: bool
    has_gpu_fallback_flag: bool
    has_memory_pool: bool
    has_max_workspace_size: bool
    has_progress_monitor: bool
    has_compute_capability_targets: bool
    has_calibration_profile: bool
    has_fast_fp16_query: bool
    has_dla: bool
    has_plugin_init: bool
    has_entropy_calibrator: bool
    has_parser_node_names: bool

    def __init__(self, module: Any, flavour: str) -> None:
        """Probe `module` (published as `flavour`); raises `TensorRTUnavailable`."""
        self.module: Any = module
        self.flavour = flavour
        self.version = str(module.__version__)
        self.version_tuple = _version_tuple(self.version)
        missing = missing_members(module, RUNTIME_SURFACE)
        if missing:
            raise TensorRTUnavailable(
                '%s %s lacks %s, which the runner needs; reinstall TensorRT (%s)'
                % (flavour, self.version, ', '.join(missing), _install_hint()))
        if not missing_members(module, NAMED_TENSOR_SURFACE):
            self.io_api = 'named'
        elif not missing_members(module, BINDINGS_SURFACE):
            self.io_api = 'bindings'
        else:
            raise TensorRTUnavailable(
                '%s %s has neither the named-tensor I/O API (missing %s) nor the bindings API '
                '(missing %s); use TensorRT 8.2 or newer'
                % (flavour, self.version,
                   ', '.join(missing_members(module, NAMED_TENSOR_SURFACE)),
                   ', '.join(missing_members(module, BINDINGS_SURFACE))))
        self.builder_missing = missing_members(module, BUILDER_SURFACE)
        self.can_build = not self.builder_missing
        for feature, (owner, member) in _OPTIONAL_BUILDER_FEATURES.items():
            try:
                present = hasattr(_lookup(module, owner), member)
            except AttributeError:
                present = False
            setattr(self, feature, present)
        # TensorRT-RTX keeps the timing-cache calls but documents them as no-ops, and its
        # networks are always strongly typed; everywhere else both behave as in TensorRT.
        self.is_rtx = flavour == 'tensorrt_rtx'
        self.has_timing_cache = (not self.is_rtx and hasattr(
            getattr(module, 'IBuilderConfig', None), 'create_timing_cache'))
        flags = getattr(module, 'NetworkDefinitionCreationFlag', None)
        # EXPLICIT_BATCH is required before 10.0, deprecated and ignored from 10.0 on.
        self.network_flags = 0
        if flags is not None and hasattr(flags, 'EXPLICIT_BATCH') \
                and self.version_tuple[:1] < (10,):
            self.network_flags = 1 << int(flags.EXPLICIT_BATCH)
        self._logger_class: Optional[type] = None

    @classmethod
    def from_module(cls, module, flavour: Optional[str] = None) -> 'TensorRTApi':
        """Wrap an already imported module; `flavour` defaults to its ``__name__``."""
        return cls(module, flavour or str(getattr(module, '__name__', 'tensorrt')))

    @classmethod
    def load(cls, flavours: Optional[Sequence[str]] = None) -> 'TensorRTApi':
        """Import the first usable TensorRT module, or raise `TensorRTUnavailable`."""
        if flavours is None:
            chosen = os.environ.get(MODULE_ENV, '')
            if chosen and chosen not in FLAVOURS:
                raise TensorRTUnavailable('%s=%r is not one of %s'
                                          % (MODULE_ENV, chosen, ', '.join(FLAVOURS)))
            flavours = (chosen,) if chosen else FLAVOURS
        failures = []
        for name in flavours:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:  # the module exists but one of its own imports is missing
                    failures.append('%s (%s)' % (name, exc))
                continue
            except Exception as exc:  # a stub or broken wheel raises anything on import
                failures.append('%s (%s)' % (name, str(exc).splitlines()[0] if str(exc)
                                             else type(exc).__name__))
                continue
            return cls(module, name)
        raise TensorRTUnavailable(
            'no usable TensorRT Python module (looked for %s%s); %s'
            % (', '.join(flavours), ''.join('; ' + f for f in failures), _install_hint()))

    @property
    def label(self) -> str:
        """Version text used in logs and engine names: '10.3.0' or 'rtx1.7.1'."""
        return ('rtx' + self.version) if self.is_rtx else self.version

    def describe(self) -> str:
        """One line: module, version and I/O API."""
        return '%s %s (%s I/O API%s)' % (self.flavour, self.version, self.io_api,
                                         '' if self.can_build else ', runtime only')

    def require_builder(self) -> None:
        """Raise `TensorRTUnavailable` unless this module can build engines from ONNX."""
        if not self.can_build:
            raise TensorRTUnavailable(
                '%s %s cannot build engines (it lacks %s): install the full TensorRT (%s), or '
                'build the engine elsewhere with `build_engine --onnx MODEL.onnx --engine '
                'MODEL.plan` for this GPU and TensorRT version'
                % (self.flavour, self.version, ', '.join(self.builder_missing),
                   _install_hint()))

    def logger(self, log: logging.Logger):
        """Return a TensorRT ILogger that forwards to `log` at the matching level."""
        if self._logger_class is None:
            self._logger_class = _logger_class(self.module)
        return self._logger_class(log)

    def nptype(self, trt_dtype):
        """Return the numpy type for a TensorRT DataType."""
        return self.module.nptype(trt_dtype)


def _logger_class(trt: Any) -> type:
    severity = trt.Logger.Severity
    levels = {
        severity.VERBOSE: logging.DEBUG,
        severity.INFO: logging.DEBUG,
        severity.WARNING: logging.WARNING,
        severity.ERROR: logging.ERROR,
        severity.INTERNAL_ERROR: logging.CRITICAL,
    }

    class ForwardingLogger(trt.ILogger):
        """TensorRT's messages, as Python logging records of `log`."""

        def __init__(self, log: logging.Logger) -> None:
            trt.ILogger.__init__(self)
            self._log = log

        def log(self, level, message) -> None:  # noqa: A003 - TensorRT's method name
            self._log.log(levels.get(level, logging.INFO), 'TensorRT: %s', message)

    return ForwardingLogger
