# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The package installs where ROS tools look: share/, the ament index, lib/<package>/.

Every install goes into a temporary prefix, from a copy of the sources, and never touches the
environment the tests run in: pip, given a distribution that environment already has, would
otherwise uninstall it first (even with --prefix elsewhere), taking the venv's console
scripts with it.  --ignore-installed stops that, and each test checks the environment's own
copy is still whole afterwards.
"""

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = 'trt_perception'
# Everything setup.py reads; built from a copy so the source tree gets no build/ or egg-info.
PACKAGE_INPUTS = ('setup.py', 'setup.cfg', 'package.xml', 'resource', PACKAGE, 'launch', 'config')
CONSOLE_SCRIPTS = ('detector_node', 'lifecycle_detector_node', 'image_source', 'detect',
                   'evaluate', 'detection_listener', 'build_engine', 'triton_export', 'doctor')
MODEL_CARDS = 'models/*.json'
"""Staged instead of the whole models/ folder (90 MB of ONNX): the cards show the layout."""

# Resolved in a fresh interpreter: ament_index reads AMENT_PREFIX_PATH when called.
_AMENT_QUERY = """
import json, os
from ament_index_python.packages import get_package_prefix, get_package_share_directory
from ament_index_python.resources import get_resource
content, prefix = get_resource('packages', 'trt_perception')
print(json.dumps({'prefix': get_package_prefix('trt_perception'),
                  'share': get_package_share_directory('trt_perception'),
                  'marker_prefix': prefix}))
"""


@pytest.fixture(scope='module')
def staged_source(tmp_path_factory):
    stage = tmp_path_factory.mktemp('source')
    for name in PACKAGE_INPUTS:
        source = os.path.join(REPO_ROOT, name)
        if os.path.isdir(source):
            shutil.copytree(source, str(stage / name),
                            ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copy2(source, str(stage / name))
    (stage / 'models').mkdir()
    for card in glob.glob(os.path.join(REPO_ROOT, MODEL_CARDS)):
        shutil.copy2(card, str(stage / 'models'))
    return stage


def _own_installation():
    """Return the running environment's copy of the package: location, files, scripts."""
    from importlib import metadata
    try:
        distribution = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        return None
    scripts = sorted(name for name in CONSOLE_SCRIPTS
                     if os.path.exists(os.path.join(os.path.dirname(sys.executable), name)))
    return str(distribution.locate_file('')), len(distribution.files or ()), scripts


@pytest.fixture(autouse=True)
def environment_untouched():
    """Fail a test that changed the package installed where the tests run."""
    before = _own_installation()
    yield
    assert _own_installation() == before, 'the test changed the environment it runs in'


def _run(command, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, **kwargs)
    assert result.returncode == 0, '%s failed:\n%s' % (' '.join(command), result.stdout)
    return result.stdout


def _ament_lookup(prefix):
    env = dict(os.environ, AMENT_PREFIX_PATH=str(prefix))
    return json.loads(_run([sys.executable, '-c', _AMENT_QUERY], env=env).splitlines()[-1])


def _repo_files(pattern):
    return sorted(os.path.basename(path) for path in glob.glob(os.path.join(REPO_ROOT, pattern))
                  if os.path.isfile(path))


def _check_share_and_index(prefix):
    share = os.path.join(str(prefix), 'share', PACKAGE)
    assert os.path.isfile(os.path.join(share, 'package.xml'))
    for name in _repo_files('launch/*.launch.py'):
        assert os.path.isfile(os.path.join(share, 'launch', name)), name
    for name in _repo_files('config/*'):
        assert os.path.isfile(os.path.join(share, 'config', name)), name
    for name in _repo_files(MODEL_CARDS):
        assert os.path.isfile(os.path.join(share, 'models', name)), name
    found = _ament_lookup(prefix)
    assert found == {'prefix': str(prefix), 'share': share, 'marker_prefix': str(prefix)}


def _executables(folder):
    return sorted(name for name in os.listdir(folder)
                  if os.access(os.path.join(folder, name), os.X_OK))


def test_pip_prefix_install_puts_scripts_in_bin(staged_source, tmp_path):
    """A wheel install (pip, as scripts/setup.sh does) ignores setup.cfg: scripts go to bin/."""
    prefix = tmp_path / 'prefix'
    _run([sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check', '--no-deps',
          '--no-build-isolation', '--ignore-installed', '--prefix', str(prefix),
          str(staged_source)])

    _check_share_and_index(prefix)
    assert _executables(str(prefix / 'bin')) == sorted(CONSOLE_SCRIPTS)
    assert not (prefix / 'lib' / PACKAGE).exists()
    # The installed package finds its bundled models in its share folder, from any working
    # directory and without TRT_PERCEPTION_MODEL_DIR.
    (site,) = glob.glob(str(prefix / 'lib' / 'python*' / 'site-packages'))
    env = {k: v for k, v in os.environ.items() if k != 'TRT_PERCEPTION_MODEL_DIR'}
    env.update(PYTHONPATH=site, AMENT_PREFIX_PATH=str(prefix))
    found = _run([sys.executable, '-c', 'from trt_perception.core.models import '
                  'available_models; print(" ".join(available_models()))'],
                 env=env, cwd=str(tmp_path)).split()
    assert found == [os.path.splitext(name)[0] for name in _repo_files(MODEL_CARDS)]


def _colcon():
    colcon = os.path.join(os.path.dirname(sys.executable), 'colcon')
    if os.access(colcon, os.X_OK):
        return colcon
    colcon = shutil.which('colcon')
    if colcon is None:
        if os.environ.get('CI'):
            pytest.fail('colcon is missing from the environment scripts/setup.sh built')
        pytest.skip('colcon is not installed: run ./scripts/setup.sh')
    return colcon


@pytest.mark.parametrize('options', [[], ['--symlink-install']],
                         ids=['install', 'symlink-install'])
def test_colcon_install_puts_scripts_where_ros2_run_looks(staged_source, tmp_path, options):
    """A colcon build (setup.py install or develop) follows setup.cfg: scripts in lib/<pkg>/."""
    _run([_colcon(), '--log-base', str(tmp_path / 'log'), 'build',
          '--base-paths', str(staged_source), '--build-base', str(tmp_path / 'build'),
          '--install-base', str(tmp_path / 'install')] + options,
         cwd=str(tmp_path),
         env=dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
                  + os.environ.get('PATH', '')))
    prefix = tmp_path / 'install' / PACKAGE

    _check_share_and_index(prefix)
    # `ros2 run trt_perception X` runs <package prefix>/lib/trt_perception/X.
    assert _executables(str(prefix / 'lib' / PACKAGE)) == sorted(CONSOLE_SCRIPTS)
