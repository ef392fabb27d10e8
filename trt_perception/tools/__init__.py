# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
The command-line tools, apart from the library they drive.

``detect`` (the offline runner, whose pipeline flags `setting_flags` generates from the
settings schemas), ``build_engine`` (a TensorRT engine from ONNX), ``triton_export`` (a Triton
model repository) and `local_triton` (a tritonserver on loopback, for tests and benchmarks).
"""
