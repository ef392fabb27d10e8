# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
Finding nvcc, the CUDA compiler pycuda runs to build the letterbox kernel.

A fresh JetPack installs the CUDA toolkit in /usr/local/cuda without putting its ``bin``
folder on PATH, and pycuda only looks on PATH.  This module imports nothing from CUDA.
"""

import os
import shutil
from typing import List, Mapping, Optional

CUDA_HOME_VARIABLES = ('CUDA_HOME', 'CUDA_PATH')
"""Environment variables naming a CUDA toolkit folder, in the order they are tried."""

DEFAULT_CUDA_HOME = '/usr/local/cuda'
"""Where JetPack and NVIDIA's x86 packages install the toolkit."""


class NvccNotFoundError(RuntimeError):
    """No nvcc anywhere it is looked for; the message lists the places and what to install."""


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_nvcc(environ: Optional[Mapping[str, str]] = None) -> str:
    """
    Return the path of the nvcc to run.

    Looks on PATH first, then in ``bin`` of $CUDA_HOME, $CUDA_PATH and /usr/local/cuda;
    `environ` defaults to this process's environment.
    """
    if environ is None:
        environ = os.environ
    found = shutil.which('nvcc', path=environ.get('PATH', os.defpath))
    if found:
        return found
    looked: List[str] = ['PATH']
    homes = [environ.get(name) for name in CUDA_HOME_VARIABLES] + [DEFAULT_CUDA_HOME]
    for home in homes:
        if home:
            candidate = os.path.join(home, 'bin', 'nvcc')
            if _executable(candidate):
                return candidate
            looked.append(candidate)
    raise NvccNotFoundError(
        'nvcc, the CUDA compiler that GPU preprocessing needs, is not in %s; install the CUDA '
        "toolkit (Jetson: sudo apt install nvidia-cuda, part of JetPack; x86: NVIDIA's "
        'cuda-toolkit package), set CUDA_HOME to its folder if it is elsewhere, or set '
        'preprocess: cpu' % ', '.join(dict.fromkeys(looked)))
