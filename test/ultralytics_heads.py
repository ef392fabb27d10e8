# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Seeded Ultralytics segmentation and pose networks exported to ONNX here, and the reference.

Networks come from Ultralytics' own YAML (no weights downloaded).  A fresh network gives
every anchor the same score, so batch-norm statistics are re-estimated on real photos and the
head's last convolutions are drawn from a seeded generator: scores, boxes, mask coefficients
and keypoints then differ between anchors and between photos.

The reference is Ultralytics' predictor's own `postprocess` (its NMS, ``retina_masks``
assembly, box and keypoint scaling) on the same ONNX outputs.  torchvision does not import in
this environment; with ``torchvision`` absent from ``sys.modules`` Ultralytics' NMS uses its
own pure-torch NMS (``TorchNMS.nms``), which its source says matches torchvision's exactly.
"""

import ast
import os
import shutil
import sys
import tempfile
import types
from typing import Dict, List

import cv2
import numpy as np
import skimage.data

PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket')
IMGSZ = 320
CLASS_WEIGHT, CLASS_BIAS = 0.05, -4.0


def photo(name: str) -> np.ndarray:
    """Return an RGB photo from skimage.data."""
    return np.ascontiguousarray(getattr(skimage.data, name)()[..., :3])


def export(yaml: str, folder: str, seed: int = 0) -> str:
    """Build `yaml` with seeded head weights, export it to ONNX in `folder`, return the path."""
    import torch
    from ultralytics import YOLO

    torch.manual_seed(seed)
    model = YOLO(yaml)
    network = model.model
    batch = torch.stack([torch.from_numpy(cv2.resize(photo(name), (IMGSZ, IMGSZ)))
                         .permute(2, 0, 1).float() / 255 for name in PHOTOS])
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # a cumulative average over the photos
    network.train()
    with torch.no_grad():
        network(batch)
    network.eval()
    head = network.model[-1]
    generator = torch.Generator().manual_seed(seed + 1)
    # (weight scale, bias mean, bias spread) of the last convolution of the class branches
    # (cv3) and of the others: boxes (cv2), masks and keypoints (cv4, YOLO26's cv4_kpts), in
    # the one-to-many and, where the head has them, the one-to-one (YOLO26) sets.
    # YOLO26 regresses box side distances directly (reg_max 1): start them positive, so boxes
    # are not turned inside out.  A bias shared by all DFL bins (reg_max 16) changes nothing.
    box_bias = 2.0 if getattr(head, 'reg_max', 16) == 1 else 0.0
    with torch.no_grad():
        for name, branches in head.named_children():
            if not name.replace('one2one_', '').startswith(('cv2', 'cv3', 'cv4')):
                continue
            weight, bias, spread = ((CLASS_WEIGHT, CLASS_BIAS, 0.0) if 'cv3' in name
                                    else (0.05, box_bias if 'cv2' in name else 0.0, 0.5))
            for branch in branches:
                last = [m for m in branch.modules() if isinstance(m, torch.nn.Conv2d)][-1]
                last.weight.copy_(torch.randn(last.weight.shape, generator=generator) * weight)
                if last.bias is not None:
                    last.bias.copy_(torch.randn(last.bias.shape, generator=generator) * spread
                                    + bias)
    exported = model.export(format='onnx', imgsz=IMGSZ, simplify=False, verbose=False)
    target = os.path.join(folder, os.path.basename(exported))
    os.replace(exported, target)
    return target


def cached_export(yaml: str, cache_dir: str, seed: int = 0) -> str:
    """
    `export` once per Ultralytics and torch version and seed, kept in `cache_dir`.

    Tests that only need a seg or pose file (not the export itself) share these, so a run
    exports each network once, and later runs not at all.
    """
    import torch
    import ultralytics

    folder = os.path.join(cache_dir, 'ultralytics-%s-torch-%s-seed-%d' % (
        ultralytics.__version__, torch.__version__, seed), yaml.replace('.yaml', ''))
    target = os.path.join(folder, yaml.replace('.yaml', '.onnx'))
    if not os.path.isfile(target):
        os.makedirs(folder, exist_ok=True)
        scratch = tempfile.mkdtemp(dir=folder)
        try:
            os.replace(export(yaml, scratch, seed), target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def metadata(path: str) -> Dict[str, object]:
    """Ultralytics' metadata of an exported ONNX file, values parsed."""
    import onnx

    props = {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}
    out: Dict[str, object] = dict(props)
    for key in ('names', 'kpt_shape', 'imgsz'):
        if key in props:
            out[key] = ast.literal_eval(props[key])
    return out


def reference(task: str, meta: Dict[str, object], outputs: List[np.ndarray],
              network_input: np.ndarray, image_rgb: np.ndarray, conf: float, iou: float,
              max_det: int):
    """Ultralytics' predictor's results for one image from the raw ONNX outputs."""
    import torch
    sys.modules.pop('torchvision', None)
    from ultralytics.models.yolo.pose.predict import PosePredictor
    from ultralytics.models.yolo.segment.predict import SegmentationPredictor

    overrides = {'conf': conf, 'iou': iou, 'max_det': max_det, 'imgsz': IMGSZ,
                 'verbose': False, 'retina_masks': True}
    predictor = (SegmentationPredictor if task == 'segment' else PosePredictor)(
        overrides=overrides)
    predictor.model = types.SimpleNamespace(names=meta['names'], end2end=False,
                                            kpt_shape=meta.get('kpt_shape'))
    predictor.batch = [['photo.png']]
    tensors = [torch.from_numpy(o) for o in outputs]
    preds = tensors if task == 'segment' else tensors[0]
    bgr = np.ascontiguousarray(image_rgb[..., ::-1])
    return predictor.postprocess(preds, torch.from_numpy(network_input), [bgr])[0]
