# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
TensorRT engines: building from ONNX, caching per GPU and version, and running them.

Importing this package imports neither TensorRT nor pycuda; `tensorrt_unavailable_reason`
says, cheaply and without raising, whether `backend: auto` can use TensorRT here.
"""

from typing import Optional

_PYCUDA_HINT = ('pip install pycuda (on Jetson: export PATH=/usr/local/cuda/bin:$PATH first so '
                'that nvcc is found)')


def tensorrt_unavailable_reason() -> Optional[str]:
    """
    None when TensorRT, pycuda and a CUDA device are all usable, else what is missing.

    `backend: auto` builds engines from ONNX, so a runtime-only TensorRT (the lean runtime)
    is reported as unusable here, with what to install instead.
    """
    try:
        return _unavailable_reason()
    except Exception as exc:  # the probe must never take the caller down
        return 'probing TensorRT failed unexpectedly (%s: %s)' % (type(exc).__name__, exc)


def _unavailable_reason() -> Optional[str]:
    from trt_perception.tensorrt.api import TensorRTApi, TensorRTUnavailable

    try:
        api = TensorRTApi.load()
    except TensorRTUnavailable as exc:
        return str(exc)
    try:
        api.require_builder()
    except TensorRTUnavailable as exc:
        return str(exc)
    try:
        from trt_perception.gpu.context import CudaUnavailableError, cuda, device_count
    except Exception as exc:  # pycuda raises ImportError or OSError for a missing libcuda
        return 'pycuda cannot be imported (%s); %s' % (exc.__cause__ or exc, _PYCUDA_HINT)
    try:
        count = device_count()
    except CudaUnavailableError as exc:
        return 'no CUDA device is usable: %s' % exc
    if count == 0:
        return 'the CUDA driver reports no GPU; check the NVIDIA driver and device permissions'
    return _unsupported_device_reason(api, cuda.Device(0))


def _unsupported_device_reason(api, device) -> Optional[str]:
    """Why `device` cannot run engines of `api`, or None."""
    if not api.is_rtx:
        return None
    major, minor = device.compute_capability()
    targets = getattr(api.module, 'ComputeCapability', None)
    name = 'SM%d%d' % (major, minor)
    if targets is not None and not hasattr(targets, name):
        return ('TensorRT-RTX %s does not support %s (compute capability %d.%d); install the '
                'full TensorRT for this GPU' % (api.version, device.name(), major, minor))
    return None
