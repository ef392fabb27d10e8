# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""YOLOv8n's architecture with seeded random weights, exported to ONNX for speed benchmarks."""

from dataclasses import dataclass
import importlib.metadata
import os
from pathlib import Path
from typing import Dict, Tuple
import warnings

import onnx

from .onnx_graph import IR_VERSION, OPSET
from .preparation import Preparation


@dataclass(frozen=True)
class RandomYoloV8Preparation(Preparation):
    """YOLOv8n's architecture from Ultralytics with seeded random weights (benchmarks only)."""

    seed: int = 0
    size: int = 640

    def missing(self) -> str:
        """Say which of torch, torchvision and ultralytics is not installed, or return ''."""
        # Ultralytics reads torchvision's version at import, though building YOLOv8n needs
        # none of torchvision's code.
        for module in ('torch', 'torchvision', 'ultralytics'):
            try:
                importlib.metadata.version(module)
            except importlib.metadata.PackageNotFoundError:
                return '%s is not installed; it is only for speed benchmarks' % module
        return ''

    def build(self, work_dir: Path) -> Tuple[onnx.ModelProto, Dict[str, object]]:
        """Build the network from its YAML (no weights are fetched) and export it."""
        # Ultralytics writes a settings file at import; keep it out of the user's home.
        os.environ.setdefault('YOLO_CONFIG_DIR', str(work_dir / 'ultralytics'))
        os.environ.setdefault('YOLO_OFFLINE', '1')
        import torch
        from ultralytics.nn.tasks import DetectionModel

        torch.manual_seed(self.seed)
        return self.export(DetectionModel('yolov8n.yaml', ch=3, nc=80, verbose=False),
                           work_dir)

    def export(self, network: object,
               work_dir: Path) -> Tuple[onnx.ModelProto, Dict[str, object]]:
        """
        Export a YOLOv8 `DetectionModel` (left unchanged) to ONNX, with its card fields.

        The GPU benchmark exports the network Ultralytics' predictor runs, so that both
        sides of the comparison hold the same weights.
        """
        import copy

        import torch

        network = copy.deepcopy(network).eval().fuse(verbose=False)
        detect = network.model[-1]
        # Export mode returns the decoded [N, 84, 8400] tensor alone, as Ultralytics' own
        # ONNX export does.
        detect.export = True
        detect.format = 'onnx'
        sample = torch.zeros(1, 3, self.size, self.size)
        path = work_dir / 'export.onnx'
        with torch.no_grad(), warnings.catch_warnings():
            # The TorchScript exporter is chosen on purpose (the newer one needs onnxscript);
            # torch warns that it is no longer the default.
            warnings.simplefilter('ignore', DeprecationWarning)
            torch.onnx.export(network, sample, str(path), input_names=['images'],
                              output_names=['output0'], opset_version=OPSET,
                              dynamic_axes={'images': {0: 'batch'}, 'output0': {0: 'batch'}},
                              do_constant_folding=True, dynamo=False)
        model = onnx.load(str(path))
        anchors = sum((self.size // s) ** 2 for s in (8, 16, 32))
        # The exporter leaves the class and anchor axes symbolic; they are fixed by the
        # architecture and input size.
        dims = model.graph.output[0].type.tensor_type.shape.dim
        dims[1].dim_value, dims[2].dim_value = 84, anchors
        model.ir_version = IR_VERSION
        upstream = 'ultralytics %s yolov8n.yaml, torch %s, torch.manual_seed(%d)' % (
            importlib.metadata.version('ultralytics'), torch.__version__, self.seed)
        return model, {
            'upstream': upstream,
            'input': {'name': 'images', 'shape': [-1, 3, self.size, self.size],
                      'dtype': 'float32', 'layout': 'NCHW'},
            'preprocessing': {'resize': 'letterbox', 'channel_order': 'rgb',
                              'scale': 1.0 / 255.0, 'mean': [0.0] * 3, 'std': [1.0] * 3,
                              'pad_value': 114},
            'output': {'format': 'yolov8', 'name': 'output0', 'shape': [-1, 84, anchors],
                       'boxes': 'cx, cy, w, h in input pixels',
                       'classes': 'sigmoid probabilities, one row per label'},
        }
