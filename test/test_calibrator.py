# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""CalibrationBatches: the same preprocessing as inference, full batches, a reusable cache."""

import types

import cv2
import numpy as np
import pytest

from trt_perception.core.image import RawImage
from trt_perception.core.preprocess import CpuPreprocessor, PreprocessSpec
from trt_perception.tensorrt.calibrator import (
    CalibrationBatches, find_images, load_image, make_entropy_calibrator)

SPEC = PreprocessSpec(width=64, height=48)


def photos():
    data = pytest.importorskip('skimage.data', reason='scikit-image ships the real photos')
    return [cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR),
            cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2BGR),
            cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)]


@pytest.fixture
def image_dir(tmp_path, rng):
    images = photos() + [rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                         for h, w in [(120, 90), (33, 77), (48, 64), (200, 31)]]
    for index, image in enumerate(images):
        cv2.imwrite(str(tmp_path / ('frame%02d.png' % index)), image)
    (tmp_path / 'README.txt').write_text('not an image')
    return tmp_path, images


def test_batches_equal_the_inference_preprocessing(image_dir):
    directory, images = image_dir
    batches = CalibrationBatches.from_directory(str(directory), CpuPreprocessor(SPEC), 3)
    assert batches.num_batches == 2 and batches.shape == (3, 3, 48, 64)
    reference = CpuPreprocessor(SPEC)
    expected = reference.allocate_batch(len(images))
    for slot, image in enumerate(images):
        reference.run_host(RawImage.from_array(image, 'bgr8'), expected, slot)
    served = []
    while True:
        batch = batches.next_batch()
        if batch is None:
            break
        assert batch.flags['C_CONTIGUOUS'] and batch.dtype == np.float32
        served.append(batch.copy())
    assert len(served) == 2
    np.testing.assert_array_equal(np.concatenate(served), expected[:6])
    batches.reset()
    np.testing.assert_array_equal(batches.next_batch(), served[0])


def test_image_files_are_found_by_extension_in_name_order(image_dir):
    directory, images = image_dir
    paths = find_images(str(directory))
    assert [p.rsplit('/', 1)[1] for p in paths] == ['frame%02d.png' % i
                                                    for i in range(len(images))]
    np.testing.assert_array_equal(load_image(paths[0]).pixels(), images[0])


def test_cache_is_written_atomically_and_reused_without_images(image_dir, tmp_path_factory):
    directory, _ = image_dir
    cache = tmp_path_factory.mktemp('calib') / 'sub' / 'model.calib'
    batches = CalibrationBatches.from_directory(str(directory), CpuPreprocessor(SPEC), 2,
                                                str(cache), max_images=4)
    assert batches.num_batches == 2
    assert batches.read_cache() is None
    table = b'TRT-8601-EntropyCalibration2\nimages: 3c010a14\n'
    batches.write_cache(table)
    assert cache.read_bytes() == table
    reused = CalibrationBatches.from_cache(CpuPreprocessor(SPEC), 2, str(cache))
    assert reused.read_cache() == table and reused.next_batch() is None


def test_bad_inputs_say_what_to_fix(tmp_path):
    with pytest.raises(ValueError, match='does not exist'):
        find_images(str(tmp_path / 'nowhere'))
    with pytest.raises(ValueError, match='no images'):
        find_images(str(tmp_path))
    (tmp_path / 'broken.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(ValueError, match='cannot be read by OpenCV'):
        load_image(str(tmp_path / 'broken.jpg'))
    with pytest.raises(ValueError, match='fewer than one batch of 2'):
        CalibrationBatches(CpuPreprocessor(SPEC), [str(tmp_path / 'broken.jpg')], 2)
    with pytest.raises(ValueError, match='at least 1'):
        CalibrationBatches(CpuPreprocessor(SPEC), [], 0)


def test_strongly_typed_tensorrt_has_no_calibrator(image_dir):
    directory, _ = image_dir
    batches = CalibrationBatches.from_directory(str(directory), CpuPreprocessor(SPEC), 1)
    api = types.SimpleNamespace(module=None, flavour='tensorrt_rtx', version='1.7.1',
                                has_entropy_calibrator=False)
    with pytest.raises(ValueError, match='Q/DQ'):
        make_entropy_calibrator(api, batches)
