# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
GPU preprocessing with pycuda: CUDA context ownership and the fused letterbox kernel.

Importing this package needs pycuda and the NVIDIA driver; the ImportError says how to
install them.  The pure core never imports it unless GPU preprocessing was asked for.
"""

from trt_perception.gpu.context import CudaContext, CudaUnavailableError
from trt_perception.gpu.preprocess import CudaPreprocessor, LetterboxKernel

__all__ = ['CudaContext', 'CudaPreprocessor', 'CudaUnavailableError', 'LetterboxKernel']
