# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
GPU preprocessing with pycuda, and ONNX Runtime on the GPU fed in place by it.

CUDA context ownership, the fused letterbox kernel and ONNX Runtime's CUDA provider on our
stream. Importing this package imports nothing of pycuda, so `plugin` (which says whether ONNX
Runtime can use a GPU here) loads anywhere; its other modules need pycuda and the NVIDIA driver,
and their ImportError says how to install them.
"""
