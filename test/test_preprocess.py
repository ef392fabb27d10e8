# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
CpuPreprocessor against an independent float64 numpy reference and the cv2.dnn peer.

The reference decodes the message bytes itself, samples bilinearly with half-pixel centres and
edge clamping, pads and normalises in float64; it never calls cv2.resize or cv2.cvtColor.
cv2.resize on uint8 rounds to whole levels with 11-bit fixed-point weights, which keeps it
within 0.9 of a level of the exact bilinear value (measured below), so the preprocessor must
agree with the reference to one pixel level (1/255 after the default scale) per element.
"""


import cv2
import numpy as np
import pytest
import skimage.data

from trt_perception.core import preprocess
from trt_perception.core.image import ENCODINGS, RawImage
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.preprocess import (CpuPreprocessor, DevicePreprocessor, HostPreprocessor,
                                            Preprocessor, PreprocessSpec)

# What each sensor_msgs/Image encoding means (sensor_msgs/image_encodings.hpp, cv_bridge),
# written out here rather than read from image.py so that table is checked too.
SEMANTICS = {
    'bgr8': 'bgr', 'rgb8': 'rgb', 'bgra8': 'bgra', 'rgba8': 'rgba', 'mono8': 'y',
    '8UC1': 'y', '8UC3': 'bgr', '8UC4': 'bgra',
    'yuv422': 'uyvy', 'uyvy': 'uyvy', 'yuv422_yuy2': 'yuyv', 'yuyv': 'yuyv',
}
BYTES_PER_PIXEL = {'bgr': 3, 'rgb': 3, 'bgra': 4, 'rgba': 4, 'y': 1, 'uyvy': 2, 'yuyv': 2}

# OpenCV's BT.601 video-range YUV -> RGB (modules/imgproc/src/color_yuv.simd.hpp): the
# coefficients 1.164, 1.596, -0.813, -0.391, 2.018 in 20-bit fixed point, round half up, and
# Y below 16 treated as 16.
CY, CVR, CVG, CUG, CUB, SHIFT = 1220542, 1673527, -852492, -409993, 2116026, 20

SPECS = {
    'rgb-float32': {'channel_order': 'rgb'},
    'rgb-float32-stretch': {'channel_order': 'rgb', 'resize': 'stretch', 'mean': (0.5,) * 3,
                            'std': (0.5,) * 3},
    'bgr-float16-imagenet': {'channel_order': 'bgr', 'dtype': 'float16',
                             'mean': (0.406, 0.456, 0.485), 'std': (0.225, 0.224, 0.229)},
    'rgb-float16-pad0': {'channel_order': 'rgb', 'dtype': 'float16', 'pad_value': 0},
    'bgr-float32-raw': {'channel_order': 'bgr', 'scale': 1.0, 'mean': (104.0, 117.0, 123.0),
                        'std': (1.0, 2.0, 0.5), 'pad_value': 127.5},
}


def yuv422_to_rgb(rows: np.ndarray, width: int, layout: str) -> np.ndarray:
    """Convert packed yuv422 rows to float64 RGB with OpenCV's integer BT.601 formula."""
    quads = rows[:, :width * 2].astype(np.int64).reshape(rows.shape[0], width // 2, 4)
    if layout == 'uyvy':
        u, y0, v, y1 = (quads[..., k] for k in range(4))
    else:
        y0, u, y1, v = (quads[..., k] for k in range(4))
    y = np.maximum(np.stack([y0, y1], axis=-1) - 16, 0) * CY
    u = (u - 128)[..., None]
    v = (v - 128)[..., None]
    half = 1 << (SHIFT - 1)
    r = (y + CVR * v + half) >> SHIFT
    g = (y + CVG * v + CUG * u + half) >> SHIFT
    b = (y + CUB * u + half) >> SHIFT
    rgb = np.clip(np.stack([r, g, b], axis=-1), 0, 255)
    return rgb.reshape(rows.shape[0], width, 3).astype(np.float64)


def decode(data: np.ndarray, width: int, height: int, encoding: str) -> np.ndarray:
    """Decode the message bytes to float64 (height, width, 3) RGB."""
    layout = SEMANTICS[encoding]
    rows = np.asarray(data, dtype=np.uint8).reshape(height, -1)
    if layout in ('uyvy', 'yuyv'):
        return yuv422_to_rgb(rows, width, layout)
    bpp = BYTES_PER_PIXEL[layout]
    pixels = rows[:, :width * bpp].reshape(height, width, bpp).astype(np.float64)
    if layout == 'y':
        return np.repeat(pixels, 3, axis=2)
    return pixels[..., [layout.index(c) for c in 'rgb']]


def bilinear(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resample (H, W, C) float64 with half-pixel centres and edge clamping."""
    src_h, src_w = image.shape[:2]
    sx = np.clip((np.arange(width) + 0.5) * (src_w / width) - 0.5, 0, src_w - 1)
    sy = np.clip((np.arange(height) + 0.5) * (src_h / height) - 0.5, 0, src_h - 1)
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    x1 = np.minimum(x0 + 1, src_w - 1)
    y1 = np.minimum(y0 + 1, src_h - 1)
    fx = (sx - x0)[None, :, None]
    fy = (sy - y0)[:, None, None]
    top = image[y0][:, x0] * (1 - fx) + image[y0][:, x1] * fx
    bottom = image[y1][:, x0] * (1 - fx) + image[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def geometry(width: int, height: int, spec: PreprocessSpec) -> Letterbox:
    """Letterbox, or for 'stretch' the whole input with no padding."""
    if spec.resize == 'stretch':
        return Letterbox(width, height, spec.width, spec.height, spec.width, spec.height, 0, 0,
                         min(spec.width / width, spec.height / height))
    return Letterbox.fit(width, height, spec.width, spec.height)


def reference(rgb: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Letterboxed, normalised (3, height, width) float64 from float64 RGB pixels."""
    pixels = rgb if spec.channel_order == 'rgb' else rgb[..., ::-1]
    box = geometry(rgb.shape[1], rgb.shape[0], spec)
    canvas = np.full((spec.height, spec.width, 3), float(spec.pad_value))
    canvas[box.pad_top:box.pad_top + box.resized_height,
           box.pad_left:box.pad_left + box.resized_width] = bilinear(
               pixels, box.resized_width, box.resized_height)
    normalised = (canvas * spec.scale - np.array(spec.mean)) / np.array(spec.std)
    return normalised.transpose(2, 0, 1)


def assert_close(actual: np.ndarray, expected: np.ndarray, spec: PreprocessSpec,
                 what: str) -> float:
    """Check to one pixel level plus the output type's rounding; return the error in levels."""
    level = spec.scale / np.array(spec.std)[:, None, None]
    rounding = np.abs(expected) * (2.0 ** -10 if spec.dtype == 'float16' else 1e-6)
    error = np.abs(actual.astype(np.float64) - expected)
    excess = error - (level + rounding + 1e-6)
    assert excess.max() <= 0, '%s: error %.4g at %s exceeds the tolerance' % (
        what, error.max(), np.unravel_index(np.argmax(excess), error.shape))
    return float((error / level).max())


def random_frame(rng, encoding: str, width: int, height: int, padded: bool) -> RawImage:
    """Random message bytes; padded rows carry garbage after the pixels."""
    row = width * BYTES_PER_PIXEL[SEMANTICS[encoding]]
    step = row + (int(rng.integers(1, 40)) if padded else 0)
    data = rng.integers(0, 256, (height, step), dtype=np.uint8)
    if rng.integers(2):
        # Smooth content as well as worst-case noise.
        data[:, :row] = cv2.GaussianBlur(data[:, :row], (0, 0), 2.0)
    buffer = data.tobytes() if rng.integers(2) else data
    return RawImage.from_buffer(buffer, width, height, step, encoding)


def frame_sizes(rng, encoding: str, spec: PreprocessSpec):
    even = SEMANTICS[encoding] in ('uyvy', 'yuyv')
    sizes = [(spec.width, spec.height), (2 * spec.width, 2 * spec.height), (2, 1), (2, 3)]
    for _ in range(5):
        w, h = (int(v) for v in rng.integers(1, 400, 2))
        if not even and rng.integers(2):
            w |= 1
        sizes.append((w, h))
    return [(w + (w % 2 if even else 0), h) for w, h in sizes]


def test_encoding_table_matches_sensor_msgs():
    assert set(SEMANTICS) == set(ENCODINGS)
    for name, layout in SEMANTICS.items():
        assert ENCODINGS[name].bytes_per_pixel == BYTES_PER_PIXEL[layout], name


@pytest.mark.parametrize('layout', ['uyvy', 'yuyv'])
def test_reference_yuv_is_exactly_opencv(rng, layout):
    """Validate the reference: bit-exact with cv2.cvtColor for every (U, V) pair."""
    u, v = (a.ravel() for a in np.meshgrid(np.arange(256), np.arange(256)))
    y0 = rng.integers(0, 256, u.size)
    y1 = np.arange(u.size) % 256
    order = (u, y0, v, y1) if layout == 'uyvy' else (y0, u, y1, v)
    rows = np.stack(order, axis=-1).astype(np.uint8).reshape(256, 1024)
    rgb = yuv422_to_rgb(rows, 512, layout)
    code = getattr(cv2, 'COLOR_YUV2RGB_%s' % layout.upper())
    np.testing.assert_array_equal(rgb, cv2.cvtColor(rows.reshape(256, 512, 2), code))
    # The textbook float formula is the same conversion before OpenCV rounds to uint8: within
    # half a level, once Y below 16 is clamped as OpenCV does (without the clamp, up to 19).
    luma = np.maximum(np.stack([y0, y1], axis=-1) - 16, 0) * 1.164
    cb, cr = (u - 128.0)[:, None], (v - 128.0)[:, None]
    textbook = np.stack([luma + 1.596 * cr, luma - 0.813 * cr - 0.391 * cb, luma + 2.018 * cb],
                        axis=-1)
    textbook = np.clip(textbook, 0, 255).reshape(256, 512, 3)
    assert np.abs(textbook - rgb).max() <= 0.5 + 1e-3


def test_cv2_resize_error_is_under_one_level(rng):
    """The premise of the 1/255 tolerance: uint8 INTER_LINEAR stays within a level."""
    worst = 0.0
    for _ in range(60):
        src_w, src_h, dst_w, dst_h = (int(v) for v in rng.integers(1, 300, 4))
        # Black/white noise maximises the effect of the fixed-point weights.
        image = rng.integers(0, 2, (src_h, src_w, 3), dtype=np.uint8) * 255
        got = cv2.resize(image, (dst_w, dst_h), interpolation=cv2.INTER_LINEAR)
        error = np.abs(got.reshape(dst_h, dst_w, 3) - bilinear(image.astype(float), dst_w, dst_h))
        worst = max(worst, float(error.max()))
    assert worst < 0.95


@pytest.mark.parametrize('spec_name', sorted(SPECS))
@pytest.mark.parametrize('encoding', sorted(ENCODINGS))
def test_matches_reference(rng, encoding, spec_name):
    spec = PreprocessSpec(int(rng.integers(32, 200)), int(rng.integers(32, 200)),
                          **SPECS[spec_name])
    worst = 0.0
    with CpuPreprocessor(spec) as pre:
        batch = pre.allocate_batch(3)
        for i, (width, height) in enumerate(frame_sizes(rng, encoding, spec)):
            image = random_frame(rng, encoding, width, height, padded=bool(i % 2))
            slot = int(rng.integers(3))
            batch[...] = -7.0
            box = pre.run_host(image, batch, slot)
            assert box == geometry(width, height, spec)
            expected = reference(decode(image.data, width, height, encoding), spec)
            what = '%s %dx%d step %d -> %s slot %d' % (
                encoding, width, height, image.step, spec, slot)
            worst = max(worst, assert_close(batch[slot], expected, spec, what))
            others = np.delete(batch, slot, axis=0)
            assert np.all(others == -7.0), 'other slots changed: ' + what
    print('%s %s: max error %.3f pixel levels' % (encoding, spec_name, worst))


@pytest.mark.parametrize('photo', ['astronaut', 'chelsea', 'coffee'])
def test_real_photos_in_every_encoding(photo):
    rgb = getattr(skimage.data, photo)()
    height, width = rgb.shape[:2]
    # BT.601 video-range encoding with pairwise chroma, the way cameras produce yuv422
    # (chelsea is 451 pixels wide: yuv422 gets the even part).
    even = width - width % 2
    f = rgb[:, :even].astype(np.float64)
    y = 16 + (65.481 * f[..., 0] + 128.553 * f[..., 1] + 24.966 * f[..., 2]) / 255
    u = 128 + (-37.797 * f[..., 0] - 74.203 * f[..., 1] + 112.0 * f[..., 2]) / 255
    v = 128 + (112.0 * f[..., 0] - 93.786 * f[..., 1] - 18.214 * f[..., 2]) / 255
    u = u.reshape(height, even // 2, 2).mean(axis=2)
    v = v.reshape(height, even // 2, 2).mean(axis=2)
    y = y.reshape(height, even // 2, 2)
    to8 = lambda a: np.clip(np.round(a), 0, 255).astype(np.uint8)  # noqa: E731
    grey = to8(rgb.astype(np.float64) @ [0.299, 0.587, 0.114])
    alpha = np.full((height, width, 1), 200, np.uint8)
    arrays = {
        'rgb': rgb, 'bgr': rgb[..., ::-1], 'rgba': np.concatenate([rgb, alpha], axis=2),
        'bgra': np.concatenate([rgb[..., ::-1], alpha], axis=2), 'y': grey,
        'uyvy': to8(np.stack([u, y[..., 0], v, y[..., 1]], -1)).reshape(height, even, 2),
        'yuyv': to8(np.stack([y[..., 0], u, y[..., 1], v], -1)).reshape(height, even, 2),
    }
    for spec in (PreprocessSpec(640, 640), PreprocessSpec(320, 256, **SPECS[
            'bgr-float16-imagenet'])):
        pre = CpuPreprocessor(spec)
        batch = pre.allocate_batch(1)
        for encoding in sorted(ENCODINGS):
            image = RawImage.from_array(arrays[SEMANTICS[encoding]], encoding)
            pre.run_host(image, batch)
            expected = reference(decode(image.data, image.width, height, encoding), spec)
            error = assert_close(batch[0], expected, spec, '%s as %s' % (photo, encoding))
            print('%s as %s, %s: max error %.3f pixel levels' % (photo, encoding, spec.dtype,
                                                                 error))
            if SEMANTICS[encoding] in ('rgb', 'bgr', 'rgba', 'bgra'):
                # The photo itself, not only its decoding, reaches the network input.
                assert_close(batch[0], reference(rgb.astype(np.float64), spec), spec, photo)


@pytest.mark.parametrize('dtype', ['float32', 'float16'])
def test_float32_fallback_writer(rng, monkeypatch, dtype):
    """The path taken where OpenCV cannot write the output type in place (OpenCV 4.1)."""
    monkeypatch.setattr(preprocess, '_writes_in_place', lambda writer, dtype: False)
    spec = PreprocessSpec(96, 80, **dict(SPECS['bgr-float16-imagenet'], dtype=dtype))
    pre = CpuPreprocessor(spec)
    batch = pre.allocate_batch(2)
    for encoding in ('bgr8', 'mono8', 'yuyv'):
        image = random_frame(rng, encoding, 150, 64, padded=True)
        pre.run_host(image, batch, 1)
        expected = reference(decode(image.data, 150, 64, encoding), spec)
        assert_close(batch[1], expected, spec, encoding)


def test_matches_cv2_dnn_blob_letterbox(rng):
    """Against the peer: cv2.resize + copyMakeBorder + cv2.dnn.blobFromImage."""
    frame = cv2.GaussianBlur(rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8), (0, 0), 2)
    pre = CpuPreprocessor(PreprocessSpec(640, 640))
    batch = pre.allocate_batch(1)
    box = pre.run_host(RawImage.from_array(frame, 'bgr8'), batch)
    resized = cv2.resize(frame, (box.resized_width, box.resized_height),
                         interpolation=cv2.INTER_LINEAR)
    padded = cv2.copyMakeBorder(resized, box.pad_top, box.pad_bottom, box.pad_left,
                                box.pad_right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    blob = cv2.dnn.blobFromImage(padded, 1 / 255.0, (640, 640), swapRB=True, crop=False)
    np.testing.assert_allclose(batch, blob, rtol=0, atol=1e-6)


def test_spec_affine_and_defaults(rng):
    spec = PreprocessSpec(640, 480, mean=[0.1, 0.2, 0.3], std=(0.5, 0.25, 2))
    assert (spec.channel_order, spec.pad_value, spec.dtype) == ('rgb', 114, 'float32')
    assert spec.mean == (0.1, 0.2, 0.3) and spec.std == (0.5, 0.25, 2.0)
    gain, bias = spec.per_channel_affine()
    assert gain.dtype == bias.dtype == np.float64 and gain.shape == bias.shape == (3,)
    x = rng.uniform(0, 255, (100, 3))
    np.testing.assert_allclose(x * gain + bias, (x * spec.scale - spec.mean) / spec.std)


@pytest.mark.parametrize('kwargs, message', [
    ({'width': 0}, r'width must be a positive integer.*0'),
    ({'height': 32.0}, r'height must be a positive integer.*32\.0'),
    ({'channel_order': 'RGB'}, r"channel_order must be one of rgb, bgr, got 'RGB'"),
    ({'pad_value': 256}, r'pad_value .* 0 and 255.*256'),
    ({'pad_value': float('nan')}, r'pad_value.*nan'),
    ({'scale': 0}, r'scale must be a positive.*0'),
    ({'mean': (0, 0)}, r'mean must be three finite numbers.*\(0, 0\)'),
    ({'std': (1, 0, 1)}, r'std must be three positive numbers.*\(1, 0, 1\)'),
    ({'std': 'abc'}, r"std must be three finite numbers.*'abc'"),
    ({'dtype': 'float64'}, r"dtype must be one of float32, float16, got 'float64'"),
])
def test_spec_rejects_bad_values(kwargs, message):
    args = {'width': 64, 'height': 64}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        PreprocessSpec(**args)


def test_bad_outputs_and_slots_are_rejected(rng):
    pre = CpuPreprocessor(PreprocessSpec(64, 48))
    image = random_frame(rng, 'bgr8', 30, 20, padded=False)
    good = pre.allocate_batch(2)
    assert good.shape == (2, 3, 48, 64) and good.dtype == np.float32
    for bad in (np.zeros((2, 3, 64, 48), np.float32), np.zeros((3, 48, 64), np.float32),
                np.zeros((1, 4, 48, 64), np.float32), good.tolist()):
        with pytest.raises(ValueError, match=r'shape \(N, 3, 48, 64\).*allocate_batch'):
            pre.run_host(image, bad)
    with pytest.raises(ValueError, match='dtype float16 but the spec says float32'):
        pre.run_host(image, good.astype(np.float16))
    readonly = good.copy()
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match='read-only: True'):
        pre.run_host(image, readonly)
    with pytest.raises(ValueError, match='C-contiguous: False'):
        pre.run_host(image, np.asfortranarray(good))
    for slot in (2, -1, 1.0, True):
        with pytest.raises(IndexError, match=r'slot %r is out of range.*0\.\.1' % slot):
            pre.run_host(image, good, slot)
    with pytest.raises(TypeError, match='RawImage'):
        pre.run_host(image.data, good)
    for size in (0, -1, 2.0):
        with pytest.raises(ValueError, match='batch_size must be a positive integer'):
            pre.allocate_batch(size)
    with pytest.raises(TypeError, match='PreprocessSpec'):
        CpuPreprocessor((64, 48))


def test_preprocessor_interface():
    spec = PreprocessSpec(640, 640)
    with CpuPreprocessor(spec) as pre:
        assert isinstance(pre, Preprocessor) and pre.location == 'host' and pre.spec is spec
        assert pre.letterbox_for(1920, 1080) == Letterbox.fit(1920, 1080, 640, 640)
        assert pre.letterbox_for(1920, 1080) is pre.letterbox_for(1920, 1080)
    for abstract in (Preprocessor, HostPreprocessor, DevicePreprocessor):
        with pytest.raises(TypeError):
            abstract(spec)


def test_a_camera_changing_resolution_keeps_a_bounded_set_of_buffers():
    # Issue 12: 20 yuv422 sizes near 2048x1536 left about 200 MB of work buffers behind.
    tracemalloc = pytest.importorskip('tracemalloc')
    pre = CpuPreprocessor(PreprocessSpec(width=320, height=320))
    out = pre.allocate_batch(1)
    frames = []
    for k in range(20):
        width, height = 2048 - 16 * k, 1536 - 8 * k
        frames.append(RawImage.from_buffer(np.full(width * 2 * height, 128, np.uint8), width,
                                           height, width * 2, 'yuv422'))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for frame in frames:
            pre.run_host(frame, out, 0)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    one_frame = 2048 * 1536 * 3
    assert kept <= preprocess.SCRATCH_BYTES + one_frame, kept / 2 ** 20
    pre.close()


def test_scratch_buffers_release_the_least_recently_used_first():
    from trt_perception.core.scratch import ScratchBuffers
    buffers = ScratchBuffers(max_bytes=300)
    a = buffers.get('a', (100,))
    b = buffers.get('b', (100,))
    assert buffers.get('a', (100,)) is a
    buffers.get('c', (150,))
    assert buffers.nbytes == 250 and buffers.get('a', (100,)) is a
    assert buffers.get('b', (100,)) is not b
    huge = buffers.get('huge', (1000,))
    assert buffers.nbytes == huge.nbytes == 1000
    buffers.clear()
    assert buffers.nbytes == 0


def tf1_resize_bilinear(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """
    Resize as TensorFlow 1's ``resize_bilinear`` (no corner alignment or half-pixel), float64.

    Source position = destination x (source size / destination size), no half-pixel offset;
    neighbours floor and min(ceil, size - 1); top and bottom rows interpolated along x first.
    """
    src = image.astype(np.float64)
    out = np.empty((height, width) + image.shape[2:])
    scale_y, scale_x = image.shape[0] / height, image.shape[1] / width
    for y in range(height):
        in_y = y * scale_y
        y0, y1 = int(np.floor(in_y)), min(int(np.ceil(in_y)), image.shape[0] - 1)
        dy = in_y - np.floor(in_y)
        for x in range(width):
            in_x = x * scale_x
            x0, x1 = int(np.floor(in_x)), min(int(np.ceil(in_x)), image.shape[1] - 1)
            dx = in_x - np.floor(in_x)
            top = src[y0, x0] + (src[y0, x1] - src[y0, x0]) * dx
            bottom = src[y1, x0] + (src[y1, x1] - src[y1, x0]) * dx
            out[y, x] = top + (bottom - top) * dy
    return out


@pytest.mark.parametrize('photo, size', [('astronaut', (300, 300)), ('coffee', (300, 300)),
                                         ('chelsea', (97, 61)), ('camera', (640, 480))])
def test_tf_legacy_sampling_equals_tensorflow1_resize_bilinear(photo, size):
    image = getattr(skimage.data, photo)()
    if image.ndim == 2:
        image = np.dstack([image] * 3)
    width, height = size
    spec = PreprocessSpec(width=width, height=height, resize='stretch', sampling='tf_legacy',
                          scale=1.0)
    with CpuPreprocessor(spec) as pre:
        out = pre.allocate_batch(1)
        pre.run_host(RawImage.from_array(np.ascontiguousarray(image), 'rgb8'), out)
    expected = tf1_resize_bilinear(image, height, width).transpose(2, 0, 1)
    # TensorFlow (and we) compute source positions in float32: about 1e-5 px off the float64
    # oracle's, a hundredth of a level where neighbours differ by 255.
    np.testing.assert_allclose(out[0], expected, atol=1e-2)
    # Half-pixel sampling (OpenCV's) is a different image: the convention matters.
    half = PreprocessSpec(width=width, height=height, resize='stretch', scale=1.0)
    with CpuPreprocessor(half) as pre:
        other = pre.allocate_batch(1)
        pre.run_host(RawImage.from_array(np.ascontiguousarray(image), 'rgb8'), other)
    assert np.abs(other[0] - expected).max() > 10


def test_tf_legacy_sampling_is_float16_ready_and_validated():
    spec = PreprocessSpec(width=32, height=16, sampling='tf_legacy', dtype='float16')
    with CpuPreprocessor(spec) as pre:
        out = pre.allocate_batch(1)
        pre.run_host(RawImage.from_array(np.full((50, 70, 3), 200, np.uint8), 'bgr8'), out)
    assert out.dtype == np.float16
    # 70x50 letterboxed into 32x16: 22 columns of picture after 5 of padding.
    np.testing.assert_allclose(out[0, :, :, 5:27].astype(np.float64), 200 / 255, atol=1e-3)
    np.testing.assert_allclose(out[0, :, :, :5].astype(np.float64), 114 / 255, atol=1e-3)
    with pytest.raises(ValueError, match='sampling must be one of half_pixel, tf_legacy'):
        PreprocessSpec(width=32, height=16, sampling='nearest')


@pytest.mark.parametrize('photo, size', [('astronaut', (320, 320)), ('coffee', (320, 320)),
                                         ('chelsea', (416, 256)), ('rocket', (321, 207)),
                                         ('camera', (640, 640))])
@pytest.mark.parametrize('resize', ['letterbox', 'stretch', 'letterbox_top_left'])
def test_pixels_equal_ultralytics_letterbox(photo, size, resize):
    augment = pytest.importorskip('ultralytics.data.augment')
    image = getattr(skimage.data, photo)()
    if image.ndim == 2:
        image = np.dstack([image] * 3)
    bgr = np.ascontiguousarray(image[:, :, ::-1])
    width, height = size
    # What Ultralytics' predictor does before inference: LetterBox, BGR to RGB, / 255.
    # RT-DETR's predictor stretches (scale_fill=True).
    reference = augment.LetterBox((height, width), auto=False, scale_fill=resize == 'stretch',
                                  center=resize != 'letterbox_top_left')(image=bgr)
    expected = reference[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255
    with CpuPreprocessor(PreprocessSpec(width=width, height=height, resize=resize)) as pre:
        out = pre.allocate_batch(1)
        pre.run_host(RawImage.from_array(bgr, 'bgr8'), out)
    # The same pixel levels; x * (1 / 255) and x / 255 differ in the last float32 bit.
    np.testing.assert_array_equal(np.rint(out[0] * 255), expected * 255)
    np.testing.assert_allclose(out[0], expected, rtol=0, atol=1e-7)
