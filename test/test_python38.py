# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The ROS-free core's tests, run again under Python 3.8 (.venv-py38 from scripts/setup.sh)."""

import glob
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON38 = os.path.join(REPO, '.venv-py38', 'bin', 'python')

# Tests of tools that need no ROS, beside the ones that mirror trt_perception/core/.
EXTRA_TESTS = ('test_detect.py', 'test_engine_cache.py', 'test_calibrator.py')


def core_tests():
    """Test files mirroring trt_perception/core/ modules, plus the ROS-free tools' tests."""
    modules = glob.glob(os.path.join(REPO, 'trt_perception', 'core', '*.py'))
    names = ['test_%s.py' % os.path.splitext(os.path.basename(m))[0] for m in modules]
    names += EXTRA_TESTS
    return sorted(os.path.join('test', n) for n in names
                  if os.path.isfile(os.path.join(REPO, 'test', n)))


def test_core_passes_under_python38():
    if not os.path.isfile(PYTHON38):
        pytest.skip('no .venv-py38: scripts/setup.sh builds it where a Python 3.8 interpreter '
                    'exists (set PYTHON38=/path/to/python3.8)')
    tests = core_tests()
    assert 'test/test_pipeline.py' in tests and 'test/test_preprocess.py' in tests
    result = subprocess.run(
        [PYTHON38, '-m', 'pytest', '-q', '-p', 'no:cacheprovider'] + tests,
        cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    print(result.stdout.strip().splitlines()[-1])
