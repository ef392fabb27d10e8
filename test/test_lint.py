# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Lint every source file: ruff, the ament linters, the licence header, Python 3.8 syntax.

ament_flake8 and ament_pep257 run with their own configurations, the way a ROS package's
test_flake8.py and test_pep257.py run them, so that what ROS tooling flags, these tests flag
first.  ruff (ruff.toml) is the quick check while editing; ``ruff check --fix`` repairs
docstring layout and blank lines.
"""

import ast
import glob
import os
import shutil
import subprocess
import sys

from ros_imports import ros_imports

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_DIRS = ('trt_perception', 'test', 'launch', 'scripts', 'bench')
HEADER = ('# Copyright 2026 The trt_perception Authors\n',
          '# SPDX-License-Identifier: Apache-2.0\n')


def _python_files():
    files = [os.path.join(REPO_ROOT, 'setup.py')]
    for folder in SOURCE_DIRS:
        files += glob.glob(os.path.join(REPO_ROOT, folder, '**', '*.py'), recursive=True)
    return sorted(files)


def _relative(paths):
    return [os.path.relpath(path, REPO_ROOT) for path in paths]


def _linted_paths():
    return [path for path in ('setup.py',) + SOURCE_DIRS
            if os.path.exists(os.path.join(REPO_ROOT, path))]


def test_ruff():
    result = subprocess.run(
        [sys.executable, '-m', 'ruff', 'check', '--no-cache', '--config',
         os.path.join(REPO_ROOT, 'ruff.toml')] + _linted_paths(),
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True)
    assert result.returncode == 0, result.stdout


def test_ament_flake8():
    with ros_imports():
        import ament_flake8.main  # noqa: F401 (fails under CI, skips elsewhere, when missing)
    # A fresh interpreter: flake8 forks worker processes, and a fork of this test process,
    # which holds rclpy objects from earlier tests, can crash collecting them.
    result = subprocess.run(
        [sys.executable, '-c', 'import sys; from ament_flake8.main import main; '
         'sys.exit(main(argv=sys.argv[1:]))'] + _linted_paths(),
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=600)
    assert result.returncode == 0, 'ament_flake8 found problems:\n' + result.stdout[-8000:]


def test_ament_pep257(monkeypatch, capsys):
    with ros_imports():
        from ament_pep257.main import main
    monkeypatch.chdir(REPO_ROOT)
    rc = main(argv=_linted_paths())
    # ament_pep257 prints each problem as two lines: where, then what.
    report = [line for line in capsys.readouterr().out.splitlines()
              if not line.startswith('checking ')]
    assert rc == 0, 'ament_pep257 found problems:\n' + '\n'.join(report)


def test_licence_header():
    wrong = []
    for path in _python_files():
        with open(path, encoding='utf-8') as source:
            first_lines = (source.readline(), source.readline())
        if first_lines != HEADER:
            wrong.append(os.path.relpath(path, REPO_ROOT))
    assert not wrong, 'these files must start with the two lines\n%s\n%s' % (
        ''.join(HEADER), '\n'.join(wrong))


def _python38():
    """Return a Python 3.8 interpreter that runs, or None."""
    pyenv_root = os.environ.get('PYENV_ROOT', os.path.expanduser('~/.pyenv'))
    candidates = [shutil.which('python3.8')]
    candidates += sorted(glob.glob(
        os.path.join(pyenv_root, 'versions', '3.8*', 'bin', 'python3.8')))
    for candidate in candidates:
        if candidate and subprocess.run([candidate, '-c', 'pass'],
                                        stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL).returncode == 0:
            return candidate
    return None


# Parses with the interpreter's own grammar and writes no bytecode (py_compile would).
_PARSE_ALL = """
import ast, sys
failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding='utf-8') as source:
            ast.parse(source.read(), path)
    except SyntaxError as error:
        failed += 1
        print('%s:%s: %s' % (path, error.lineno, error.msg))
sys.exit(1 if failed else 0)
"""


def test_python38_syntax():
    files = _relative(_python_files())
    interpreter = _python38()
    if interpreter is not None:
        result = subprocess.run([interpreter, '-c', _PARSE_ALL] + files, cwd=REPO_ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                universal_newlines=True)
        assert result.returncode == 0, 'not Python 3.8 syntax:\n' + result.stdout
        return
    errors = []
    for path in files:
        with open(os.path.join(REPO_ROOT, path), encoding='utf-8') as source:
            try:
                ast.parse(source.read(), path, feature_version=(3, 8))
            except SyntaxError as error:
                errors.append('%s:%s: %s' % (path, error.lineno, error.msg))
    assert not errors, 'not Python 3.8 syntax (checked with ast feature_version, no python3.8 ' \
        'found):\n' + '\n'.join(errors)
