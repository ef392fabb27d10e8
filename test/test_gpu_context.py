# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""CudaContext against what PyTorch reports for the device, across threads and after close."""

import threading

from cuda_device import cuda, DEVICES  # first: skips this module without pycuda or a CUDA device
import numpy as np
import pytest

from trt_perception.gpu.context import CudaContext, describe_devices

pytestmark = pytest.mark.gpu


def round_trip(context: CudaContext, data: np.ndarray) -> np.ndarray:
    """Copy `data` to the GPU and back through `context`, freeing inside it."""
    back = np.empty_like(data)
    with context.activated():
        memory = cuda.mem_alloc(data.nbytes)
        cuda.memcpy_htod(memory, data)
        cuda.memcpy_dtoh(back, memory)
        memory.free()
    return back


def run_in_thread(function):
    """Run `function` in a new thread and re-raise what it raised."""
    errors = []

    def body():
        try:
            function()
        except BaseException as exc:  # the assertion must reach the test's thread
            errors.append(exc)

    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def test_reports_what_torch_reports():
    torch = pytest.importorskip('torch', reason='torch is the independent reference here')
    if not torch.cuda.is_available():
        pytest.skip('torch has no CUDA support on this machine')
    with CudaContext(0) as context:
        props = torch.cuda.get_device_properties(0)
        assert context.name == props.name
        assert context.compute_capability == (props.major, props.minor)
        assert context.arch == 'sm_%d%d' % (props.major, props.minor)
        assert context.total_memory == props.total_memory
        assert context.integrated == bool(props.is_integrated)
        assert isinstance(context.can_map_host_memory, bool)
        facts = context.describe()
        assert facts['cuda_device'] == '0: %s' % props.name
        assert facts['compute_capability'] == '%d.%d' % (props.major, props.minor)


def test_bad_device_ids_list_the_devices():
    listing = describe_devices()
    assert len(listing) == DEVICES
    for bad in (DEVICES, -1, '0', True):
        with pytest.raises(ValueError) as info:
            CudaContext(bad)
        message = str(info.value)
        assert repr(bad) in message
        assert listing[0] in message
        assert 'set the device id' in message


def test_activated_pushes_and_pops(rng):
    with CudaContext(0) as context:
        assert cuda.Context.get_current() is None
        with context.activated() as active:
            assert active is context
            outer = cuda.Context.get_current()
            assert outer is not None
            with context.activated():
                assert cuda.Context.get_current().handle == outer.handle
            assert cuda.Context.get_current().handle == outer.handle
        assert cuda.Context.get_current() is None
        data = rng.integers(0, 2 ** 31, size=4097, dtype=np.int32)
        np.testing.assert_array_equal(round_trip(context, data), data)


def test_pops_when_the_block_raises():
    with CudaContext(0) as context:
        with pytest.raises(KeyError):
            with context.activated():
                raise KeyError('inside')
        assert cuda.Context.get_current() is None


def test_created_used_and_closed_in_different_threads(rng):
    data = rng.standard_normal(10001).astype(np.float32)
    made = []
    run_in_thread(lambda: made.append(CudaContext(0)))
    context = made[0]
    np.testing.assert_array_equal(round_trip(context, data), data)

    def use_and_close():
        np.testing.assert_array_equal(round_trip(context, data[::-1].copy()), data[::-1])
        context.close()

    run_in_thread(use_and_close)
    assert context.closed
    with pytest.raises(RuntimeError, match='closed'):
        with context.activated():
            pass


def test_closing_one_context_leaves_another_usable(rng):
    data = rng.integers(0, 255, size=333, dtype=np.uint8)
    first = CudaContext(0)
    second = CudaContext(0)
    first.close()
    np.testing.assert_array_equal(round_trip(second, data), data)
    second.close()


def test_close_is_idempotent():
    context = CudaContext(0)
    context.close()
    context.close()
    assert context.closed
    with pytest.raises(RuntimeError, match='create a new CudaContext'):
        with context.activated():
            pass
