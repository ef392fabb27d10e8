# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The detector node's instance outputs over real DDS, with seeded Ultralytics seg and pose exports.

The files are exported here from Ultralytics' YAML (test/ultralytics_heads.py, cached across
runs) and given to the node as a user gives `yolo export`'s file: no card.  The reference is
the core pipeline run alone on the same photo; the messages must be aligned with the
Detection2DArray they go with: same header, instance pixel value k + 1 only inside detection
k's box and mask, keypoints index-aligned.
"""

import numpy as np
import pytest
from ros_imports import ros_imports

with ros_imports():
    from sensor_msgs.msg import Image
    from trt_perception_msgs.msg import Keypoints2DArray
skimage_data = pytest.importorskip('skimage.data')
pytest.importorskip('ultralytics')

from test_detector_node import photo_message, wait_for  # noqa: E402
from trt_perception.assembly import create_pipeline, PipelineConfig  # noqa: E402
from trt_perception.core.decoders import DetectionParams  # noqa: E402
from trt_perception.core.image import RawImage  # noqa: E402
from trt_perception.core.keypoints import COCO_KEYPOINTS, COCO_SKELETON  # noqa: E402
from trt_perception.core.masks import full_mask  # noqa: E402
from trt_perception.ros import instance_publishers  # noqa: E402

CONF = 0.05
"""The seeded heads score low (their class bias is -4): a threshold that keeps a few."""


def _expected(path):
    """Run the core pipeline alone on the astronaut photo: the node's reference."""
    config = PipelineConfig(model=path, backend='onnxruntime',
                            params=DetectionParams(conf_threshold=CONF))
    with create_pipeline(config) as pipeline:
        rgb = skimage_data.astronaut()
        return pipeline.detect([RawImage.from_array(rgb, 'rgb8')]).detections[0]


def _stamped(ros, topic, msg_type, publisher, msg):
    """Publish `msg` until `topic` and the detections both carry its stamp; return the two."""
    detections = ros.listen('detections')
    others = ros.listen(topic, msg_type)

    def match():
        pair = [next((m for m in messages if m.header.stamp == msg.header.stamp), None)
                for messages in (detections, others)]
        return pair if all(m is not None for m in pair) else None
    return wait_for(match, every=lambda: publisher.publish(msg), what='%s and detections'
                    % topic)


def _topics(ros):
    return {name for name, _ in ros.peer.get_topic_names_and_types()}


def test_instance_mask_aligned_with_the_detections(ros, head_export):
    path = head_export('yolov8n-seg.yaml')
    expected = _expected(path)
    assert len(expected) >= 2
    ros.detector(model=path, backend='onnxruntime', conf_threshold=CONF)
    msg = photo_message('astronaut', 21, 'astro_optical')
    found, image = _stamped(ros, 'detections/instance_mask', Image, ros.publisher('image'), msg)
    assert image.header == found.header == msg.header
    assert (image.encoding, image.width, image.height) == ('mono8', 512, 512)
    pixels = np.frombuffer(image.data, np.uint8).reshape(512, image.step)[:, :512]
    hypotheses = ros.layout.from_message(found)
    assert len(hypotheses) == len(expected)
    masks = [full_mask(d.mask, 512, 512) for d in expected]
    rows, cols = np.mgrid[:512, :512]
    for k, (hyp, det) in enumerate(zip(hypotheses, expected)):
        np.testing.assert_allclose([hyp.x1, hyp.y1, hyp.x2, hyp.y2], det.box, atol=1e-3)
        mine = pixels == k + 1
        # Inside its own box (pixel centres, a pixel of rounding) and its own mask.
        inside = ((cols + 0.5 >= hyp.x1 - 1) & (cols + 0.5 <= hyp.x2 + 1)
                  & (rows + 0.5 >= hyp.y1 - 1) & (rows + 0.5 <= hyp.y2 + 1))
        assert not (mine & ~inside).any(), k
        assert not (mine & ~masks[k]).any(), k
        # Every pixel of its mask no better detection claimed is its.
        unclaimed = masks[k] & ~np.any(masks[:k], axis=0) if k else masks[k]
        assert (mine == unclaimed).all(), k
    assert (pixels == 0).any() and (pixels[~np.any(masks, axis=0)] == 0).all()
    assert 1 <= pixels.max() <= len(expected)
    assert ros.namespace + '/detections/keypoints' not in _topics(ros)


def test_keypoints_index_aligned_with_the_detections(ros, head_export):
    path = head_export('yolov8n-pose.yaml')
    expected = _expected(path)
    assert expected
    ros.detector(model=path, backend='onnxruntime', conf_threshold=CONF)
    msg = photo_message('astronaut', 22, 'astro_optical')
    found, keypoints = _stamped(ros, 'detections/keypoints', Keypoints2DArray,
                                ros.publisher('image'), msg)
    assert keypoints.header == found.header == msg.header
    assert list(keypoints.names) == list(COCO_KEYPOINTS)
    assert list(keypoints.skeleton) == [i for pair in COCO_SKELETON for i in pair]
    hypotheses = ros.layout.from_message(found)
    assert len(keypoints.detections) == len(hypotheses) == len(expected)
    for item, hyp, det in zip(keypoints.detections, hypotheses, expected):
        np.testing.assert_allclose([hyp.x1, hyp.y1, hyp.x2, hyp.y2], det.box, atol=1e-3)
        np.testing.assert_allclose(np.stack([item.x, item.y], axis=1), det.keypoints.xy,
                                   atol=1e-3)
        np.testing.assert_allclose(item.scores, det.keypoints.scores, atol=1e-6)
    assert ros.namespace + '/detections/instance_mask' not in _topics(ros)


def test_the_mask_image_is_rendered_only_while_someone_subscribes(ros, head_export, monkeypatch):
    rendered = []
    real = instance_publishers.instance_mask_image
    monkeypatch.setattr(instance_publishers, 'instance_mask_image',
                        lambda *args: rendered.append(args) or real(*args))
    ros.detector(model=head_export('yolov8n-seg.yaml'), backend='onnxruntime',
                 conf_threshold=CONF)
    publisher = ros.publisher('image')
    ros.detections_for('detections', publisher, photo_message('astronaut', 31))
    assert not rendered
    _stamped(ros, 'detections/instance_mask', Image, publisher, photo_message('astronaut', 32))
    assert rendered
