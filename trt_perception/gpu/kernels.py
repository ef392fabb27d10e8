# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""Compiling the package's CUDA sources with nvcc, once per process, source, GPU and options."""

from pathlib import Path
import threading
from typing import Dict, Sequence, Tuple

from pycuda import compiler
import pycuda.driver as cuda

from trt_perception.gpu.nvcc import find_nvcc

_cubins: Dict[Tuple[str, str, Tuple[str, ...]], bytes] = {}
_cubins_lock = threading.Lock()


def compiled(source: Path, arch: str, options: Sequence[str] = ()) -> bytes:
    """Return the cubin of `source` for `arch` with nvcc `options`, compiled once."""
    key = (str(source), arch, tuple(options))
    with _cubins_lock:
        cubin = _cubins.get(key)
        if cubin is None:
            nvcc = find_nvcc()
            try:
                cubin = compiler.compile(source.read_text(), nvcc=nvcc, options=list(options),
                                         arch=arch, no_extern_c=True)
            except (OSError, cuda.CompileError) as exc:
                raise RuntimeError(
                    'compiling %s for %s with %s failed: %s; use the CUDA toolkit that came '
                    "with the driver (JetPack's, in /usr/local/cuda): CUDA 13 and later no "
                    'longer compile for Jetson TX2 (sm_62), Nano (sm_53) or Xavier (sm_72)'
                    % (source.name, arch, nvcc, exc)) from exc
            _cubins[key] = cubin
    return cubin
