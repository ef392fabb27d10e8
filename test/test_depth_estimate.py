# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
3D boxes against a float64 ray-cast reference (depth_scene.py).

Plates at known places, both encodings, holes and outliers in the depth, depth at the
colour's size or at half of it.

Centres must land within 1 cm and extents within 3% of the truth at about 2 m.  A box
without a mask is exact only for surfaces facing the camera, so the slanted plate is checked
with its mask only.
"""

import math

from depth_scene import detections, encode, Plate, render, spoil
import numpy as np
import pytest

from trt_perception.core.depth.estimate import Box3DEstimator
from trt_perception.core.depth.image import DepthImage
from trt_perception.core.depth.intrinsics import CameraIntrinsics
from trt_perception.core.depth.pairing import DepthPairer
from trt_perception.core.depth.settings import DepthSettings
from trt_perception.core.detection import Detection, InstanceMask

COLOUR = CameraIntrinsics(600.0, 600.0, 319.5, 239.5, 640, 480, 'camera_depth_optical_frame')
PLATES = [
    Plate((0.0, 0.0, 2.0), 0.5, 0.8),
    Plate((-0.9, 0.2, 2.5), 0.4, 0.4),
    Plate((0.4, 0.35, 1.5), 0.3, 0.2),
    Plate((0.7, -0.3, 2.0), 0.6, 0.4, yaw=0.5),
]
SLANTED = 3


def _scene(encoding, depth_size, info_size, rng, holes=0.05, outliers=0.01):
    """(paired depth, detections with masks, detections without) for one rendered scene."""
    _, seen = render(COLOUR, PLATES)
    depth_k = COLOUR.scaled(*depth_size)
    metres = spoil(render(depth_k, PLATES)[0], rng, holes, outliers)
    stored = encode(metres, encoding)
    if encoding == '32FC1':
        stored[(stored == 0) & (rng.random(stored.shape) < 0.5)] = np.nan
    pairer = DepthPairer(4)
    pairer.add_depth(10.0, DepthImage.from_array(stored))
    pairer.set_intrinsics(COLOUR.scaled(*info_size))
    paired = pairer.pair(10.0, COLOUR.width, COLOUR.height, 0.01)
    return (paired, detections(COLOUR, PLATES, seen, masks=True),
            detections(COLOUR, PLATES, seen, masks=False))


def _check(box3d, plate):
    center, size = plate.true_box()
    assert box3d is not None
    assert box3d.frame_id == COLOUR.frame_id
    np.testing.assert_allclose(box3d.center, center, atol=0.01)
    np.testing.assert_allclose(box3d.size[:2], size[:2], rtol=0.03)
    if plate.yaw:
        assert box3d.size[2] == pytest.approx(size[2], rel=0.03)
    else:
        assert abs(box3d.size[2]) < 0.01


@pytest.mark.parametrize('encoding', ['16UC1', '32FC1'])
@pytest.mark.parametrize('depth_size, info_size', [
    ((640, 480), (640, 480)),
    ((320, 240), (320, 240)),
    ((320, 240), (640, 480)),  # camera_info of the colour size: scaled to the depth's
], ids=['same-size', 'half-size', 'half-size-full-info'])
def test_centres_and_extents_match_the_reference(encoding, depth_size, info_size, rng):
    paired, masked, boxed = _scene(encoding, depth_size, info_size, rng)
    estimator = Box3DEstimator(DepthSettings(topics=('depth',)))
    for index, plate in enumerate(PLATES):
        _check(estimator.locate(masked[index], paired), plate)
        if index != SLANTED:
            _check(estimator.locate(boxed[index], paired), plate)


def test_a_box_around_a_near_object_ignores_the_wall_behind(rng):
    # The inner part of a whole-box region still holds wall pixels around a thin object;
    # a low percentile picks the object when the wall fills most of the region.
    pole = Plate((0.0, 0.0, 2.0), 0.05, 0.6)
    _, seen = render(COLOUR, [pole])
    depth, _ = render(COLOUR, [pole])
    pairer = DepthPairer(1)
    pairer.add_depth(0.0, DepthImage.from_array(encode(depth, '32FC1')))
    pairer.set_intrinsics(COLOUR)
    paired = pairer.pair(0.0, 640, 480, 0.0)
    (found,) = detections(COLOUR, [pole], seen, masks=False)
    wide = Detection(found.x1 - 40, found.y1, found.x2 + 40, found.y2, 0.9, 0, 'pole')
    settings = DepthSettings(topics=('depth',), inner_fraction=1.0)
    assert Box3DEstimator(settings).locate(wide, paired).center[2] == pytest.approx(4.0)
    settings = DepthSettings(topics=('depth',), inner_fraction=1.0, percentile=10.0)
    assert Box3DEstimator(settings).locate(wide, paired).center[2] == pytest.approx(2.0)


def test_all_invalid_depth_gives_no_box(rng):
    paired, masked, boxed = _scene('16UC1', (640, 480), (640, 480), rng, holes=1.0,
                                   outliers=0.0)
    estimator = Box3DEstimator(DepthSettings(topics=('depth',)))
    assert [estimator.locate(d, paired) for d in masked + boxed] == [None] * 8


def test_depth_outside_the_range_setting_is_not_used(rng):
    paired, masked, _ = _scene('32FC1', (640, 480), (640, 480), rng, holes=0.0, outliers=0.0)
    near = Box3DEstimator(DepthSettings(topics=('depth',), max_range=1.9))
    assert near.locate(masked[0], paired) is None  # at 2.0 m
    assert near.locate(masked[2], paired) is not None  # at 1.5 m


def test_boxes_partly_or_wholly_outside_the_depth_image(rng):
    paired, _, _ = _scene('32FC1', (640, 480), (640, 480), rng, holes=0.0, outliers=0.0)
    estimator = Box3DEstimator(DepthSettings(topics=('depth',)))
    outside = Detection(700.0, 10.0, 760.0, 50.0, 0.5, 0, 'x')
    assert estimator.locate(outside, paired) is None
    edge = Detection(600.0, -30.0, 700.0, 30.0, 0.5, 0, 'x')
    assert estimator.locate(edge, paired).center[2] == pytest.approx(4.0)
    tiny = Detection(100.2, 100.2, 100.4, 100.4, 0.5, 0, 'x')
    assert estimator.locate(tiny, paired).center[2] == pytest.approx(4.0)
    off_mask = Detection(700.0, 10.0, 710.0, 20.0, 0.5, 0, 'x',
                         mask=InstanceMask(700, 10, np.ones((10, 10), bool)))
    assert estimator.locate(off_mask, paired) is None


def test_an_empty_mask_falls_back_to_the_box(rng):
    paired, masked, boxed = _scene('32FC1', (640, 480), (640, 480), rng, holes=0.0,
                                   outliers=0.0)
    empty = masked[0].mask
    hollow = Detection(*boxed[0].box, 0.9, 0, 'x',
                       mask=InstanceMask(empty.x0, empty.y0, np.zeros_like(empty.data)))
    estimator = Box3DEstimator(DepthSettings(topics=('depth',)))
    assert estimator.locate(hollow, paired) == estimator.locate(boxed[0], paired)


def test_the_reference_renderer_itself():
    # A plate facing the camera at 2 m projects to the size the pinhole model says.
    plate = Plate((0.0, 0.0, 2.0), 0.5, 0.8)
    depth, seen = render(COLOUR, [plate])
    assert depth[240, 320] == pytest.approx(2.0) and depth[0, 0] == 4.0
    columns = np.nonzero((seen == 0).any(axis=0))[0]
    assert columns.size == pytest.approx(0.5 * 600 / 2.0, abs=1)
    slanted = Plate((0.0, 0.0, 2.0), 0.6, 0.4, yaw=0.5)
    _, size = slanted.true_box()
    assert size[0] == pytest.approx(0.6 * math.cos(0.5))
    assert size[2] == pytest.approx(0.6 * math.sin(0.5))


@pytest.mark.parametrize('masks', [False, True])
def test_a_large_object_read_on_a_coarser_grid(rng, masks):
    # 480 x 360 pixels: read on a grid of every 5th pixel (MAX_SAMPLES).
    plate = Plate((0.05, 0.0, 1.0), 0.8, 0.6)
    depth, seen = render(COLOUR, [plate])
    pairer = DepthPairer(1)
    pairer.add_depth(0.0, DepthImage.from_array(encode(spoil(depth, rng), '16UC1')))
    pairer.set_intrinsics(COLOUR)
    (found,) = detections(COLOUR, [plate], seen, masks=masks)
    inner = DepthSettings(topics=('depth',), inner_fraction=1.0)
    _check(Box3DEstimator(inner).locate(found, pairer.pair(0.0, 640, 480, 0.0)), plate)
