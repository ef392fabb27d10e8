# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
docker/jetson/Dockerfile and the Fast DDS profile it uses, checked without Docker or a Jetson.

The image can only be built on a Jetson with JetPack 4.6 (its base image is arm64 and needs
the NVIDIA container runtime), so these tests check what can be checked here: the Dockerfile
parses, its base image is the dustynv ROS 2 image for L4T R32.7.1 with a Foxy build
argument, every file it copies and every path and command it names exists in the
repository, its pins are the ones the Python 3.6 tests run with, and the Fast DDS profile has
the 64 MiB shared-memory segment docs/jetson.md promises.  The pycuda step runs for real,
for Python 3.6 on this x86 machine with numpy compiled from source forbidden (as it fails on
aarch64), up to the compile that needs CUDA's headers.
"""

import hashlib
import json
import os
import re
import shlex
import stat
import subprocess
import tempfile
from xml.etree import ElementTree

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKERFILE = os.path.join(REPO, 'docker', 'jetson', 'Dockerfile')
PROFILE = os.path.join(REPO, 'config', 'fastdds_large_images.xml')
INSTRUCTIONS = {'ARG', 'FROM', 'SHELL', 'ENV', 'RUN', 'WORKDIR', 'COPY', 'VOLUME',
                'ENTRYPOINT', 'CMD'}
PYTHON36 = os.path.expanduser('~/.pyenv/versions/3.6.15/bin/python3.6')
PIP_PACKAGES_TRIED = ('pip', 'setuptools', 'wheel', 'numpy', 'dataclasses')
"""What the pycuda test installs of the Dockerfile's pip steps before pycuda (onnxruntime,
the fallback backend, plays no part in pycuda's build and is left out to save time)."""
WORKSPACE = '/ros2_ws'
PACKAGE_SHARE = WORKSPACE + '/install/trt_perception/share/trt_perception/'
XML_NAMESPACE = '{http://www.eprosima.com/XMLSchemas/fastRTPS_Profiles}'


def _instructions():
    """Return the Dockerfile as (instruction, arguments) pairs, continued lines joined."""
    with open(DOCKERFILE) as f:
        lines = [line.rstrip('\n') for line in f if not line.lstrip().startswith('#')]
    logical, current = [], ''
    for line in lines:
        if line.endswith('\\'):
            current += line[:-1] + ' '
            continue
        current += line
        if current.strip():
            keyword, _, arguments = current.strip().partition(' ')
            logical.append((keyword, arguments.strip()))
        current = ''
    assert not current, 'the Dockerfile ends inside a continued line'
    return logical


@pytest.fixture(scope='module')
def instructions():
    return _instructions()


def _values(instructions, keyword):
    return [arguments for name, arguments in instructions if name == keyword]


def _environment(instructions):
    return dict(arguments.split('=', 1) for arguments in _values(instructions, 'ENV'))


def test_parses_into_known_instructions(instructions):
    assert {name for name, _ in instructions} <= INSTRUCTIONS
    assert [name for name, _ in instructions][:2] == ['ARG', 'FROM']
    for keyword in ('SHELL', 'ENTRYPOINT', 'CMD', 'VOLUME'):
        (arguments,) = _values(instructions, keyword)
        assert isinstance(json.loads(arguments), list), keyword
    for arguments in _values(instructions, 'ENV'):
        assert re.match(r'^[A-Z_]+=\S+$', arguments), arguments


@pytest.mark.parametrize('distro', ['humble', 'foxy'])
def test_base_image_is_dustynv_ros_for_jetpack_46(instructions, distro):
    (argument,) = _values(instructions, 'ARG')
    name, default = argument.split('=')
    (base,) = _values(instructions, 'FROM')
    assert default == 'humble'
    assert base.replace('${%s}' % name, distro) == 'dustynv/ros:%s-ros-base-l4t-r32.7.1' % distro


def test_copied_files_exist_and_land_in_the_workspace(instructions):
    (workdir,) = _values(instructions, 'WORKDIR')
    assert workdir == WORKSPACE
    for arguments in _values(instructions, 'COPY'):
        *sources, destination = shlex.split(arguments)
        for source in sources:
            assert os.path.exists(os.path.join(REPO, source)), source
        assert destination.startswith(('src/trt_perception/', '/'))


def test_the_package_build_and_the_command_name_what_the_repository_has(instructions):
    (run_build,) = [r for r in _values(instructions, 'RUN') if 'colcon build' in r]
    assert '--packages-select trt_perception' in run_build
    root = ElementTree.parse(os.path.join(REPO, 'package.xml')).getroot()
    assert root.findtext('name') == 'trt_perception'
    assert root.find('export/build_type').text == 'ament_python'
    command = json.loads(_values(instructions, 'CMD')[0])
    assert command[:3] == ['ros2', 'launch', 'trt_perception']
    assert os.path.isfile(os.path.join(REPO, 'launch', command[3]))


def test_environment_names_installed_files(instructions):
    environment = _environment(instructions)
    assert environment['RMW_IMPLEMENTATION'] == 'rmw_fastrtps_cpp'
    profile = environment['FASTRTPS_DEFAULT_PROFILES_FILE']
    assert profile.startswith(PACKAGE_SHARE + 'config/')
    # setup.py installs config/* into share/trt_perception/config.
    assert os.path.isfile(os.path.join(REPO, 'config', os.path.basename(profile)))
    assert environment['CUDA_HOME'] == '/usr/local/cuda'
    assert environment['PATH'].startswith(environment['CUDA_HOME'] + '/bin:')
    with open(os.path.join(REPO, 'trt_perception', 'core', 'models.py')) as f:
        assert "MODEL_DIR_ENV = 'TRT_PERCEPTION_MODEL_DIR'" in f.read()
    with open(os.path.join(REPO, 'trt_perception', 'tensorrt', 'cache.py')) as f:
        assert "CACHE_DIR_ENV = 'TRT_PERCEPTION_ENGINE_CACHE'" in f.read()
    assert {'TRT_PERCEPTION_MODEL_DIR', 'TRT_PERCEPTION_ENGINE_CACHE'} <= set(environment)


def test_pins_are_what_the_python_36_tests_run_with(instructions):
    installed = dict(re.findall(r'\b([A-Za-z][\w.-]*)==(\S+)', ' '.join(
        _values(instructions, 'RUN'))))
    with open(os.path.join(REPO, 'requirements', 'py36-core.txt')) as f:
        tested = dict(re.findall(r'^([A-Za-z][\w.-]*)==(\S+)', f.read(), re.MULTILINE))
    for package in ('pip', 'numpy', 'dataclasses', 'onnxruntime'):
        assert installed[package] == tested[package], package
    assert installed['pycuda'] == '2022.1'  # the last release for Python 3.6
    # The last releases for Python 3.6: pycuda's pyproject build needs a setuptools with
    # build_meta.__legacy__ (40.8+), which the base image need not have.
    assert (installed['setuptools'], installed['wheel']) == ('59.6.0', '0.37.1')


def test_jetson_specific_environment_and_the_kernel_cache_volume(instructions):
    environment = _environment(instructions)
    # numpy 1.19.5's OpenBLAS dies with "Illegal instruction" on Jetson without it
    # (numpy #18131, #18468); set before any step imports numpy.
    assert environment['OPENBLAS_CORETYPE'] == 'ARMV8'
    set_at = instructions.index(('ENV', 'OPENBLAS_CORETYPE=ARMV8'))
    assert set_at < min(i for i, (name, arguments) in enumerate(instructions)
                        if name == 'RUN' and 'numpy' in arguments)
    (volume,) = _values(instructions, 'VOLUME')
    assert json.loads(volume) == [environment['PYCUDA_CACHE_DIR']]


def test_the_image_checks_its_imports_and_runs_doctor(instructions):
    runs = _values(instructions, 'RUN')
    (check,) = [r for r in runs if 'trt_perception.doctor' in r]
    for module in ('numpy', 'cv2', 'onnxruntime', 'pycuda', 'tensorrt', 'vision_msgs'):
        assert re.search(r'import [\w, ]*\b%s\b' % module, check), module
    assert '--backend onnxruntime' in check
    assert os.path.isfile(os.path.join(REPO, 'trt_perception', 'doctor.py'))


def test_pycuda_is_built_without_build_isolation(instructions):
    (step,) = [r for r in _values(instructions, 'RUN') if 'pycuda==' in r]
    assert '--no-build-isolation' in step and '--only-binary numpy' in step


def _pip_steps_before_pycuda(instructions, python):
    """Return the Dockerfile's pip commands before pycuda's, and pycuda's, for `python`."""
    steps = []
    for run in _values(instructions, 'RUN'):
        for command in run.split('&&'):
            words = shlex.split(command)
            if words[:4] != ['python3', '-m', 'pip', 'install']:
                continue
            if any(w.startswith('pycuda==') for w in words):
                return steps, [python] + words[1:]
            kept = [w for w in words[4:] if w.startswith('-') or w == 'numpy'
                    or w.split('==')[0] in PIP_PACKAGES_TRIED]
            steps.append([python, '-m', 'pip', 'install'] + kept)
    raise AssertionError('no pycuda pip step in the Dockerfile')


@pytest.fixture(scope='module')
def python36_venv(instructions):
    """Make a Python 3.6 venv with the Dockerfile's steps before pycuda, cached in tmp."""
    if os.environ.get('TRT_PERCEPTION_PYTHON_VERSION_RUN'):
        # It runs pyenv's 3.6 whatever Python runs pytest: once, in the main run, not again in
        # test_python_versions.py's three concurrent runs, which would share its cached venv.
        pytest.skip('the pycuda step runs in the main test run only')
    if not os.path.isfile(PYTHON36):
        pytest.skip('no Python 3.6 at %s (pyenv install 3.6.15)' % PYTHON36)
    steps_key = hashlib.sha256(repr(_pip_steps_before_pycuda(instructions, 'python')[0])
                               .encode()).hexdigest()[:12]
    venv = os.path.join(tempfile.gettempdir(), 'trt_perception-py36-pycuda-' + steps_key)
    python = os.path.join(venv, 'bin', 'python')
    steps, _ = _pip_steps_before_pycuda(instructions, python)
    if not os.path.isfile(os.path.join(venv, 'ready')):
        subprocess.run([PYTHON36, '-m', 'venv', '--clear', venv], check=True, timeout=120)
        for step in steps:
            done = subprocess.run(step + ['--disable-pip-version-check'],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  universal_newlines=True, timeout=300)
            if done.returncode and 'NewConnectionError' in done.stdout:
                pytest.skip('PyPI cannot be reached: %s' % done.stdout.splitlines()[-1])
            assert done.returncode == 0, done.stdout[-3000:]
        open(os.path.join(venv, 'ready'), 'w').close()
    return python


def test_the_pycuda_step_resolves_for_python_36_up_to_the_cuda_compile(
        instructions, python36_venv):
    _, pycuda_step = _pip_steps_before_pycuda(instructions, python36_venv)
    env = dict(os.environ, CUDA_ROOT='/nonexistent-cuda', PIP_DISABLE_PIP_VERSION_CHECK='1')
    done = subprocess.run(pycuda_step, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, env=env)
    out = done.stdout
    if done.returncode and 'NewConnectionError' in out:
        pytest.skip('PyPI cannot be reached')
    # Resolved: pycuda's own metadata, then its run-time requirements for Python 3.6.
    assert 'Collecting pycuda==2022.1' in out
    for requirement in ('pytools', 'mako', 'platformdirs'):
        assert re.search(r'(Collecting|Requirement already satisfied:) %s' % requirement, out,
                         re.IGNORECASE), requirement
    # Built against the installed numpy 1.19.5: no build environment, no numpy 1.12.1.
    assert 'numpy==1.12.1' not in out and 'pip-build-env' not in out
    assert 'site-packages/numpy/core/include' in out
    # ... as far as a machine without CUDA goes: the first source includes cuda.h.
    assert done.returncode != 0
    assert 'Building wheel for pycuda' in out and 'cuda.h' in out, out[-3000:]


def test_entrypoint_exists_and_sources_ros_and_the_workspace(instructions):
    (copy,) = [c for c in _values(instructions, 'COPY') if 'entrypoint' in c]
    source, destination = shlex.split(copy)
    assert json.loads(_values(instructions, 'ENTRYPOINT')[0]) == [destination]
    path = os.path.join(REPO, source)
    assert os.stat(path).st_mode & stat.S_IXUSR, 'the entrypoint must be executable'
    subprocess.run(['bash', '-n', path], check=True)
    with open(path) as f:
        script = f.read()
    assert 'source "${ROS_ROOT}/install/setup.bash"' in script
    assert 'source %s/install/setup.bash' % WORKSPACE in script
    assert script.rstrip().endswith('exec "$@"')


def test_fastdds_profile_has_a_64_mib_shared_memory_segment_and_udp():
    root = ElementTree.parse(PROFILE).getroot()
    assert root.tag == XML_NAMESPACE + 'profiles'
    transports = {}
    for descriptor in root.iter(XML_NAMESPACE + 'transport_descriptor'):
        transports[descriptor.findtext(XML_NAMESPACE + 'transport_id')] = descriptor
    kinds = {name: d.findtext(XML_NAMESPACE + 'type') for name, d in transports.items()}
    assert sorted(kinds.values()) == ['SHM', 'UDPv4']
    (shm,) = [d for d in transports.values() if d.findtext(XML_NAMESPACE + 'type') == 'SHM']
    assert int(shm.findtext(XML_NAMESPACE + 'segment_size')) == 64 << 20
    (participant,) = root.iter(XML_NAMESPACE + 'participant')
    assert participant.get('is_default_profile') == 'true'
    rtps = participant.find(XML_NAMESPACE + 'rtps')
    used = [t.text for t in rtps.iter(XML_NAMESPACE + 'transport_id')]
    assert sorted(used) == sorted(transports)
    assert rtps.findtext(XML_NAMESPACE + 'useBuiltinTransports') == 'false'
