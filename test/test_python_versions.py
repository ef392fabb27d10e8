# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The package on the Python of each Jetson line: 3.6 (JetPack 4.6), 3.8 (5.x), 3.10 (6.x).

scripts/setup.sh builds .venv-py36, .venv-py38 and .venv-py310 from requirements/pyXY-core.txt
where the interpreters exist (pyenv's, here).  Each runs every test module that needs neither
ROS nor a GPU, against the numpy, OpenCV and ONNX Runtime of its line (3.6: numpy 1.19.5,
OpenCV 4.1.2, ONNX Runtime 1.10.0).  The three runs start together and share the machine's
cores.  ROS and CUDA code cannot run there, so every module of the package is also compiled by
the 3.6 interpreter and searched for standard-library names newer than 3.6.
"""

import ast
import glob
import os
import re
import subprocess
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSIONS = ('3.6', '3.8', '3.10')

PORTABLE_TESTS = (
    'test_annotate', 'test_architecture', 'test_assembly', 'test_backend', 'test_build_engine',
    'test_calibrator', 'test_checks', 'test_coco_metric', 'test_decoders', 'test_depth_estimate',
    'test_depth_files', 'test_depth_image', 'test_depth_intrinsics', 'test_depth_pairing',
    'test_depth_settings', 'test_depth_stage', 'test_detect', 'test_detection',
    'test_docker_jetson', 'test_doctor', 'test_engine_cache', 'test_engine_io',
    'test_fastdds_profile', 'test_frame_source', 'test_image', 'test_latest_frame',
    'test_letterbox', 'test_log_throttle', 'test_masks', 'test_masks_cu_on_cpu',
    'test_model_metadata', 'test_models', 'test_nms', 'test_nvcc', 'test_onnxruntime_backend',
    'test_pipeline', 'test_preprocess', 'test_published_postprocessing', 'test_pycuda_contract',
    'test_ros_imports', 'test_runtime_detector', 'test_runtime_stages', 'test_schema',
    'test_setting_flags', 'test_slots', 'test_stages', 'test_stats', 'test_tensorrt_backend',
    'test_tensorrt_contract', 'test_tracking_assignment', 'test_tracking_bytetrack',
    'test_tracking_kalman', 'test_tracking_stage', 'test_triton_client', 'test_triton_repository',
    'test_triton_retry', 'test_triton_signature', 'test_worker',
)
"""Test modules that need no ROS and no GPU: run under every Python version."""

NOT_PORTABLE = {
    'ROS 2 (rclpy and the message packages are in .venv only)': (
        'test_build_while_serving', 'test_dds_delivery', 'test_demo', 'test_detector_node',
        'test_diagnostics', 'test_fault_injection', 'test_fuzz_node', 'test_image_conversion',
        'test_image_source', 'test_install_layout', 'test_launch_file', 'test_lifecycle',
        'test_log_handler', 'test_node_reliability', 'test_parameters', 'test_qos_matching',
        'test_ros_roundtrip', 'test_vision_msgs_compat', 'test_depth_conversion',
        'test_depth_ros', 'test_detection3d', 'test_markers', 'test_instance_messages',
        'test_tracking_node', 'test_depth_input', 'test_instance_publishers'),
    'a CUDA GPU': ('test_gpu_context', 'test_gpu_preprocess', 'test_onnxruntime_gpu',
                   'test_tensorrt_runner_gpu', 'test_triton_cuda', 'test_gpu_masks'),
    'torch and ultralytics (.venv only), to build and export the reference networks': (
        'test_head_decoders', 'test_ultralytics_parity'),
    'the onnx package (.venv only), to write the test models': ('test_evaluate',),
    'tools installed in .venv only (TensorRT-RTX, tensorboard, ruff, mypy, CUDA 11.8 NVRTC)': (
        'test_tensorrt_builder', 'test_engine_builds', 'test_prepare_models', 'test_lint',
        'test_kernel_compile', 'test_typing'),
    'PyYAML (in .venv only)': ('test_package_manifest',),
    'the Python-version venvs themselves': ('test_python_versions',),
    'tritonclient and the nvidia-pytriton tritonserver (.venv only; the node test ROS too)': (
        'test_triton_backend', 'test_triton_node', 'test_triton_platforms'),
    'motmetrics and Ultralytics (.venv only)': ('test_tracking_mot',),
}
"""Every other test module, by what it needs that the version venvs do not have."""

# Versions the pins in requirements/pyXY-core.txt must show at run time (cv2 reports 4.1.2 for
# opencv-python-headless 4.1.2.30).
PINNED_MODULES = {'numpy': 'numpy', 'opencv-python-headless': 'cv2',
                  'onnxruntime': 'onnxruntime'}

# Standard-library names added after 3.6, as code spells them: module functions and classes
# (``contextlib.nullcontext`` or ``from contextlib import nullcontext``), methods distinctive
# enough to find by name, modules, and keyword arguments.
NEWER_FUNCTIONS = {
    ('asyncio', 'run'): '3.7', ('contextlib', 'nullcontext'): '3.7',
    ('contextlib', 'asynccontextmanager'): '3.7', ('time', 'perf_counter_ns'): '3.7',
    ('time', 'monotonic_ns'): '3.7', ('time', 'time_ns'): '3.7', ('queue', 'SimpleQueue'): '3.7',
    ('threading', 'excepthook'): '3.8', ('threading', 'get_native_id'): '3.8',
    ('functools', 'cached_property'): '3.8', ('functools', 'singledispatchmethod'): '3.8',
    ('math', 'prod'): '3.8', ('math', 'isqrt'): '3.8', ('statistics', 'fmean'): '3.8',
    ('typing', 'Protocol'): '3.8', ('typing', 'Literal'): '3.8', ('typing', 'Final'): '3.8',
    ('typing', 'TypedDict'): '3.8', ('typing', 'get_origin'): '3.8',
    ('typing', 'get_args'): '3.8', ('argparse', 'BooleanOptionalAction'): '3.9',
    ('itertools', 'pairwise'): '3.10', ('re', 'Pattern'): '3.7', ('re', 'Match'): '3.7',
    ('contextlib', 'AsyncExitStack'): '3.7', ('time', 'thread_time'): '3.7',
    ('asyncio', 'get_running_loop'): '3.7', ('typing', 'OrderedDict'): '3.7',
    ('typing', 'ForwardRef'): '3.7',
}
# Python 3.6 evaluates annotations when a function or class is defined (nothing postpones
# them), so these fail at import, not only in a type checker.
BUILTIN_GENERICS = {'list', 'dict', 'tuple', 'set', 'frozenset', 'type'}
NEWER_METHODS = {
    'isascii': 'str.isascii (3.7)', 'fromisoformat': 'datetime.fromisoformat (3.7)',
    'removeprefix': 'str.removeprefix (3.9)', 'removesuffix': 'str.removesuffix (3.9)',
    'is_relative_to': 'Path.is_relative_to (3.9)', 'with_stem': 'Path.with_stem (3.9)',
}
NEWER_MODULES = {
    'importlib.resources': '3.7', 'importlib.metadata': '3.8', 'graphlib': '3.9',
    'zoneinfo': '3.9', 'tomllib': '3.11',
}
NEWER_KEYWORDS = {
    'capture_output': 'subprocess capture_output= (3.7; use stdout=PIPE, stderr=PIPE)',
    'missing_ok': 'Path.unlink(missing_ok=) (3.8)',
    'cancel_futures': 'Executor.shutdown(cancel_futures=) (3.9)',
}
# Keywords too common to flag everywhere: only in calls to these functions.
NEWER_CALL_KEYWORDS = {
    ('subprocess', 'text'): 'subprocess text= (3.7; use universal_newlines=True)',
    ('basicConfig', 'force'): 'logging.basicConfig(force=) (3.8)',
    ('ThreadPoolExecutor', 'initializer'): 'ThreadPoolExecutor(initializer=) (3.7)',
    ('zip', 'strict'): 'zip(strict=) (3.10)',
}


def _venv_python(version):
    return os.path.join(REPO, '.venv-py' + version.replace('.', ''), 'bin', 'python')


def _missing_venv(version):
    """Skip, or fail in CI (where the matrix is the point), when the venv was not built."""
    message = ('no .venv-py%s: scripts/setup.sh builds it where a Python %s interpreter exists '
               '(PYTHON%s=/path/to/python%s names one)'
               % (version.replace('.', ''), version, version.replace('.', ''), version))
    if os.environ.get('CI'):
        pytest.fail(message + '; CI must run every version')
    pytest.skip(message)


def _package_sources():
    """Every Python file that runs on the robot: the package, its launch files, setup.py."""
    files = glob.glob(os.path.join(REPO, 'trt_perception', '**', '*.py'), recursive=True)
    files += glob.glob(os.path.join(REPO, 'launch', '*.py'))
    files.append(os.path.join(REPO, 'setup.py'))
    return sorted(files)


VERSION_RUN_ENV = 'TRT_PERCEPTION_PYTHON_VERSION_RUN'
"""Set to the version in these runs, for tests that need to run only once (see its users)."""


def _clean_environment():
    # The ROS wheels' bootstrapper points LD_LIBRARY_PATH at .venv/lib; the version venvs'
    # wheels bring their own libraries and must not pick up the main venv's.
    return {key: value for key, value in os.environ.items()
            if key not in ('LD_LIBRARY_PATH', 'PYTHONPATH', 'PYTHONHOME')}


class _Run:
    """One interpreter's pytest run over `PORTABLE_TESTS`, started in the background."""

    def __init__(self, version, basetemp):
        self.version = version
        self.python = _venv_python(version)
        self.started = time.monotonic()
        tests = [os.path.join('test', name + '.py') for name in PORTABLE_TESTS]
        self.process = subprocess.Popen(
            [self.python, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
             '--basetemp', str(basetemp)] + tests,
            cwd=REPO, env=dict(_clean_environment(), **{VERSION_RUN_ENV: version}),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, universal_newlines=True)

    def wait(self):
        """Return (exit status, output, seconds) once the run has finished."""
        output, _ = self.process.communicate(timeout=1200)
        return self.process.returncode, output, time.monotonic() - self.started

    def stop(self):
        """Kill the run if it is still going (a failure elsewhere ended the session)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    """All versions' pytest runs, started at once; the tests below wait for each."""
    started = {}
    for version in VERSIONS:
        if os.path.isfile(_venv_python(version)):
            started[version] = _Run(version, tmp_path_factory.mktemp('py' + version))
    yield started
    for run in started.values():
        run.stop()


def test_every_test_module_is_classified():
    modules = {os.path.splitext(os.path.basename(path))[0]
               for path in glob.glob(os.path.join(REPO, 'test', 'test_*.py'))}
    excluded = [name for names in NOT_PORTABLE.values() for name in names]
    listed = set(PORTABLE_TESTS) | set(excluded)
    assert len(listed) == len(PORTABLE_TESTS) + len(excluded), 'a module is listed twice'
    assert modules - listed == set(), (
        'new test modules: add each to PORTABLE_TESTS if it needs no ROS and no GPU (it then '
        'runs under Python 3.6, 3.8 and 3.10), else to NOT_PORTABLE with what it needs')
    assert listed - modules == set(), 'listed modules that no longer exist'


@pytest.mark.parametrize('version', VERSIONS)
def test_pinned_versions_are_what_runs(version):
    python = _venv_python(version)
    if not os.path.isfile(python):
        _missing_venv(version)
    requirements = os.path.join(REPO, 'requirements', 'py%s-core.txt' % version.replace('.', ''))
    with open(requirements) as f:
        pins = dict(re.findall(r'^([A-Za-z0-9_.-]+)==(\S+)', f.read(), re.MULTILINE))
    script = ('import sys, %s; print("%%d.%%d" %% sys.version_info[:2]); print(%s)'
              % (', '.join(PINNED_MODULES.values()),
                 ', '.join('%s.__version__' % m for m in PINNED_MODULES.values())))
    lines = subprocess.check_output([python, '-c', script], env=_clean_environment(),
                                    universal_newlines=True).split()
    assert lines[0] == version
    for (package, module), found in zip(PINNED_MODULES.items(), lines[1:]):
        assert pins[package].startswith(found), '%s: %s pinned, %s imported (%s); re-run ' \
            'scripts/setup.sh' % (package, pins[package], found, module)


@pytest.mark.parametrize('version', VERSIONS)
def test_portable_tests_pass(runs, version):
    if version not in runs:
        _missing_venv(version)
    status, output, seconds = runs[version].wait()
    summary = output.strip().splitlines()[-1] if output.strip() else '(no output)'
    print('Python %s: %s (%.0f s)' % (version, summary, seconds))
    assert status == 0, 'Python %s:\n%s' % (version, output[-8000:])
    assert ' passed' in summary and 'failed' not in summary


def test_every_module_compiles_under_python_36():
    python = _venv_python('3.6')
    if not os.path.isfile(python):
        _missing_venv('3.6')
    # compile() only: nothing is imported or written, so ros/ and gpu/ are checked too.
    script = ('import sys\n'
              'for path in sys.argv[1:]:\n'
              '    try:\n'
              '        compile(open(path, "rb").read(), path, "exec", dont_inherit=True)\n'
              '    except SyntaxError as exc:\n'
              '        print("%s:%s: %s" % (path, exc.lineno, exc.msg))\n')
    result = subprocess.run([python, '-c', script] + _package_sources(),
                            env=_clean_environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    assert result.returncode == 0 and not result.stdout, result.stdout


def _annotations(tree):
    """Yield every annotation expression in `tree` (arguments, returns, annotated names)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            for argument in arguments.args + arguments.kwonlyargs + [arguments.vararg,
                                                                     arguments.kwarg]:
                if argument is not None and argument.annotation is not None:
                    yield argument.annotation
            if node.returns is not None:
                yield node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.annotation


def _newer_than_36(tree):
    """(line, what) for each use in `tree` of a standard-library name newer than Python 3.6."""
    found = []
    for annotation in _annotations(tree):
        for node in ast.walk(annotation):
            if isinstance(node, ast.Subscript) and getattr(node.value, 'id', None) \
                    in BUILTIN_GENERICS:
                found.append((node.lineno, '%s[...] in an annotation (3.9; use typing.%s)'
                              % (node.value.id, node.value.id.capitalize())))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
                found.append((node.lineno, 'X | Y in an annotation (3.10; use typing.Union '
                                           'or Optional)'))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            module = getattr(node.value, 'id', None)
            if (module, node.attr) in NEWER_FUNCTIONS:
                found.append((node.lineno, '%s.%s (%s)' % (
                    module, node.attr, NEWER_FUNCTIONS[module, node.attr])))
            elif node.attr in NEWER_METHODS:
                found.append((node.lineno, NEWER_METHODS[node.attr]))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ''
            for alias in node.names:
                dotted = '%s.%s' % (module, alias.name)
                if (module, alias.name) in NEWER_FUNCTIONS:
                    found.append((node.lineno, '%s (%s)' % (
                        dotted, NEWER_FUNCTIONS[module, alias.name])))
                elif dotted in NEWER_MODULES or module in NEWER_MODULES:
                    name = dotted if dotted in NEWER_MODULES else module
                    found.append((node.lineno, '%s (%s)' % (name, NEWER_MODULES[name])))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in NEWER_MODULES:
                    found.append((node.lineno, '%s (%s)' % (alias.name,
                                                            NEWER_MODULES[alias.name])))
        elif isinstance(node, ast.Call):
            function = node.func
            names = {getattr(function, 'attr', None), getattr(function, 'id', None),
                     getattr(getattr(function, 'value', None), 'id', None)}
            for keyword in node.keywords:
                if keyword.arg in NEWER_KEYWORDS:
                    found.append((node.lineno, NEWER_KEYWORDS[keyword.arg]))
                for (caller, arg), what in NEWER_CALL_KEYWORDS.items():
                    if keyword.arg == arg and caller in names:
                        found.append((node.lineno, what))
    return sorted(found)


def test_no_standard_library_name_newer_than_36():
    problems = []
    for path in _package_sources():
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        problems += ['%s:%d: %s' % (os.path.relpath(path, REPO), line, what)
                     for line, what in _newer_than_36(tree)]
    assert problems == [], 'the package must run on Python 3.6:\n' + '\n'.join(problems)


def test_the_newer_name_search_finds_what_it_should():
    source = ('import contextlib, subprocess, importlib.metadata\n'
              'from typing import Protocol\n'
              'subprocess.run(["ls"], capture_output=True, text=True)\n'
              'with contextlib.nullcontext():\n'
              '    open("f", "r")\n'
              'path.unlink(missing_ok=True)\n'
              'print("x", file=sys.stderr)\n'
              'def f(x: list, y: "list[int]") -> Optional[Dict[str, int]]:\n'
              '    z: dict[str, int] = {}\n'
              'def g(x: int | None) -> tuple[int, int]:\n'
              '    pass\n')
    found = [what.split(' ')[0] for _, what in _newer_than_36(ast.parse(source))]
    assert found == ['importlib.metadata', 'typing.Protocol', 'subprocess',
                     'subprocess', 'contextlib.nullcontext', 'Path.unlink(missing_ok=)',
                     'dict[...]', 'X', 'tuple[...]']


def test_dataclasses_backport_is_declared_for_python_36():
    with open(os.path.join(REPO, 'setup.py')) as f:
        setup = f.read()
    assert re.search(r"""['"]dataclasses\s*;\s*python_version\s*<\s*['"]3\.7['"]['"]""",
                     setup), 'setup.py must require the dataclasses backport on Python < 3.7'
    with open(os.path.join(REPO, 'package.xml')) as f:
        assert '<exec_depend>python3-dataclasses-pip</exec_depend>' in f.read()
