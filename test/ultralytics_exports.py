# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Ultralytics exports made here for tests, from Ultralytics' own YAML (nothing is downloaded).

Networks get batch-norm statistics of real photos and seeded random head layers so that
their scores spread (a freshly initialised head gives every anchor the same score).

torchvision cannot be imported in this environment (its compiled operators do not match the
CPU torch) and Ultralytics' predictor imports it for NMS: `torchvision_stand_in` gives
Ultralytics a ``torchvision`` whose only part, ``ops.nms``, is `greedy_nms`, written here in
plain torch.
"""

import contextlib
import os
import sys
import types

import cv2
from skimage import data
import torch

IMGSZ = 320
PHOTOS = ('astronaut', 'coffee', 'chelsea')
CUSTOM_NAMES = {i: 'part_%02d' % i for i in range(80)}
"""Class names no COCO label file has, so a test can tell where names came from."""


def photos_rgb():
    return [getattr(data, name)() for name in PHOTOS]


def greedy_nms(boxes, scores, iou_threshold):
    """Torchvision's ``ops.nms`` contract in plain torch: kept indices, best score first."""
    order = torch.argsort(scores, descending=True, stable=True)
    ordered = boxes[order]
    area = (ordered[:, 2] - ordered[:, 0]) * (ordered[:, 3] - ordered[:, 1])
    top_left = torch.maximum(ordered[:, None, :2], ordered[None, :, :2])
    bottom_right = torch.minimum(ordered[:, None, 2:], ordered[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(dim=2)
    iou = inter / (area[:, None] + area[None, :] - inter)
    keep = torch.ones(len(order), dtype=torch.bool)
    for i in range(len(order)):
        if keep[i]:
            keep[i + 1:] &= iou[i, i + 1:] <= iou_threshold
    return order[keep]


@contextlib.contextmanager
def torchvision_stand_in():
    """Give Ultralytics a torchvision whose only part is `greedy_nms`, for the duration."""
    saved = sys.modules.get('torchvision')
    stand_in = types.ModuleType('torchvision')
    stand_in.ops = types.SimpleNamespace(nms=greedy_nms)
    sys.modules['torchvision'] = stand_in
    try:
        yield
    finally:
        if saved is None:
            sys.modules.pop('torchvision', None)
        else:
            sys.modules['torchvision'] = saved


def seeded_network(yaml, names=None):
    """Build `yaml`, re-estimate batch norm on the photos and seed the head's last layers."""
    from ultralytics import RTDETR, YOLO

    torch.manual_seed(0)
    model = (RTDETR if yaml.startswith('rtdetr') else YOLO)(yaml)
    net = model.model
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # a plain average over the batches seen
    batch = torch.stack([
        torch.from_numpy(cv2.resize(photo, (IMGSZ, IMGSZ))).permute(2, 0, 1).float() / 255
        for photo in photos_rgb()])
    net.train()
    with torch.no_grad():
        net(batch)
    net.eval()
    head = net.model[-1]
    generator = torch.Generator().manual_seed(1)
    last_layers = [branch[-1] for name in ('cv2', 'cv3', 'one2one_cv2', 'one2one_cv3')
                   for branch in (getattr(head, name, None) or [])]
    last_layers += list(getattr(head, 'dec_score_head', []))
    for layer in last_layers:
        layer.weight.data = torch.randn(layer.weight.shape, generator=generator) * 0.02
        layer.bias.data = torch.randn(layer.bias.shape, generator=generator) * 0.5 - 1.0
    net.names = dict(names or CUSTOM_NAMES)
    return model


def export(yaml, folder, names=None, **arguments):
    """Export a seeded `yaml` network into `folder` (created); return the file's path."""
    os.makedirs(str(folder), exist_ok=True)
    model = seeded_network(yaml, names)
    previous = os.getcwd()
    # Ultralytics writes the file, named after the YAML, into the working folder.
    os.chdir(str(folder))
    try:
        return os.path.join(str(folder), model.export(imgsz=IMGSZ, **arguments))
    finally:
        os.chdir(previous)
