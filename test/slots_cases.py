# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The cases of test_slots.py, run only in its subprocess, where test/fake_pycuda is pycuda.

`ChannelSums` is the smallest backend with slots: its "engine" writes each image's
per-channel sums, in host memory standing for the GPU's.  It implements only the hooks, so
every check and every copy below is `SlottedBackend`'s.
"""

import numpy as np
import pycuda.driver as cuda
import pytest

from trt_perception.core.backend import BackendError, TensorSpec
from trt_perception.gpu.masks import DeviceTensor
from trt_perception.gpu.slots import BatchInFlight, Slots, SlottedBackend

assert hasattr(cuda, 'device_array'), 'run through test_slots.py, on the pycuda stand-in'

SHAPE = (3, 2, 2)
VOLUME = 12


class _Slot(BatchInFlight):

    def __init__(self, max_batch):
        super().__init__()
        self.input = cuda.mem_alloc(max_batch * VOLUME * 4)
        self.output = cuda.mem_alloc(max_batch * 3 * 4)
        self.staging = cuda.pagelocked_empty(max_batch * VOLUME, np.float32)
        self.host_output = cuda.pagelocked_empty(max_batch * 3, np.float32)


class ChannelSums(SlottedBackend):
    """Per-channel sums of each image; `fixed` runs its whole `max_batch` every time."""

    name = 'channel-sums'
    input = TensorSpec('x', (None,) + SHAPE, np.dtype(np.float32))  # noqa: A003
    outputs = [TensorSpec('sums', (None, 3), np.dtype(np.float32))]

    def __init__(self, max_batch=2, slots=2, fixed=False):
        self._stream = cuda.Stream()
        self._last_gpu_times = {}
        self._slots = Slots('the channel-sums backend')
        self._slots.extend([_Slot(max_batch) for _ in range(slots)])
        self._max = max_batch
        self._fixed = fixed
        self.hooks = []

    max_batch = property(lambda self: self._max)

    def _ran(self, batch_size):
        return self._max if self._fixed else batch_size

    def _batch_range(self):
        return 1, self._max, ' (the test engine)'

    def _input_impl(self, state, batch_size):
        self.hooks.append(('input', batch_size))
        return int(state.input), state.staging

    def _run_impl(self, state, slot, batch_size):
        self.hooks.append(('run', slot, batch_size))
        ran = self._ran(batch_size)
        images = cuda.device_array(state.input, np.float32)[:ran * VOLUME].reshape(ran, 3, 4)
        cuda.device_array(state.output, np.float32)[:ran * 3] = images.sum(axis=2).ravel()

    def _outputs_impl(self, state, batch_size):
        return [('sums', int(state.output), state.host_output, (self._ran(batch_size), 3))]


def images(count, seed):
    return np.random.default_rng(seed).random((count,) + SHAPE, dtype=np.float32)


def sums(batch):
    return batch.reshape(len(batch), 3, 4).sum(axis=2)


def test_batches_in_two_slots_come_back_each_with_its_own_outputs():
    backend = ChannelSums()
    first, second = images(2, 0), images(1, 1)
    backend.upload(first, 0)
    backend.upload(second, 1)
    backend.enqueue(2, 0)
    backend.enqueue(1, 1)
    np.testing.assert_allclose(backend.collect(1)['sums'], sums(second), rtol=1e-6)
    np.testing.assert_allclose(backend.collect(0)['sums'], sums(first), rtol=1e-6)
    assert set(backend.last_gpu_times) == {'upload', 'inference', 'download'}
    assert backend.slots == 2 and backend.stream is backend._stream


def test_a_preprocessor_writes_the_input_where_device_input_says():
    backend = ChannelSums()
    batch = images(2, 2)
    address = backend.device_input(2, 1)
    cuda.device_array(address, np.float32)[:batch.size] = batch.ravel()
    backend.enqueue(2, 1)
    np.testing.assert_allclose(backend.collect(1)['sums'], sums(batch), rtol=1e-6)
    assert set(backend.last_gpu_times) == {'preprocess', 'inference', 'download'}


def test_a_fixed_batch_engine_hands_back_the_images_asked_for():
    backend = ChannelSums(max_batch=2, fixed=True)
    batch = images(1, 3)
    backend.upload(batch, 0)
    backend.enqueue(1, 0)
    out = backend.collect(0)['sums']
    assert out.shape == (1, 3)
    np.testing.assert_allclose(out, sums(batch), rtol=1e-6)


@pytest.mark.parametrize('call, words', [
    (lambda b: b.upload(images(1, 0), 2), 'slot 2 is outside 0..1'),
    (lambda b: b.device_input(1, -1), r'slot -1 is outside 0\.\.1'),
    (lambda b: b.upload(images(3, 0), 0), r'batch of 3 is outside 1\.\.2 \(the test engine\)'),
    (lambda b: b.device_input(0, 0), r'batch of 0 is outside 1\.\.2'),
    (lambda b: b.upload(np.zeros((1, 3, 4, 4), np.float32), 0), 'does not match input'),
    (lambda b: b.upload(images(1, 0).astype(np.float64), 0), 'does not match input'),
    (lambda b: b.enqueue(1, 0), 'before its input was written'),
    (lambda b: b.collect(0), 'with nothing enqueued'),
])
def test_each_refusal_is_checked_once_before_any_hook_runs(call, words):
    backend = ChannelSums()
    with pytest.raises(BackendError, match=words):
        call(backend)
    assert backend.hooks == []


def test_a_slot_is_busy_until_collected_and_free_after():
    backend = ChannelSums()
    backend.upload(images(1, 0), 0)
    backend.enqueue(1, 0)
    with pytest.raises(BackendError, match='still holds an uncollected batch'):
        backend.upload(images(1, 0), 0)
    backend.upload(images(1, 0), 1)
    with pytest.raises(BackendError, match=r'batch of 3 is outside 1\.\.2'):
        backend.enqueue(3, 1)
    assert ('run', 1, 3) not in backend.hooks
    backend.collect(0)
    with pytest.raises(BackendError, match='with nothing enqueued'):
        backend.collect(0)
    backend.upload(images(2, 4), 0)
    backend.enqueue(2, 0)
    assert backend.collect(0)['sums'].shape == (2, 3)


def test_a_closed_backend_says_so():
    backend = ChannelSums()
    backend._slots.clear()
    with pytest.raises(BackendError, match='was closed; create a new one'):
        backend.upload(images(1, 0), 0)


def test_an_output_kept_on_the_device_comes_back_as_its_buffer_uncopied():
    backend = ChannelSums(max_batch=2, fixed=True)
    backend.keep_on_device({'sums'})
    state = backend._slots.all[1]
    state.host_output[:] = -1
    batch = images(1, 4)
    backend.upload(batch, 1)
    backend.enqueue(1, 1)
    out = backend.collect(1)['sums']
    assert isinstance(out, DeviceTensor)
    assert (out.pointer, out.shape, out.dtype) == (int(state.output), (1, 3), np.float32)
    assert (state.host_output == -1).all()
    np.testing.assert_allclose(cuda.device_array(out.pointer, np.float32)[:3], sums(batch)[0],
                               rtol=1e-6)


def test_only_model_outputs_can_be_kept_on_the_device():
    with pytest.raises(BackendError, match=r"\['protos'\] are not among the model outputs"):
        ChannelSums().keep_on_device({'protos'})
