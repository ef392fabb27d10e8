# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
TensorRTBackend's construction of its slots, on the strict `fake_tensorrt` runtime, no GPU.

pycuda cannot be installed here, so the backend is imported in a child interpreter whose
``pycuda.driver`` is a host-memory stand-in offering only what construction calls (a stream
handle, events, allocations); nothing is enqueued, which test_tensorrt_runner_gpu.py does on a
GPU.  This is the issue-18 failure as a user met it: two slots on an engine with one
optimization profile and a dynamic batch made the constructor fail with "TensorRT rejected
input shape" (the second context had no profile of its own); with one profile per slot each
context owns its own.
"""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_DIR = os.path.join(REPO, 'test')

CHILD = r"""
import json, sys, types
import numpy as np

driver = types.ModuleType('pycuda.driver')


class Error(Exception):
    pass


class Stream:
    handle = 4242


class Event:
    def record(self, stream=None):
        pass


class Allocation:
    _next = [1 << 20]

    def __init__(self, size):
        self.address = self._next[0]
        self._next[0] += (size + 255) // 256 * 256

    def __int__(self):
        return self.address

    def free(self):
        pass


driver.Error, driver.Stream, driver.Event = Error, Stream, Event
driver.host_alloc_flags = types.SimpleNamespace(DEVICEMAP=2)  # read when gpu/ is imported
driver.DeviceAllocation = Allocation
driver.mem_alloc = Allocation
driver.pagelocked_empty = lambda count, dtype: np.empty(count, dtype)
package = types.ModuleType('pycuda')
package.driver = driver
package.compiler = types.ModuleType('pycuda.compiler')  # imported by gpu/, never called here
sys.modules.update({'pycuda': package, 'pycuda.driver': driver,
                    'pycuda.compiler': package.compiler})

import logging
from fake_tensorrt import fake_plan, make_fake_tensorrt
from trt_perception.core.backend import BackendError
from trt_perception.tensorrt.api import TensorRTApi
from trt_perception.tensorrt.backend import TensorRTBackend


class Device:
    name = 'stand-in GPU'
    compute_capability = (6, 2)


io_api, slots, profiles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fake = make_fake_tensorrt(io_api)
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
try:
    backend = TensorRTBackend(fake_plan(24, 20, profiles=profiles), max_batch=4,
                              api=TensorRTApi.from_module(fake, 'tensorrt'), context=Device(),
                              source='fake.plan', slots=slots)
except BackendError as exc:
    print(json.dumps({'error': str(exc)}))
else:
    print(json.dumps({'slots': backend.slots,
                      'profiles': [s.context.profile for s in backend._slots.clear()]}))
"""


def construct(io_api, slots, profiles):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, TEST_DIR]))
    done = subprocess.run([sys.executable, '-c', CHILD, io_api, str(slots), str(profiles)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO,
                          universal_newlines=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


@pytest.mark.parametrize('io_api', ['named', 'bindings'])
def test_each_slot_owns_one_profile_of_an_engine_built_for_its_slots(io_api):
    result, _ = construct(io_api, slots=2, profiles=2)
    assert result == {'slots': 2, 'profiles': [0, 1]}


@pytest.mark.parametrize('io_api', ['named', 'bindings'])
def test_an_engine_with_one_profile_gets_one_slot_and_the_rebuild_command(io_api):
    # Before issue 18 this was {'error': 'TensorRT rejected input shape (4, 3, 24, 20) for
    # fake.plan'}: the second context could not take the engine's only profile.
    result, log = construct(io_api, slots=2, profiles=1)
    assert result == {'slots': 1, 'profiles': [0]}
    assert 'build_engine --slots 2' in log
