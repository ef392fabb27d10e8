# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
CudaPreprocessor against CpuPreprocessor (OpenCV) on the GPU.

Every encoding, odd and padded frame sizes, upscaling and downscaling, several batch slots,
both output types, the copy and the mapped (zero-copy) staging, other threads and real
photos.  Output buffers are poisoned with NaN first, so an element the kernel never wrote
fails, and slots that were not targeted must still hold the poison.

The CPU path rounds to whole pixel levels after each OpenCV step (11-bit fixed-point resize
weights), the GPU path interpolates in float32, so they agree to one pixel level (1/255 with
the default scale, times 1/std) plus the output type's rounding.
"""

import threading

from cuda_device import cuda  # first: skips this module without pycuda or a CUDA device
import numpy as np
import pytest

from trt_perception.core.image import ENCODINGS, RawImage
from trt_perception.core.preprocess import CpuPreprocessor, PreprocessSpec
from trt_perception.gpu.context import CudaContext
from trt_perception.gpu.preprocess import CudaPreprocessor, LetterboxKernel

pytestmark = pytest.mark.gpu

# One encoding per layout; the aliases (8UC3, uyvy, ...) share the layout's kernel.
LAYOUT_ENCODINGS = ['bgr8', 'rgb8', 'bgra8', 'rgba8', 'mono8', 'yuv422', 'yuv422_yuy2']

# Input widths that are multiples of 4, of 2 only, and odd exercise every vector width.
SPECS = {
    'rgb-float32-640': {'width': 640, 'height': 640},
    'bgr-float16-imagenet': {'width': 320, 'height': 256, 'channel_order': 'bgr',
                             'dtype': 'float16', 'mean': (0.406, 0.456, 0.485),
                             'std': (0.225, 0.224, 0.229)},
    'rgb-float16-pad0-even': {'width': 322, 'height': 190, 'dtype': 'float16', 'pad_value': 0},
    'bgr-float32-raw-odd': {'width': 321, 'height': 207, 'channel_order': 'bgr', 'scale': 1.0,
                            'mean': (104.0, 117.0, 123.0), 'std': (1.0, 2.0, 0.5),
                            'pad_value': 127.5},
    'rgb-float32-tf-legacy-stretch': {'width': 300, 'height': 300, 'resize': 'stretch',
                                      'sampling': 'tf_legacy'},
    'bgr-float32-top-left': {'width': 320, 'height': 256, 'channel_order': 'bgr', 'scale': 1.0,
                             'resize': 'letterbox_top_left'},
}

POISON = float('nan')


@pytest.fixture(scope='module')
def context():
    with CudaContext(0) as ctx:
        yield ctx


def random_frame(rng, encoding: str, width: int, height: int) -> RawImage:
    """Random message bytes (noise, or a gradient with noise) with garbage row padding."""
    bpp = ENCODINGS[encoding].bytes_per_pixel
    step = width * bpp + int(rng.integers(0, 9))
    data = rng.integers(0, 256, (height, step), dtype=np.uint8)
    if rng.integers(2):
        ramp = np.add.outer(np.arange(height) * 255 // max(height, 1),
                            np.arange(step) * 255 // step) // 2
        data = (ramp + data // 2).astype(np.uint8)
    return RawImage.from_buffer(data.tobytes(), width, height, step, encoding)


def random_size(rng, encoding: str, spec: PreprocessSpec):
    """Up to 3x the input size either way, with odd widths where the encoding allows."""
    width = int(rng.integers(1, 3 * spec.width))
    height = int(rng.integers(1, 3 * spec.height))
    if ENCODINGS[encoding].is_yuv422:
        width += width % 2
    return width, height


def cpu_reference(spec: PreprocessSpec, images) -> np.ndarray:
    """Return what CpuPreprocessor writes for `images`, one per slot."""
    with CpuPreprocessor(spec) as pre:
        batch = pre.allocate_batch(len(images))
        for slot, image in enumerate(images):
            pre.run_host(image, batch, slot)
    return batch


def poisoned(context: CudaContext, spec: PreprocessSpec, images: int):
    """Allocate a device NCHW batch of `images` slots, every element NaN."""
    host = np.full((images, 3, spec.height, spec.width), POISON, dtype=spec.numpy_dtype)
    with context.activated():
        memory = cuda.mem_alloc(host.nbytes)
        cuda.memcpy_htod(memory, host)
    return memory


def read(context: CudaContext, memory, spec: PreprocessSpec, images: int,
         stream=None) -> np.ndarray:
    """Wait for `stream` and fetch a device NCHW batch."""
    host = np.empty((images, 3, spec.height, spec.width), dtype=spec.numpy_dtype)
    with context.activated():
        if stream is not None:
            stream.synchronize()
        cuda.memcpy_dtoh(host, memory)
    return host


def free(context: CudaContext, memory) -> None:
    with context.activated():
        memory.free()


def assert_matches(actual: np.ndarray, expected: np.ndarray, spec: PreprocessSpec,
                   what: str) -> float:
    """Check every element to one pixel level plus output rounding; return the worst level."""
    assert not np.isnan(actual).any(), '%s: %d elements never written' % (
        what, int(np.isnan(actual).sum()))
    level = np.abs(spec.per_channel_affine()[0])[:, None, None]
    ref = expected.astype(np.float64)
    rounding = np.abs(ref) * (2.0 ** -10 if spec.dtype == 'float16' else 1e-6)
    error = np.abs(actual.astype(np.float64) - ref)
    excess = error - (level + rounding + 1e-6)
    where = np.unravel_index(np.argmax(excess), error.shape)
    assert excess.max() <= 0, '%s: error %.4g (%.3f levels) at %s: gpu %r cpu %r' % (
        what, error[where], error[where] / level[where[0], 0, 0], where, actual[where],
        expected[where])
    return float((error / level).max())


@pytest.mark.parametrize('spec_name', sorted(SPECS))
@pytest.mark.parametrize('encoding', LAYOUT_ENCODINGS)
def test_matches_cpu_into_external_batch(context, rng, encoding, spec_name):
    """The TensorRT path: a device batch owned by someone else, some slots left alone."""
    spec = PreprocessSpec(**SPECS[spec_name])
    slots = 5
    targets = [int(s) for s in rng.permutation(slots)[:3]]
    even = ENCODINGS[encoding].is_yuv422
    exact = (spec.width + (spec.width % 2 if even else 0), spec.height)
    sizes = [random_size(rng, encoding, spec), exact, random_size(rng, encoding, spec)]
    images = [random_frame(rng, encoding, w, h) for w, h in sizes]
    memory = poisoned(context, spec, slots)
    with CudaPreprocessor(spec, context) as pre:
        for image, slot in zip(images, targets):
            pre.run_device(image, int(memory), slot)
        result = read(context, memory, spec, slots, pre.stream)
    free(context, memory)
    expected = cpu_reference(spec, images)
    worst = 0.0
    for index, (image, slot) in enumerate(zip(images, targets)):
        what = '%s %dx%d step %d -> %s slot %d' % (encoding, image.width, image.height,
                                                   image.step, spec_name, slot)
        worst = max(worst, assert_matches(result[slot], expected[index], spec, what))
    for slot in set(range(slots)) - set(targets):
        assert np.isnan(result[slot]).all(), 'slot %d was not targeted but changed' % slot
    print('%s %s: max difference %.3f pixel levels' % (encoding, spec_name, worst))


@pytest.mark.parametrize('zero_copy', [False, True])
def test_own_batch_and_download(context, rng, zero_copy):
    spec = PreprocessSpec(**SPECS['bgr-float16-imagenet'])
    images = [random_frame(rng, encoding, *random_size(rng, encoding, spec))
              for encoding in ('yuv422_yuy2', 'bgra8', 'mono8')]
    with CudaPreprocessor(spec, context, max_batch=3, zero_copy=zero_copy) as pre:
        assert pre.zero_copy is zero_copy
        assert pre.location == 'device'
        with context.activated():
            cuda.memcpy_htod(pre.device_batch, np.full(
                (3, 3, spec.height, spec.width), POISON, spec.numpy_dtype))
        for slot, image in enumerate(images):
            pre.run_device(image, None, slot)
        host = pre.download(np.empty((3, 3, spec.height, spec.width), spec.numpy_dtype))
        first = pre.download(np.empty((1, 3, spec.height, spec.width), spec.numpy_dtype))
    expected = cpu_reference(spec, images)
    for slot in range(3):
        assert_matches(host[slot], expected[slot], spec, 'slot %d' % slot)
    np.testing.assert_array_equal(first[0], host[0])


def test_mapped_memory_equals_copy(context, rng):
    spec = PreprocessSpec(**SPECS['rgb-float32-640'])
    images = [random_frame(rng, encoding, *random_size(rng, encoding, spec))
              for encoding in LAYOUT_ENCODINGS]
    results = []
    for zero_copy in (False, True):
        memory = poisoned(context, spec, len(images))
        with CudaPreprocessor(spec, context, zero_copy=zero_copy) as pre:
            for slot, image in enumerate(images):
                pre.run_device(image, int(memory), slot)
            results.append(read(context, memory, spec, len(images), pre.stream))
        free(context, memory)
    assert not np.isnan(results[0]).any()
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize('chunk,threads', [(0, 1), (4096, 1), (1 << 20, 4), (0, 3)])
def test_back_to_back_frames_of_changing_size(context, rng, chunk, threads):
    """
    Many frames queued without waiting, growing and shrinking the staging buffers.

    The caller overwrites each message buffer as soon as `run` returns, as a middleware
    reusing its receive buffer would: `run` must have taken its copy by then.
    """
    spec = PreprocessSpec(**SPECS['rgb-float16-pad0-even'])
    sizes = [(64, 48), (1920, 1080), (17, 3), (1280, 720), (2, 1), (3840, 2160), (640, 480)]
    encodings = [str(rng.choice(LAYOUT_ENCODINGS)) for _ in sizes]
    images = [random_frame(rng, e, w + (w % 2 if ENCODINGS[e].is_yuv422 else 0), h)
              for e, (w, h) in zip(encodings, sizes)]
    expected = cpu_reference(spec, images)
    memory = poisoned(context, spec, len(images))
    with CudaPreprocessor(spec, context, copy_chunk_bytes=chunk, copy_threads=threads) as pre:
        for slot, image in enumerate(images):
            buffer = np.array(image.data)
            reused = RawImage(buffer, image.width, image.height, image.encoding)
            pre.run_device(reused, int(memory), slot)
            buffer[...] = rng.integers(0, 256, buffer.shape, dtype=np.uint8)
        result = read(context, memory, spec, len(images), pre.stream)
    free(context, memory)
    for slot, (encoding, image) in enumerate(zip(encodings, images)):
        assert_matches(result[slot], expected[slot], spec, '%s %dx%d slot %d' % (
            encoding, image.width, image.height, slot))


def test_used_from_threads_other_than_its_creator(context, rng):
    spec = PreprocessSpec(**SPECS['rgb-float32-640'])
    images = [random_frame(rng, 'bgr8', *random_size(rng, 'bgr8', spec)) for _ in range(2)]
    made, results, errors = [], [], []

    def guarded(function):
        def body():
            try:
                function()
            except BaseException as exc:  # re-raised in the test's thread below
                errors.append(exc)
        return body

    def create():
        made.append(CudaPreprocessor(spec, context, max_batch=2))

    def use():
        for slot, image in enumerate(images):
            made[0].run_device(image, None, slot)
        results.append(made[0].download(
            np.empty((2, 3, spec.height, spec.width), spec.numpy_dtype)))
        made[0].close()

    for step in (create, use):
        worker = threading.Thread(target=guarded(step))
        worker.start()
        worker.join()
        if errors:
            raise errors[0]
    expected = cpu_reference(spec, images)
    for slot in range(2):
        assert_matches(results[0][slot], expected[slot], spec, 'slot %d' % slot)


def test_queues_on_the_stream_it_is_given(context, rng):
    spec = PreprocessSpec(**SPECS['bgr-float32-raw-odd'])
    image = random_frame(rng, 'yuv422', *random_size(rng, 'yuv422', spec))
    with context.activated():
        stream = cuda.Stream()
    memory = poisoned(context, spec, 1)
    with CudaPreprocessor(spec, context, stream=stream) as pre:
        assert pre.stream is stream
        pre.run_device(image, int(memory))
        result = read(context, memory, spec, 1, stream)
    free(context, memory)
    assert_matches(result[0], cpu_reference(spec, [image])[0], spec, 'given stream')
    with context.activated():
        stream.synchronize()
        del stream


def test_vector_widths_agree_bit_for_bit(context, rng):
    spec = PreprocessSpec(width=644, height=300)
    image = random_frame(rng, 'rgba8', 1001, 777)
    box = CpuPreprocessor(spec).letterbox_for(image.width, image.height)
    outputs = []
    with context.activated():
        source = cuda.mem_alloc(image.data.nbytes)
        cuda.memcpy_htod(source, np.ascontiguousarray(image.data))
        for pixels in (1, 2, 4):
            kernel = LetterboxKernel(spec, context, pixels_per_thread=pixels)
            memory = poisoned(context, spec, 1)
            kernel.launch(image, box, int(source), int(memory), None)
            outputs.append(read(context, memory, spec, 1))
            memory.free()
            kernel.close()
        source.free()
    assert not np.isnan(outputs[0]).any()
    for other in outputs[1:]:
        np.testing.assert_array_equal(other, outputs[0])


def test_real_photos(context):
    skimage_data = pytest.importorskip('skimage.data', reason='real photos come from skimage')
    photos = [getattr(skimage_data, name)() for name in ('astronaut', 'chelsea', 'coffee')]
    spec = PreprocessSpec(**SPECS['rgb-float32-640'])
    for rgb in photos:
        height, width = rgb.shape[:2]
        grey = (rgb.astype(np.float64) @ [0.299, 0.587, 0.114]).round().astype(np.uint8)
        # BT.601 video range with the chroma of each pixel pair averaged, as cameras send it.
        even = width - width % 2
        f = rgb[:, :even].astype(np.float64).reshape(height, even // 2, 2, 3)
        y = 16 + f @ [65.481 / 255, 128.553 / 255, 24.966 / 255]
        u = 128 + f.mean(axis=2) @ [-37.797 / 255, -74.203 / 255, 112.0 / 255]
        v = 128 + f.mean(axis=2) @ [112.0 / 255, -93.786 / 255, -18.214 / 255]
        uyvy = np.stack([u, y[..., 0], v, y[..., 1]], axis=-1).reshape(height, even, 2)
        uyvy = np.clip(uyvy.round(), 0, 255).astype(np.uint8)
        images = [RawImage.from_array(rgb[..., ::-1], 'bgr8'),
                  RawImage.from_array(rgb, 'rgb8'),
                  RawImage.from_array(grey, 'mono8'),
                  RawImage.from_array(uyvy, 'yuv422')]
        memory = poisoned(context, spec, len(images))
        with CudaPreprocessor(spec, context) as pre:
            for slot, image in enumerate(images):
                pre.run_device(image, int(memory), slot)
            result = read(context, memory, spec, len(images), pre.stream)
        free(context, memory)
        expected = cpu_reference(spec, images)
        for slot, image in enumerate(images):
            assert_matches(result[slot], expected[slot], spec, '%dx%d photo as %s' % (
                width, height, image.encoding.name))


def test_rejects_bad_arguments(context, rng):
    spec = PreprocessSpec(**SPECS['rgb-float32-640'])
    image = random_frame(rng, 'bgr8', 32, 24)
    with pytest.raises(ValueError, match='max_batch'):
        CudaPreprocessor(spec, context, max_batch=0)
    with pytest.raises(ValueError, match='copy_threads'):
        CudaPreprocessor(spec, context, copy_threads=0)
    pre = CudaPreprocessor(spec, context, max_batch=2)
    with pytest.raises(IndexError, match='max_batch=2'):
        pre.run_device(image, None, 2)
    with pytest.raises(IndexError, match='non-negative'):
        pre.run_device(image, None, -1)
    with pytest.raises(TypeError, match='download'):
        pre.run_device(image, np.zeros((1, 3, 640, 640), np.float32))
    with pytest.raises(ValueError, match='aligned'):
        pre.run_device(image, pre.device_batch + 4)
    with pytest.raises(TypeError, match='RawImage'):
        pre.run_device(image.data, None)
    with pytest.raises(ValueError, match='1 <= N <= 2'):
        pre.download(np.empty((3, 3, 640, 640), np.float32))
    with pytest.raises(ValueError, match='float32'):
        pre.download(np.empty((1, 3, 640, 640), np.float16))
    pre.close()
    pre.close()
    with pytest.raises(RuntimeError, match='closed'):
        pre.run_device(image, None)
