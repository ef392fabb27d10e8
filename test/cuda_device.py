# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Import first in a GPU test module: skips it, saying why, without pycuda or a CUDA device."""

import pytest

cuda = pytest.importorskip(
    'pycuda.driver', reason='pycuda is not installed (GPU tests run on a CUDA machine)')

from trt_perception.gpu.context import CudaUnavailableError, device_count  # noqa: E402

try:
    DEVICES = device_count()
except CudaUnavailableError as exc:
    pytest.skip('CUDA driver unusable: %s' % exc, allow_module_level=True)
if DEVICES == 0:
    pytest.skip('no CUDA device on this machine', allow_module_level=True)
