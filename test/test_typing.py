# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""The type hints are checked: mypy over the whole package, with setup.cfg's settings."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_mypy_finds_no_error_in_the_package():
    result = subprocess.run(
        [sys.executable, '-m', 'mypy', '--config-file', os.path.join(REPO, 'setup.cfg'),
         '--no-incremental', 'trt_perception'],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        timeout=600)
    assert result.returncode == 0, result.stdout[-8000:]


def test_the_tensorrt_feature_flags_are_declared_for_the_type_checker():
    from trt_perception.tensorrt.api import _OPTIONAL_BUILDER_FEATURES, TensorRTApi
    declared = {name for name in TensorRTApi.__annotations__ if name.startswith('has_')}
    assert declared == set(_OPTIONAL_BUILDER_FEATURES)
