# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Every pycuda name the package uses exists in pycuda 2022.1, the last release for Python 3.6.

A TX2 on JetPack 4.6 (Python 3.6) cannot install a newer pycuda, and pycuda does not install
on the CPU-only machines these tests run on, so the names are kept here as facts read from
pycuda's source at tag v2022.1 (github.com/inducer/pycuda: src/wrapper/wrap_cudadrv.cpp for
the driver module's classes, functions and enums; pycuda/driver.py for CompileError,
pagelocked_empty and Function.prepare/prepared_async_call; pycuda/compiler.py for compile's
arguments).  The package's own use of ``cuda.*`` is read from its source, so a new call fails
here until its 2022.1 status is recorded.
"""

import ast
import glob
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PYCUDA_2022_1_DRIVER = {
    '': ('init', 'Device', 'Context', 'Stream', 'Event', 'DeviceAllocation', 'Error',
         'CompileError', 'device_attribute', 'event_flags', 'host_alloc_flags', 'mem_alloc',
         'memcpy_htod', 'memcpy_htod_async', 'memcpy_dtoh_async', 'module_from_buffer',
         'pagelocked_empty', 'mem_get_ipc_handle', 'get_version', 'get_driver_version'),
    'Device': ('count', 'name', 'compute_capability', 'total_memory', 'get_attribute',
               'retain_primary_context'),
    'Context': ('get_device', 'pop', 'push', 'detach'),
    'device_attribute': ('INTEGRATED', 'CAN_MAP_HOST_MEMORY'),
    'event_flags': ('DISABLE_TIMING',),
    'host_alloc_flags': ('DEVICEMAP',),
}
"""``pycuda.driver`` in 2022.1: module names, and members of the classes and enums used.

get_version and get_driver_version (doctor's report) are read from the 2022.1 sdist on PyPI,
wrap_cudadrv.cpp (``py::def("get_version", ...)``, ``py::def("get_driver_version", ...)``)."""

PYCUDA_2022_1_METHODS = (
    'get_function', 'prepare', 'prepared_async_call', 'synchronize', 'record', 'time_till',
    'handle', 'free', 'get_device_pointer')
"""Methods and properties of pycuda objects (modules, functions, streams, events, device and
host allocations) the package calls, all in 2022.1."""

PYCUDA_2022_1_COMPILE_ARGUMENTS = (
    'source', 'nvcc', 'options', 'keep', 'no_extern_c', 'arch', 'code', 'cache_dir',
    'include_dirs', 'target')
"""``pycuda.compiler.compile``'s parameters in 2022.1."""


def _sources():
    paths = glob.glob(os.path.join(REPO, 'trt_perception', '**', '*.py'), recursive=True)
    return {path: ast.parse(open(path).read(), path) for path in sorted(paths)}


def _driver_aliases(tree):
    """Names under which a module imports pycuda.driver (directly or via gpu.context)."""
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.name == 'pycuda.driver' and a.asname}
        elif isinstance(node, ast.ImportFrom) and node.module == 'trt_perception.gpu.context':
            aliases |= {a.asname or a.name for a in node.names if a.name == 'cuda'}
    return aliases


def _driver_names_used():
    used = set()
    for path, tree in _sources().items():
        aliases = _driver_aliases(tree)
        for node in ast.walk(tree):
            chain = []
            while isinstance(node, ast.Attribute):
                chain.insert(0, node.attr)
                node = node.value
            if chain and isinstance(node, ast.Name) and node.id in aliases:
                used.add((os.path.relpath(path, REPO), tuple(chain[:2])))
    return used


def test_every_pycuda_driver_name_used_is_in_2022_1():
    used = _driver_names_used()
    assert {where for where, _ in used} >= {
        'trt_perception/gpu/context.py', 'trt_perception/gpu/preprocess.py',
        'trt_perception/tensorrt/backend.py'}
    missing = []
    for where, chain in sorted(used):
        if chain[0] not in PYCUDA_2022_1_DRIVER['']:
            missing.append('%s: cuda.%s' % (where, chain[0]))
        elif len(chain) == 2 and chain[0] in PYCUDA_2022_1_DRIVER \
                and chain[1] not in PYCUDA_2022_1_DRIVER[chain[0]]:
            missing.append('%s: cuda.%s.%s' % (where, chain[0], chain[1]))
    assert missing == [], 'record whether pycuda 2022.1 has these (see the module docstring)'


def test_compile_is_called_with_2022_1_arguments():
    calls = [node for tree in _sources().values() for node in ast.walk(tree)
             if isinstance(node, ast.Call) and getattr(node.func, 'attr', None) == 'compile'
             and getattr(node.func.value, 'id', None) == 'compiler']
    assert calls, 'gpu/preprocess.py compiles the letterbox kernel with pycuda.compiler'
    for call in calls:
        assert {k.arg for k in call.keywords} <= set(PYCUDA_2022_1_COMPILE_ARGUMENTS)
        assert 'nvcc' in {k.arg for k in call.keywords}, 'nvcc is found, not left to PATH'


def test_recorded_methods_are_the_ones_the_package_calls():
    source = ''.join(open(path).read() for path in _sources())
    assert [name for name in PYCUDA_2022_1_METHODS if '.%s' % name not in source] == []
