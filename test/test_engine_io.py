# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Execution contexts on their own optimization profiles, on the strict `fake_tensorrt` runtime.

The fake enforces TensorRT's rules (one live context per profile of a dynamic engine, the
profile chosen before shapes, binding indices of the context's own profile), so these tests
show the runner's context creation is what TensorRT 8 accepts.  No GPU: the fake kernel is
replaced by a recorder, so nothing here proves that an engine computes anything.
"""

import logging

from fake_tensorrt import CHOSEN_BY_ANOTHER, fake_plan, make_fake_tensorrt
import pytest

from trt_perception.core.backend import BackendError
from trt_perception.tensorrt.api import TensorRTApi
from trt_perception.tensorrt.engine_io import BindingsIO, EngineLayout, open_context, open_io

IO_APIS = pytest.mark.parametrize('io_api', ['named', 'bindings'])
STREAM = 1234


class RecordingKernel:
    """Stands in for the fake's pycuda kernel: records the addresses and batch of a launch."""

    def __init__(self):
        self.launches = []

    def __call__(self, images, sums, corners, batch, height, width, **launch):
        self.launches.append((int(images), int(sums), int(corners), int(batch)))


def load(io_api, caplog=None, **plan_args):
    fake = make_fake_tensorrt(io_api)
    kernel = RecordingKernel()
    fake.kernel = lambda: kernel
    fake.streams[STREAM] = object()
    api = TensorRTApi.from_module(fake, 'tensorrt')
    runtime = fake.Runtime(api.logger(logging.getLogger('test_engine_io')))
    engine = runtime.deserialize_cuda_engine(fake_plan(**plan_args))
    return api, engine, open_io(api, engine), kernel


def addresses_for(slot):
    return {name: 1000 * (slot + 1) + i for i, name in enumerate(['images', 'sums', 'corners'])}


@IO_APIS
def test_two_contexts_on_one_profile_are_refused_as_tensorrt_8_refuses_them(io_api, caplog):
    # The runner before issue 18: two slots, each a plain create_execution_context() on an
    # engine with one profile and a dynamic batch, then the input shape set on each.
    api, engine, io, _ = load(io_api)
    image = [t for t in io.tensors if t.is_input][0]
    first, second = engine.create_execution_context(), engine.create_execution_context()
    with caplog.at_level(logging.ERROR):
        # 8.x: the first context took profile 0 implicitly, the second has none; 10.x: both
        # were assigned profile 0, which neither may then use while the other lives.
        assert io.set_input_shape(first, image, (2, 3, 24, 20), 0) == (io_api == 'bindings')
        assert not io.set_input_shape(second, image, (2, 3, 24, 20), 0)
    with pytest.raises(RuntimeError, match='set optimization profile'):
        second.set_optimization_profile_async(0, STREAM)
    assert CHOSEN_BY_ANOTHER % 0 in caplog.text


@IO_APIS
def test_each_slot_owns_its_profile_and_runs_on_its_own_buffers(io_api):
    api, engine, io, kernel = load(io_api, profiles=3)
    layout = EngineLayout.read(io, engine, 'fake.plan', max_batch=4)
    assert layout.profiles == 3 and layout.dynamic and layout.usable_slots(3) == 3
    contexts = []
    for slot in range(3):
        context = open_context(api, engine, layout, slot, STREAM, 'fake.plan')
        assert context.profile == slot
        bindings = io.bind(context, addresses_for(slot), slot)
        assert io.set_input_shape(context, layout.image, layout.input_shape(slot + 1), slot)
        assert [io.shape(context, t, slot) for t in layout.outputs] == [(slot + 1, 3),
                                                                        (slot + 1, 4)]
        contexts.append((context, bindings))
    for slot, (context, bindings) in reversed(list(enumerate(contexts))):
        assert io.enqueue(context, bindings, STREAM)
    assert kernel.launches == [tuple(addresses_for(s).values()) + (s + 1,) for s in (2, 1, 0)]


def test_bindings_of_profile_k_are_offset_by_k_times_the_bindings_per_profile():
    api, engine, io, _ = load('bindings', profiles=2)
    assert isinstance(io, BindingsIO) and engine.num_bindings == 6
    assert [t.name for t in io.tensors] == ['images', 'sums', 'corners']
    assert [io.binding_index(t, 1) for t in io.tensors] == [3, 4, 5]
    assert engine.get_binding_name(4) == 'sums [profile 1]'
    assert io.bind(None, addresses_for(1), 1) == [0, 0, 0] + list(addresses_for(1).values())


def test_a_shape_outside_the_profile_is_refused(caplog):
    api, engine, io, _ = load('named', profiles=1)
    layout = EngineLayout.read(io, engine, 'fake.plan', max_batch=4)
    context = open_context(api, engine, layout, 0, STREAM, 'fake.plan')
    with caplog.at_level(logging.ERROR):
        assert not io.set_input_shape(context, layout.image, (5, 3, 24, 20), 0)
    assert 'outside profile 0' in caplog.text


@IO_APIS
def test_an_engine_with_fewer_profiles_than_slots_serves_one_context_per_profile(io_api):
    api, engine, io, _ = load(io_api, profiles=2)
    layout = EngineLayout.read(io, engine, 'old.plan', max_batch=1)
    assert [layout.usable_slots(n) for n in (1, 2, 3, 4)] == [1, 2, 2, 2]


@IO_APIS
def test_a_profile_taken_by_another_context_is_a_clear_backend_error(io_api):
    api, engine, io, _ = load(io_api, profiles=2)
    layout = EngineLayout.read(io, engine, 'fake.plan', max_batch=2)
    held = open_context(api, engine, layout, 1, STREAM, 'fake.plan')
    with pytest.raises(BackendError, match='refused optimization profile 1 of fake.plan'):
        open_context(api, engine, layout, 1, STREAM, 'fake.plan')
    del held  # a destroyed context releases its profile, as in TensorRT
    assert open_context(api, engine, layout, 1, STREAM, 'fake.plan').profile == 1


@IO_APIS
def test_a_fixed_batch_engine_runs_several_contexts_without_profiles(io_api):
    api, engine, io, kernel = load(io_api, batch=2)
    layout = EngineLayout.read(io, engine, 'fixed.plan', max_batch=2)
    assert not layout.dynamic and layout.profiles == 1 and layout.usable_slots(3) == 3
    for slot in range(3):
        context = open_context(api, engine, layout, slot, STREAM, 'fixed.plan')
        assert io.enqueue(context, io.bind(context, addresses_for(slot), 0), STREAM)
    assert [launch[3] for launch in kernel.launches] == [2, 2, 2]
