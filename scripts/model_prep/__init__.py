# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Build-time tools behind ``scripts/prepare_models.py``: weights from pip packages to ONNX.

Not part of the installed trt_perception package: these modules run only in the development
venv (Python 3.11, onnx, tensorboard's protobuf schema), never on a robot.

* `packaged_file`: a pinned file inside an installed distribution.
* `tf_graph`: reads a frozen TensorFlow GraphDef without TensorFlow.
* `translator`, `constant_ops`, `conv_ops`, `tensor_ops`, `onnx_graph`: translate the graph to
  ONNX operators.
* `ssd`: the TensorFlow Object Detection API SSD models, with their box-decoding head.
* `yolov8`: YOLOv8n with seeded random weights (speed benchmarks).
* `preparation`: what every model has in common: the card, the up-to-date check, writing.
"""
