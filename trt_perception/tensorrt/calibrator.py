# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
INT8 calibration fed by exactly the preprocessing that inference uses.

`CalibrationBatches` reads a directory of images, runs each through a `CpuPreprocessor`
(the same letterbox and normalisation as the live pipeline, so the activation ranges TensorRT
measures are the ones it will see) and serves full NCHW batches; it also reads and writes the
calibration cache, so a second build skips calibration.  It needs no TensorRT.
`make_entropy_calibrator` wraps it in TensorRT's ``IInt8EntropyCalibrator2`` where TensorRT and
pycuda are importable.
"""

import logging
import os
from typing import Any, List, Optional, Sequence

import cv2
import numpy as np

from trt_perception.core.frame_source import IMAGE_EXTENSIONS, list_images
from trt_perception.core.image import RawImage
from trt_perception.core.preprocess import CpuPreprocessor
from trt_perception.tensorrt.files import write_atomic


def find_images(directory: str) -> List[str]:
    """Image files directly in `directory`, sorted by name; raises ValueError for none."""
    if not os.path.isdir(directory):
        raise ValueError('calibration image directory %r does not exist' % directory)
    paths = list_images(directory)
    if not paths:
        raise ValueError('no images (%s) in calibration directory %r; add a few hundred frames '
                         'from the target cameras' % (', '.join(IMAGE_EXTENSIONS), directory))
    return paths


class CalibrationBatches:
    """
    Preprocessed calibration batches and the calibration cache file.

    Only full batches are served: TensorRT calibrates with a fixed batch size, so up to
    ``batch_size - 1`` trailing images are left out (and logged).
    """

    def __init__(self, preprocessor: CpuPreprocessor, image_paths: Sequence[str],
                 batch_size: int, cache_path: Optional[str] = None,
                 log: Optional[logging.Logger] = None) -> None:
        """Serve `image_paths` through `preprocessor` in batches of `batch_size`."""
        if batch_size < 1:
            raise ValueError('calibration batch_size=%r must be at least 1' % (batch_size,))
        if len(image_paths) < batch_size and not (cache_path and os.path.isfile(cache_path)):
            raise ValueError('%d calibration images are fewer than one batch of %d; add images '
                             'or lower the batch' % (len(image_paths), batch_size))
        self.preprocessor = preprocessor
        self.image_paths = list(image_paths)
        self.batch_size = batch_size
        self.cache_path = cache_path
        self._log = log or logging.getLogger('trt_perception.tensorrt')
        self._batch = preprocessor.allocate_batch(batch_size)
        self._next = 0
        unused = len(self.image_paths) % batch_size
        if unused:
            self._log.info('calibration: %d images make %d batches of %d; the last %d are not '
                           'used', len(self.image_paths), self.num_batches, batch_size, unused)

    @classmethod
    def from_directory(cls, directory: str, preprocessor: CpuPreprocessor, batch_size: int,
                       cache_path: Optional[str] = None, max_images: Optional[int] = None,
                       log: Optional[logging.Logger] = None) -> 'CalibrationBatches':
        """Batches over the images in `directory` (the first `max_images` by name)."""
        paths = find_images(directory)
        return cls(preprocessor, paths[:max_images] if max_images else paths, batch_size,
                   cache_path, log)

    @classmethod
    def from_cache(cls, preprocessor: CpuPreprocessor, batch_size: int, cache_path: str,
                   log: Optional[logging.Logger] = None) -> 'CalibrationBatches':
        """No images, only an existing calibration cache (raises ValueError without one)."""
        return cls(preprocessor, [], batch_size, cache_path, log)

    @property
    def num_batches(self) -> int:
        """Full batches one pass serves."""
        return len(self.image_paths) // self.batch_size

    @property
    def shape(self) -> tuple:
        """(batch, 3, height, width) of every batch."""
        return self._batch.shape

    def next_batch(self) -> Optional[np.ndarray]:
        """Return the next NCHW batch (one reused array), or None after the last one."""
        start = self._next * self.batch_size
        if self._next >= self.num_batches:
            return None
        for slot, path in enumerate(self.image_paths[start:start + self.batch_size]):
            self.preprocessor.run_host(load_image(path), self._batch, slot)
        self._next += 1
        return self._batch

    def reset(self) -> None:
        """Start again from the first image."""
        self._next = 0

    def read_cache(self) -> Optional[bytes]:
        """Return the calibration cache's bytes, or None when there is none yet."""
        if not self.cache_path or not os.path.isfile(self.cache_path):
            return None
        with open(self.cache_path, 'rb') as f:
            data = f.read()
        self._log.info('calibration: reusing %s (%d bytes); delete it to recalibrate',
                       self.cache_path, len(data))
        return data or None

    def write_cache(self, data: bytes) -> None:
        """Store the calibration table TensorRT produced (atomically)."""
        if not self.cache_path:
            return
        directory = os.path.dirname(os.path.abspath(self.cache_path))
        os.makedirs(directory, exist_ok=True)
        write_atomic(self.cache_path, bytes(data))
        self._log.info('calibration: wrote %s (%d bytes)', self.cache_path, len(data))


def load_image(path: str) -> RawImage:
    """Read an image file as a bgr8 `RawImage`; raises ValueError when unreadable."""
    pixels = cv2.imread(path, cv2.IMREAD_COLOR)
    if pixels is None:
        raise ValueError('calibration image %r cannot be read by OpenCV; remove or convert it'
                         % path)
    return RawImage.from_array(pixels, 'bgr8')


def make_entropy_calibrator(api, batches: CalibrationBatches):
    """
    Wrap `batches` in a TensorRT ``IInt8EntropyCalibrator2``; ``close()`` it after.

    Needs pycuda and an active CUDA context while TensorRT calibrates.  The device buffer is
    allocated on the first batch, so a build that reuses a calibration cache allocates none.
    """
    trt: Any = api.module
    if not api.has_entropy_calibrator:
        raise ValueError('%s %s has no INT8 calibrator (TensorRT-RTX is strongly typed: '
                         'quantise the ONNX model with Q/DQ nodes instead)'
                         % (api.flavour, api.version))
    from trt_perception.gpu.context import cuda

    class EntropyCalibrator(trt.IInt8EntropyCalibrator2):
        """Copies each preprocessed batch to the GPU for TensorRT's calibration pass."""

        def __init__(self) -> None:
            trt.IInt8EntropyCalibrator2.__init__(self)
            self._device: Optional[cuda.DeviceAllocation] = None

        def get_batch_size(self) -> int:
            return batches.batch_size

        def get_batch(self, names):
            batch = batches.next_batch()
            if batch is None:
                return None
            if self._device is None:
                self._device = cuda.mem_alloc(batch.nbytes)
            device = self._device
            cuda.memcpy_htod(device, batch)
            return [int(device)]

        def read_calibration_cache(self):
            return batches.read_cache()

        def write_calibration_cache(self, cache) -> None:
            batches.write_cache(bytes(cache))

        def close(self) -> None:
            if self._device is not None:
                self._device.free()
                self._device = None

    return EntropyCalibrator()
