# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
SlottedBackend (gpu/slots.py), the GPU backends' one slot protocol, without a GPU.

The cases (slots_cases.py) run in a subprocess of their own where test/fake_pycuda stands in
for pycuda with host memory: enough for the checks and the data flow through the hooks, never
for overlap or timing (the GPU tests run the real backends on the device).
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def test_the_slot_protocol_on_a_host_stand_in_for_pycuda():
    path = os.pathsep.join([os.path.join(HERE, 'fake_pycuda'), REPO, HERE])
    env = dict(os.environ, PYTHONPATH=path)
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         os.path.join(HERE, 'slots_cases.py')],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env,
        cwd=REPO, timeout=300)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ''
    assert result.returncode == 0 and 'passed' in summary, result.stdout[-6000:]
    assert 'skipped' not in summary and 'failed' not in summary
