# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Serialised engines on disk, keyed by everything that makes a plan valid.

A TensorRT plan only runs on the TensorRT version and the GPU it was built for, so each cache
entry is a ``.plan`` and a ``.json`` metadata file named after its `EngineKey`.  The metadata
is written last and carries the plan's sha256: a plan without matching metadata (a crash
mid-write, a copy from another machine, a truncated file) is never handed to TensorRT.
"""

import contextlib
from dataclasses import asdict, dataclass, fields, MISSING
import glob
import hashlib
import json
import logging
import os
import re
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from trt_perception.core.backend import BackendError
from trt_perception.core.model_metadata import split_engine_header
from trt_perception.core.models import file_sha256, is_engine_path
from trt_perception.tensorrt.api import TensorRTApi, TensorRTUnavailable
from trt_perception.tensorrt.builder import BuildOptions, EngineBuilder
from trt_perception.tensorrt.files import exclusive_lock, write_atomic

METADATA_FORMAT = 1
CACHE_DIR_ENV = 'TRT_PERCEPTION_ENGINE_CACHE'
"""Environment variable overriding the default engine cache directory."""


def default_cache_dir(checkout_engines: Optional[str] = None) -> str:
    """
    Where engines go when no folder is configured.

    ``$TRT_PERCEPTION_ENGINE_CACHE``; else the ``engines/`` folder of the source checkout this
    package runs from (a development tree, or a colcon ``--symlink-install`` of one) when it is
    writable; else ``~/.cache/trt_perception/engines`` (an installed package has no checkout).
    """
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return configured
    if checkout_engines is None:
        package_dir = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
        checkout_engines = os.path.join(os.path.dirname(package_dir), 'engines')
    if (os.path.isfile(os.path.join(checkout_engines, 'README.md'))
            and os.access(checkout_engines, os.W_OK)):
        return checkout_engines
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'trt_perception', 'engines')


def slug(text: str) -> str:
    """Lower-case letters, digits and single dashes: 'NVIDIA Tegra X2' -> 'nvidia-tegra-x2'."""
    return re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-') or 'unknown'


@dataclass(frozen=True)
class EngineKey:
    """Everything a plan depends on; two keys are interchangeable only when equal."""

    model_stem: str
    model_sha256: str
    trt_version: str
    """`TensorRTApi.label`: the version, prefixed 'rtx' for TensorRT-RTX."""
    gpu_name: str
    compute_capability: str
    """'8.7' for Orin; for a CPU-only TensorRT-RTX build, the targeted ones joined by '+'."""
    precision: str
    min_batch: int
    opt_batch: int
    max_batch: int
    profiles: int = 1
    """Optimization profiles, one per execution context (slot) of the runner."""

    def file_stem(self) -> str:
        """
        '<model>-<sha12>-trt<version>-<gpu>-sm<cc>-<precision>-b<max>' (plus min/opt, -p<N>).

        The min and opt batch only appear when they differ from the defaults (1 and max), and
        the profile count when above 1, so the common names stay short while different
        profiles never share a file.
        """
        profile = 'b%d' % self.max_batch
        if (self.min_batch, self.opt_batch) != (1, self.max_batch):
            profile = 'b%d-%d-%d' % (self.min_batch, self.opt_batch, self.max_batch)
        if self.profiles != 1:
            profile += '-p%d' % self.profiles
        sm = self.compute_capability.replace('.', '')
        return '%s-%s-trt%s-%s-sm%s-%s-%s' % (
            slug(self.model_stem), self.model_sha256[:12], self.trt_version,
            slug(self.gpu_name), sm, self.precision, profile)

    def as_dict(self) -> Dict[str, object]:
        """Plain fields for the metadata file."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> 'EngineKey':
        """Rebuild a key from metadata; raises KeyError/TypeError/ValueError when malformed."""
        values: Dict[str, Any] = {}
        for f in fields(cls):
            # Metadata written before a field was added holds its default (profiles: 1).
            value = data[f.name] if f.default is MISSING else data.get(f.name, f.default)
            values[f.name] = int(value) if f.type in ('int', int) else str(value)
        return cls(**values)

    def mismatches(self, other: 'EngineKey') -> List[str]:
        """Human-readable differences, 'TensorRT version 8.2.1 != 10.3.0', this key first."""
        labels = {
            'model_sha256': 'model sha256', 'trt_version': 'TensorRT version',
            'gpu_name': 'GPU', 'compute_capability': 'compute capability',
            'precision': 'precision', 'min_batch': 'min batch', 'opt_batch': 'opt batch',
            'max_batch': 'max batch', 'model_stem': 'model name',
            'profiles': 'optimization profiles',
        }
        return ['%s %s (built) vs %s (here)' % (labels[f.name], getattr(other, f.name),
                                                getattr(self, f.name))
                for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


@dataclass(frozen=True)
class CacheEntry:
    """A verified plan and its metadata."""

    plan_path: str
    """'' for a plan that was built but could not be stored."""
    plan: bytes
    metadata: Dict[str, object]


@dataclass(frozen=True)
class Lookup:
    """What `EngineCache.lookup` found: an entry, or why there is none."""

    entry: Optional[CacheEntry]
    reason: str


class EngineCache:
    """A directory of plans and metadata; see the module docstring for the rules."""

    def __init__(self, directory: Optional[str] = None,
                 log: Optional[logging.Logger] = None) -> None:
        """Use `directory` (default: `default_cache_dir()`); created on the first store."""
        self.directory = os.path.abspath(directory or default_cache_dir())
        self._log = log or logging.getLogger('trt_perception.tensorrt')

    def paths(self, key: EngineKey) -> Tuple[str, str]:
        """(plan path, metadata path) for `key`."""
        stem = os.path.join(self.directory, key.file_stem())
        return stem + '.plan', stem + '.json'

    def lookup(self, key: EngineKey) -> Lookup:
        """Return the verified entry for `key`, or None with the reason it cannot be used."""
        plan_path, meta_path = self.paths(key)
        if not os.path.exists(plan_path):
            return Lookup(None, 'no cached engine %s%s' % (plan_path, self._neighbours(key)))
        try:
            with open(meta_path, 'r') as f:
                metadata = json.load(f)
            stored = EngineKey.from_dict(metadata['key'])
            expected_sha = str(metadata['plan_sha256'])
            expected_size = int(metadata['plan_size'])
        except FileNotFoundError:
            return Lookup(None, 'cached engine %s has no metadata %s (interrupted write?)'
                          % (plan_path, meta_path))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return Lookup(None, 'metadata %s is unreadable (%s: %s)'
                          % (meta_path, type(exc).__name__, exc))
        if metadata.get('format') != METADATA_FORMAT:
            return Lookup(None, 'metadata %s has format %r, this version writes %d'
                          % (meta_path, metadata.get('format'), METADATA_FORMAT))
        if stored != key:
            return Lookup(None, 'cached engine %s does not match: %s'
                          % (plan_path, '; '.join(key.mismatches(stored))))
        with open(plan_path, 'rb') as f:
            plan = f.read()
        if len(plan) != expected_size or hashlib.sha256(plan).hexdigest() != expected_sha:
            return Lookup(None, 'cached engine %s is corrupt (%d bytes, metadata says %d with '
                          'another sha256)' % (plan_path, len(plan), expected_size))
        return Lookup(CacheEntry(plan_path, plan, metadata), 'cached engine %s' % plan_path)

    def _neighbours(self, key: EngineKey) -> str:
        """Why the entries for the same model, if any, do not fit `key`."""
        reasons = []
        pattern = os.path.join(self.directory, slug(key.model_stem) + '-*.json')
        for meta_path in sorted(glob.glob(pattern)):
            try:
                with open(meta_path, 'r') as f:
                    other = EngineKey.from_dict(json.load(f)['key'])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if other.model_stem == key.model_stem:
                reasons.append('%s: %s' % (os.path.basename(meta_path),
                                           '; '.join(key.mismatches(other))))
        return ('; other entries for this model do not fit: ' + ' | '.join(reasons)
                if reasons else '')

    def store(self, key: EngineKey, plan: bytes,
              details: Optional[Dict[str, object]] = None) -> CacheEntry:
        """Write `plan` and then its metadata atomically; returns the new entry."""
        os.makedirs(self.directory, exist_ok=True)
        plan_path, meta_path = self.paths(key)
        # Old metadata goes first: until the new metadata lands, the entry reads as a miss.
        if os.path.exists(meta_path):
            os.unlink(meta_path)
        plan = bytes(plan)
        write_atomic(plan_path, plan)
        metadata: Dict[str, object] = {
            'format': METADATA_FORMAT,
            'key': key.as_dict(),
            'plan_sha256': hashlib.sha256(plan).hexdigest(),
            'plan_size': len(plan),
            'created': time.strftime('%Y-%m-%dT%H:%M:%S%z'),
        }
        metadata.update(details or {})
        write_atomic(meta_path, json.dumps(metadata, indent=2, sort_keys=True).encode())
        return CacheEntry(plan_path, plan, metadata)

    def load_or_build(self, key: EngineKey, onnx_path: str,
                      build: Callable[[], Tuple[bytes, Dict[str, object]]]) -> CacheEntry:
        """
        Return the cached entry for `key`, else build from `onnx_path` and store it.

        `build` returns (plan, metadata details).  Builds of one key are serialised across
        processes by a lock file beside the plan: a second node started meanwhile waits and
        then loads what the first built.  A cache directory that cannot be written is said
        once, and the plan is built and served without being stored.  Raises `BackendError`
        when there is neither a usable entry nor an ONNX model to build one from.
        """
        found = self.lookup(key)
        if found.entry is not None:
            self._log.info('TensorRT: using %s', found.reason)
            return found.entry
        if not os.path.isfile(onnx_path):
            raise BackendError(
                'cannot load or build a TensorRT engine: %s, and the ONNX model %r to build '
                'one from does not exist; pass an existing .onnx model or a prebuilt engine '
                'for this GPU and TensorRT version' % (found.reason, onnx_path))
        with contextlib.ExitStack() as held:
            try:
                os.makedirs(self.directory, exist_ok=True)
                held.enter_context(exclusive_lock(self.paths(key)[0] + '.lock'))
            except OSError as exc:
                self._log.warning('TensorRT: engine cache %s is not writable (%s); building '
                                  '%s without caching it, so the next start builds again: '
                                  'set engine_cache_dir to a writable folder',
                                  self.directory, exc, onnx_path)
                plan, details = self._build(onnx_path, found.reason, build)
                return CacheEntry('', plan, dict(details))
            # Another process may have built it while this one waited for the lock.
            again = self.lookup(key)
            if again.entry is not None:
                self._log.info('TensorRT: using %s, built by another process meanwhile',
                               again.reason)
                return again.entry
            plan, details = self._build(onnx_path, found.reason, build)
            try:
                entry = self.store(key, plan, details)
            except OSError as exc:
                self._log.warning('TensorRT: could not store the engine in %s (%s); serving '
                                  'it uncached, so the next start builds again',
                                  self.directory, exc)
                return CacheEntry('', plan, dict(details))
        self._log.info('TensorRT: cached engine written to %s', entry.plan_path)
        return entry

    def _build(self, onnx_path: str, reason: str,
               build: Callable[[], Tuple[bytes, Dict[str, object]]]
               ) -> Tuple[bytes, Dict[str, object]]:
        self._log.warning('TensorRT: building an engine from %s because %s; this takes '
                          'minutes on a Jetson', onnx_path, reason)
        return build()


@dataclass(frozen=True)
class ResolvedEngine:
    """A plan ready to deserialise, the file it came from and the precision it was built at."""

    plan: bytes
    source: str
    precision: str


def resolve_engine(model_path: str, api: TensorRTApi, gpu_name: str, compute_capability: str,
                   precision: str = 'fp16', max_batch: int = 1, slots: int = 1,
                   cache_dir: Optional[str] = None,
                   log: Optional[logging.Logger] = None) -> ResolvedEngine:
    """
    Get the plan for `model_path`, building it (once, across processes) when missing.

    A prebuilt engine file is read as it is (less an Ultralytics export's metadata block); an
    ONNX model's plan is the `EngineCache` entry in `cache_dir`, keyed by the model's sha256,
    the TensorRT version, the GPU (`gpu_name`, `compute_capability` such as '8.7'),
    `precision`, the batch profile 1..`max_batch` and `slots`, the number of identical
    profiles (one per execution context run at once).
    Builds share one timing cache per TensorRT version and GPU in the cache directory.
    """
    log = log or logging.getLogger('trt_perception.tensorrt')
    if is_engine_path(model_path):
        if not os.path.isfile(model_path):
            raise BackendError('TensorRT engine %r does not exist; build one with '
                               '`build_engine --onnx MODEL.onnx --engine %s`'
                               % (model_path, model_path))
        with open(model_path, 'rb') as f:
            # Ultralytics puts its metadata in front of the plan (core.model_metadata).
            return ResolvedEngine(split_engine_header(f.read())[1], model_path, 'as built')
    if not os.path.isfile(model_path):
        raise BackendError('cannot load or build a TensorRT engine: ONNX model %r does not '
                           'exist (its sha256 keys the engine cache); pass an existing .onnx '
                           'model or a prebuilt .engine/.plan' % model_path)
    key = EngineKey(
        model_stem=os.path.splitext(os.path.basename(model_path))[0],
        model_sha256=file_sha256(model_path), trt_version=api.label, gpu_name=gpu_name,
        compute_capability=compute_capability, precision=precision,
        min_batch=1, opt_batch=max_batch, max_batch=max_batch, profiles=slots)
    cache = EngineCache(cache_dir, log)
    timing_cache = os.path.join(cache.directory, 'timing-trt%s-%s-sm%s.cache' % (
        api.label, slug(gpu_name), compute_capability.replace('.', '')))

    def build() -> Tuple[bytes, Dict[str, object]]:
        try:
            builder = EngineBuilder(api, log)
        except TensorRTUnavailable as exc:
            raise BackendError(str(exc)) from exc
        result = builder.build(model_path, BuildOptions(
            precision=precision, min_batch=1, opt_batch=max_batch, max_batch=max_batch,
            profiles=slots, timing_cache=timing_cache))
        return result.plan, result.details()

    entry = cache.load_or_build(key, model_path, build)
    return ResolvedEngine(entry.plan, entry.plan_path or model_path,
                          str(entry.metadata.get('built_precision', precision)))
