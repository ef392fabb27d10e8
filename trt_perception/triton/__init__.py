# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Detection through a Triton Inference Server shared by many cameras and robots.

`backend.TritonBackend` runs the model on a server (gRPC or HTTP, tensors through the socket or
a shared-memory region); `signature` checks the served model against the local model card;
`retry` paces reconnection; `repository` exports a model repository for the server
(``triton_export``, in tools/, is its command line, and `tools.local_triton` starts the
tritonserver of the nvidia-pytriton wheel on loopback for tests and benchmarks).  tritonclient
is optional and imported only by `client`.
"""
