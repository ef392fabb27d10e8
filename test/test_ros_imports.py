# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Tests for test/ros_imports.py, and that every test module imports ROS 2 through it."""

import ast
import glob
import os
import subprocess
import sys

import pytest
from ros_imports import ros_imports

TEST_DIR = os.path.dirname(os.path.abspath(__file__))
MODULE = """
from ros_imports import ros_imports

with ros_imports():
    import no_such_msgs.msg  # noqa: F401


def test_never_runs():
    pass
"""


def _is_ros(module):
    """
    Tell whether `module` belongs to a ROS 2 package that scripts/setup.sh installs.

    cv_bridge is left out on purpose: ROS 2's cv_bridge cannot be installed here, and the one
    test that compares with it skips without it, in CI too.
    """
    top = module.split('.')[0]
    return (top == 'rclpy' or top.startswith('ament_')
            or top.endswith(('_msgs', '_interfaces')))


def _run_pytest(tmp_path, ci):
    (tmp_path / 'test_ros_module.py').write_text(MODULE)
    env = dict(os.environ, PYTHONPATH=TEST_DIR)
    env.pop('CI', None)
    if ci:
        env['CI'] = 'true'
    return subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider',
         str(tmp_path / 'test_ros_module.py')],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True)


def test_missing_ros_package_skips_the_module_outside_ci(tmp_path):
    result = _run_pytest(tmp_path, ci=False)
    # 5: no test collected, since the whole module was skipped.
    assert result.returncode == 5, result.stdout
    assert '1 skipped' in result.stdout and 'no_such_msgs' in result.stdout, result.stdout


def test_missing_ros_package_fails_the_module_in_ci(tmp_path):
    result = _run_pytest(tmp_path, ci=True)
    assert result.returncode != 0, result.stdout
    assert 'does not import in CI' in result.stdout and 'no_such_msgs' in result.stdout, \
        result.stdout
    assert 'skipped' not in result.stdout, result.stdout


def test_importable_packages_pass_through(monkeypatch):
    monkeypatch.setenv('CI', 'true')
    with ros_imports():
        import json
    assert json.loads('[1]') == [1]


def _unguarded_ros_imports(path):
    """Return 'line: what' for each ROS import of `path` outside ``with ros_imports():``."""
    with open(path, encoding='utf-8') as source:
        tree = ast.parse(source.read(), path)
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
                isinstance(item.context_expr, ast.Call)
                and getattr(item.context_expr.func, 'id', None) == 'ros_imports'
                for item in node.items):
            guarded.update(id(inner) for inner in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module]
        elif (isinstance(node, ast.Call) and getattr(node.func, 'attr', None) == 'importorskip'
              and node.args and isinstance(node.args[0], ast.Constant)):
            names = [node.args[0].value]
        else:
            continue
        if id(node) not in guarded:
            found += ['%d: %s' % (node.lineno, name) for name in names if _is_ros(name)]
    return found


def test_every_test_module_imports_ros_through_the_guard():
    unguarded = {}
    for path in sorted(glob.glob(os.path.join(TEST_DIR, '*.py'))):
        found = _unguarded_ros_imports(path)
        if found:
            unguarded[os.path.basename(path)] = found
    assert not unguarded, (
        'import ROS 2 packages inside `with ros_imports():` (test/ros_imports.py), so that '
        'CI fails instead of skipping when they are missing: %s' % unguarded)


@pytest.mark.parametrize('module, ros', [
    ('rclpy.executors', True), ('vision_msgs.msg', True), ('rcl_interfaces.srv', True),
    ('ament_flake8.main', True), ('cv_bridge', False), ('numpy', False),
    ('trt_perception.ros.detector_node', False)])
def test_ros_packages_are_recognised(module, ros):
    assert _is_ros(module) == ros
