# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Turning camera frames into normalised NCHW network input, and the CPU implementation.

Every preprocessor does the same steps, so CPU and GPU results agree to rounding:

1. colour conversion to the model's channel order (yuv422 exactly as OpenCV's ``cvtColor``,
   mono replicated to three channels),
2. bilinear resize to the letterbox size as ``cv2.resize(..., INTER_LINEAR)`` does (pixel
   centres at half-pixel offsets), or, for models trained so (`PreprocessSpec.sampling`
   'tf_legacy'), as TensorFlow 1's ``resize_bilinear`` does (source = destination x scale, no
   half-pixel offset, results kept in float),
3. padding with `PreprocessSpec.pad_value`,
4. ``y = x * gain + bias`` per channel (`PreprocessSpec.per_channel_affine`), written NCHW.
"""

import abc
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import cv2
import numpy as np

from trt_perception.core.checks import is_int, is_real, positive_int, three_numbers
from trt_perception.core.image import ENCODINGS, RawImage
from trt_perception.core.letterbox import Letterbox
from trt_perception.core.scratch import ScratchBuffers

CHANNEL_ORDERS = ('rgb', 'bgr')
DTYPES = ('float32', 'float16')
RESIZE_MODES = ('letterbox', 'stretch', 'letterbox_top_left')
SAMPLINGS = ('half_pixel', 'tf_legacy')
"""Where a resize samples the source: at half-pixel centres (OpenCV, PyTorch, TensorFlow 2) or
at destination x scale (TensorFlow 1's resize_bilinear, in the graphs of its detection zoo)."""

# OpenCV 4.1's Python bindings (JetPack 4.6) do not name CV_16F, and its addWeighted crashes
# on the raw depth (7): without the name, float16 output always goes through float32.
_CV_DEPTHS = {'float32': cv2.CV_32F, 'float16': getattr(cv2, 'CV_16F', None)}
# Frames of a few distinct sizes are normal (several cameras per worker); anything beyond
# this many is a misbehaving source and the caches start over rather than grow.
_CACHE_ENTRIES = 8
# Work buffers kept between frames: a 1080p yuv422 frame needs about 6 MB of them, so a few
# cameras' sizes fit; frames of ever-changing sizes release older buffers instead of piling up.
SCRATCH_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class PreprocessSpec:
    """
    What the network expects: input size, channel order, padding and normalisation.

    Normalisation is ``y = (x * scale - mean) / std`` per channel, with `mean` and `std` in
    the model's channel order and `x` the 0..255 pixel value.
    """

    width: int
    height: int
    channel_order: str = 'rgb'
    pad_value: float = 114
    scale: float = 1.0 / 255.0
    mean: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    dtype: str = 'float32'
    resize: str = 'letterbox'
    """'letterbox' keeps the aspect ratio and pads evenly around the frame; 'letterbox_top_left'
    pads only after it (YOLOX); 'stretch' fills the input, as some models (the TensorFlow SSDs,
    RT-DETR, D-FINE) were trained."""
    sampling: str = 'half_pixel'
    """One of `SAMPLINGS`: how the resize samples the source, as the model was trained."""

    def __post_init__(self) -> None:
        """Validate every field, naming the bad value; store mean and std as float tuples."""
        for name in ('width', 'height'):
            object.__setattr__(self, name, positive_int(
                name, getattr(self, name), ' (the network input size in pixels)'))
        if self.channel_order not in CHANNEL_ORDERS:
            raise ValueError('channel_order must be one of %s, got %r'
                             % (', '.join(CHANNEL_ORDERS), self.channel_order))
        if not is_real(self.pad_value) or not 0 <= self.pad_value <= 255:
            raise ValueError('pad_value must be a pixel value between 0 and 255 (before '
                             'normalisation), got %r' % (self.pad_value,))
        if not is_real(self.scale) or self.scale <= 0:
            raise ValueError('scale must be a positive finite number (1/255 maps pixels to '
                             '0..1), got %r' % (self.scale,))
        mean = three_numbers('mean', self.mean)
        std = three_numbers('std', self.std)
        if not all(s > 0 for s in std):
            raise ValueError('std must be three positive numbers, got %r' % (self.std,))
        if self.dtype not in DTYPES:
            raise ValueError('dtype must be one of %s, got %r'
                             % (', '.join(DTYPES), self.dtype))
        if self.resize not in RESIZE_MODES:
            raise ValueError('resize must be one of %s, got %r'
                             % (', '.join(RESIZE_MODES), self.resize))
        if self.sampling not in SAMPLINGS:
            raise ValueError('sampling must be one of %s, got %r'
                             % (', '.join(SAMPLINGS), self.sampling))
        object.__setattr__(self, 'mean', mean)
        object.__setattr__(self, 'std', std)

    @property
    def numpy_dtype(self) -> np.dtype:
        """Element type of the network input, as a numpy dtype."""
        return np.dtype(self.dtype)

    def per_channel_affine(self) -> Tuple[np.ndarray, np.ndarray]:
        """Return (gain, bias), float64 arrays of 3, with ``y = x * gain + bias`` per channel."""
        std = np.asarray(self.std, dtype=np.float64)
        gain = self.scale / std
        bias = -np.asarray(self.mean, dtype=np.float64) / std
        return gain, bias


class Preprocessor(abc.ABC):
    """
    Letterboxes and normalises one frame into one slot of an NCHW batch.

    Where the batch lives decides the entry point: a `HostPreprocessor` writes numpy arrays
    (`run_host`), a `DevicePreprocessor` GPU memory (`run_device`).  Instances keep per-size
    caches and scratch buffers, so they are not thread-safe: use one preprocessor per worker
    thread.
    """

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the output batch lives, for logs: 'host' or 'device'."""

    def __init__(self, spec: PreprocessSpec) -> None:
        """Preprocess for `spec`."""
        if not isinstance(spec, PreprocessSpec):
            raise TypeError('spec must be a PreprocessSpec, got %s' % type(spec).__name__)
        self.spec = spec
        self._letterboxes: Dict[Tuple[int, int], Letterbox] = {}

    def letterbox_for(self, width: int, height: int) -> Letterbox:
        """Return the geometry for a `width` x `height` frame into this spec's input size."""
        key = (width, height)
        box = self._letterboxes.get(key)
        if box is None:
            if len(self._letterboxes) >= _CACHE_ENTRIES:
                self._letterboxes.clear()
            if self.spec.resize == 'stretch':
                box = Letterbox.stretch(width, height, self.spec.width, self.spec.height)
            else:
                box = Letterbox.fit(width, height, self.spec.width, self.spec.height,
                                    centred=self.spec.resize == 'letterbox')
            self._letterboxes[key] = box
        return box

    def close(self) -> None:
        """Release buffers; safe to call more than once."""

    def __enter__(self) -> 'Preprocessor':
        """Return self; `close` runs on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close."""
        self.close()


class HostPreprocessor(Preprocessor):
    """A preprocessor whose output is a numpy batch in host memory."""

    location = 'host'

    @abc.abstractmethod
    def run_host(self, image: RawImage, out: np.ndarray, slot: int = 0) -> Letterbox:
        """Write `image` into ``out[slot]`` (NCHW, the spec's dtype) and return its geometry."""


class DevicePreprocessor(Preprocessor):
    """A preprocessor whose output is an NCHW batch in GPU memory."""

    location = 'device'

    @abc.abstractmethod
    def run_device(self, image: RawImage, address: Optional[int] = None,
                   slot: int = 0) -> Letterbox:
        """
        Queue `image` into slot `slot` of the device batch at `address` (None: its own).

        Returns the geometry without waiting for the GPU.
        """

    @abc.abstractmethod
    def download(self, host: np.ndarray) -> np.ndarray:
        """Wait for queued work and copy the first ``len(host)`` images of its own batch."""


@dataclass(frozen=True)
class _ColourPlan:
    """
    How one source layout becomes the model's channel order.

    `cvt_code` converts the full frame first (None: no conversion); `planes[c]` is the channel
    of the resized frame that becomes output channel c.  Channel reordering, alpha dropping and
    grey replication are per-channel selections that commute with a per-channel resize, so they
    happen after resizing on the smaller image, with results identical to converting first.
    """

    cvt_code: Optional[int]
    planes: Tuple[int, int, int]


def _colour_plans(channel_order: str) -> Dict[str, _ColourPlan]:
    plans = {'mono': _ColourPlan(None, (0, 0, 0))}
    for layout in ('bgr', 'rgb', 'bgra', 'rgba'):
        first, second, third = (layout.index(c) for c in channel_order)
        plans[layout] = _ColourPlan(None, (first, second, third))
    for layout in ('uyvy', 'yuyv'):
        code = getattr(cv2, 'COLOR_YUV2%s_%s' % (channel_order.upper(), layout.upper()))
        plans[layout] = _ColourPlan(code, (0, 1, 2))
    missing = {e.layout for e in ENCODINGS.values()} - set(plans)
    if missing:
        raise NotImplementedError('no colour conversion for layouts %s' % sorted(missing))
    return plans


PlaneWriter = Callable[[np.ndarray, float, float, np.ndarray], None]


def _legacy_taps(src_size: int, dst_size: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute TensorFlow 1's per-axis neighbours and weight: src = dst x scale, in float32."""
    scale = np.float32(src_size) / np.float32(dst_size)
    position = np.arange(dst_size, dtype=np.float32) * scale
    floor = np.floor(position)
    lower = np.maximum(floor.astype(np.int64), 0)
    upper = np.minimum(np.ceil(position).astype(np.int64), src_size - 1)
    return lower, upper, (position - floor).astype(np.float32)


class LegacyBilinearResize:
    """
    TensorFlow 1's ``resize_bilinear`` (``align_corners=False``, ``half_pixel_centers=False``).

    The graphs of TensorFlow's detection zoo (the bundled SSDs) resize this way; sampling with
    half-pixel centres instead shifts the image by up to half a source pixel and measurably
    changes their scores.  Output is float32, unrounded, as TensorFlow's is.
    """

    def __init__(self) -> None:
        """Cache the taps and full-size weight planes by (input shape, output size)."""
        self._plans: Dict[Tuple[Tuple[int, ...], Tuple[int, int]], Tuple[np.ndarray, ...]] = {}

    def _plan(self, shape: Tuple[int, ...], size: Tuple[int, int]) -> Tuple[np.ndarray, ...]:
        key = (shape, size)
        if key not in self._plans:
            if len(self._plans) >= _CACHE_ENTRIES:
                self._plans.clear()
            top, bottom, y_weight = _legacy_taps(shape[0], size[1])
            left, right, x_weight = _legacy_taps(shape[1], size[0])
            # Weights as whole output planes: numpy's in-place arithmetic on equal shapes is
            # several times faster than broadcasting into new arrays.
            out_shape = (size[1], size[0]) + tuple(shape[2:])
            extra = (1,) * (len(shape) - 2)
            x_plane = np.ascontiguousarray(np.broadcast_to(
                x_weight.reshape((1, -1) + extra), out_shape))
            y_plane = np.ascontiguousarray(np.broadcast_to(
                y_weight.reshape((-1, 1) + extra), out_shape))
            self._plans[key] = (top, bottom, left, right, x_plane, y_plane)
        return self._plans[key]

    def __call__(self, pixels: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
        """Resize HxW(xC) uint8 `pixels` to `size` (width, height); float32 result."""
        top, bottom, left, right, x_plane, y_plane = self._plan(pixels.shape, size)
        # Gather the four neighbours as bytes first: only output-sized arrays become float.
        rows_top, rows_bottom = np.take(pixels, top, axis=0), np.take(pixels, bottom, axis=0)
        top_left, top_right, bottom_left, bottom_right = (
            np.take(rows, columns, axis=1).astype(np.float32)
            for rows in (rows_top, rows_bottom) for columns in (left, right))
        # a + (b - a) * w along x for both rows, then along y, in place (IEEE addition
        # commutes, so the results are TensorFlow's to the bit).
        for near, far in ((top_left, top_right), (bottom_left, bottom_right)):
            np.subtract(far, near, out=far)
            np.multiply(far, x_plane, out=far)
            np.add(far, near, out=far)
        np.subtract(bottom_right, top_right, out=bottom_right)
        np.multiply(bottom_right, y_plane, out=bottom_right)
        np.add(bottom_right, top_right, out=bottom_right)
        return bottom_right


class CpuPreprocessor(HostPreprocessor):
    """
    Letterbox and normalise on the CPU with OpenCV, into a host NCHW numpy batch.

    Scratch buffers are cached by frame size, so a steady stream allocates nothing per frame.
    Not thread-safe (see `Preprocessor`).
    """

    def __init__(self, spec: PreprocessSpec) -> None:
        """Build the colour plans and normalisation constants; probe OpenCV's output types."""
        super().__init__(spec)
        self._plans = _colour_plans(spec.channel_order)
        gain, bias = spec.per_channel_affine()
        self._gain = [float(g) for g in gain]
        self._bias = [float(b) for b in bias]
        self._pad = (spec.pad_value * gain + bias).astype(spec.numpy_dtype)[:, None, None]
        self._scratch = ScratchBuffers(SCRATCH_BYTES)
        self._write_plane = self._choose_plane_writer()
        self._legacy_resize = LegacyBilinearResize() if spec.sampling == 'tf_legacy' else None

    def allocate_batch(self, batch_size: int) -> np.ndarray:
        """Return a zeroed (batch_size, 3, height, width) array in the spec's dtype."""
        shape = (positive_int('batch_size', batch_size), 3, self.spec.height, self.spec.width)
        return np.zeros(shape, dtype=self.spec.numpy_dtype)

    def run_host(self, image: RawImage, out: np.ndarray, slot: int = 0) -> Letterbox:
        """Write `image` into ``out[slot]`` (NCHW, spec dtype) and return its geometry."""
        if not isinstance(image, RawImage):
            raise TypeError('image must be a RawImage (wrap message bytes with '
                            'RawImage.from_buffer), got %s' % type(image).__name__)
        self._check_out(out, slot)
        box = self.letterbox_for(image.width, image.height)
        plan = self._plans[image.encoding.layout]
        pixels = image.pixels()
        if pixels.shape[2] == 1:
            pixels = pixels[:, :, 0]
        if plan.cvt_code is not None:
            pixels = cv2.cvtColor(pixels, plan.cvt_code,
                                  dst=self._buffer('cvt', pixels.shape[:2] + (3,)))
        size = (box.resized_width, box.resized_height)
        if (image.width, image.height) != size and self._legacy_resize is not None:
            pixels = self._legacy_resize(pixels, size)
        elif (image.width, image.height) != size:
            pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_LINEAR,
                                dst=self._buffer('resize', size[::-1] + pixels.shape[2:]))
        if pixels.ndim == 2:
            planes: List[np.ndarray] = [pixels]
        else:
            planes = list(cv2.split(pixels, [self._buffer(('plane', k), size[::-1],
                                                          pixels.dtype)
                                             for k in range(pixels.shape[2])]))
        region = out[slot, :, box.pad_top:box.pad_top + box.resized_height,
                     box.pad_left:box.pad_left + box.resized_width]
        for c in range(3):
            self._write_plane(planes[plan.planes[c]], self._gain[c], self._bias[c], region[c])
        self._fill_padding(out[slot], box)
        return box

    def _check_out(self, out: np.ndarray, slot: int) -> None:
        spec = self.spec
        want = (3, spec.height, spec.width)
        if not isinstance(out, np.ndarray) or out.ndim != 4 or out.shape[1:] != want:
            raise ValueError(
                'out must be a numpy array of shape (N, %d, %d, %d), got %s; use '
                'allocate_batch(N)' % (want + (getattr(out, 'shape', type(out).__name__),)))
        if out.dtype != spec.numpy_dtype:
            raise ValueError('out has dtype %s but the spec says %s; use allocate_batch(N)'
                             % (out.dtype, spec.dtype))
        if not out.flags.writeable or not out.flags.c_contiguous:
            raise ValueError('out must be a writeable C-contiguous array (read-only: %s, '
                             'C-contiguous: %s); use allocate_batch(N)'
                             % (not out.flags.writeable, out.flags.c_contiguous))
        if not is_int(slot) or not 0 <= slot < out.shape[0]:
            raise IndexError('slot %r is out of range for a batch of %d (valid: 0..%d)'
                             % (slot, out.shape[0], out.shape[0] - 1))

    def _fill_padding(self, plane: np.ndarray, box: Letterbox) -> None:
        top, left = box.pad_top, box.pad_left
        bottom, right = top + box.resized_height, left + box.resized_width
        if top:
            plane[:, :top, :] = self._pad
        if bottom < box.dst_height:
            plane[:, bottom:, :] = self._pad
        if left:
            plane[:, top:bottom, :left] = self._pad
        if right < box.dst_width:
            plane[:, top:bottom, right:] = self._pad

    def _buffer(self, name, shape: Tuple[int, ...], dtype=np.uint8) -> np.ndarray:
        return self._scratch.get(name, shape, dtype)

    def _choose_plane_writer(self) -> PlaneWriter:
        """
        Pick how ``dst = src * gain + bias`` reaches the output plane, once.

        OpenCV writes float32, and float16 where this build supports CV_16F arithmetic,
        straight into the strided output view; older builds (OpenCV 4.1 on JetPack 4.6) may
        reject or copy CV_16F, so they go through a float32 scratch plane and a numpy cast.
        """
        def through_float32(src: np.ndarray, gain: float, bias: float,
                            dst: np.ndarray) -> None:
            tmp = self._buffer('float32', src.shape, np.float32)
            cv2.addWeighted(src, gain, src, 0.0, bias, dst=tmp, dtype=cv2.CV_32F)
            dst[...] = tmp

        depth = _CV_DEPTHS[self.spec.dtype]
        if depth is None:
            return through_float32
        native: int = depth

        def direct(src: np.ndarray, gain: float, bias: float, dst: np.ndarray) -> None:
            cv2.addWeighted(src, gain, src, 0.0, bias, dst=dst, dtype=native)

        return direct if _writes_in_place(direct, self.spec.numpy_dtype) else through_float32

    def close(self) -> None:
        """Drop the scratch buffers."""
        self._scratch.clear()
        self._letterboxes.clear()


def _writes_in_place(writer: PlaneWriter, dtype: np.dtype) -> bool:
    """Whether `writer` fills a row-strided view of a `dtype` array correctly in place."""
    src = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    target = np.zeros((5, 7), dtype=dtype)
    try:
        writer(src, 0.5, 1.0, target[1:4, 2:6])
    except (cv2.error, TypeError):
        return False
    expected = np.zeros((5, 7), dtype=np.float64)
    expected[1:4, 2:6] = src * 0.5 + 1.0
    return bool(np.array_equal(target.astype(np.float64), expected))
