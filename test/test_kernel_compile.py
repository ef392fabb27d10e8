# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
letterbox.cu and masks.cu compiled for every Jetson GPU, on a CPU-only machine, with CUDA 11.8.

The GPU tests compile the kernels with whatever nvcc the lent GPU machine has, for that GPU
only; the nvcc 13 here no longer targets the TX2 (sm_62), the Nano (sm_53) or Xavier (sm_72).
CUDA 11.8's NVRTC, ptxas and device headers come from PyPI (requirements/cuda11-compiler.txt,
installed in .venv by scripts/setup.sh) and target all four Jetson generations.  Each
architecture and each PIXELS_PER_THREAD the host may choose goes through NVRTC to PTX and
ptxas to a cubin, as nvcc would; any error fails.  Compiling says nothing about running.
"""

import ctypes
import os
import re
import subprocess

import pytest

from trt_perception.core.image import ENCODINGS
from trt_perception.core.preprocess import CHANNEL_ORDERS, DTYPES

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(REPO, 'trt_perception', 'gpu', 'letterbox.cu')
MASKS_SOURCE = os.path.join(REPO, 'trt_perception', 'gpu', 'masks.cu')
with open(os.path.join(REPO, 'trt_perception', 'gpu', 'masks.py')) as _module:
    # Read, not imported: gpu/masks.py needs pycuda, which is not installed here.
    MAX_MASKS = int(re.search(r'^MAX_MASKS = (\d+)$', _module.read(), re.MULTILINE).group(1))

JETSON_ARCHITECTURES = {
    'sm_53': 'Jetson Nano (JetPack 4.6, CUDA 10.2)',
    'sm_62': 'Jetson TX2 (JetPack 4.6, CUDA 10.2)',
    'sm_72': 'Jetson Xavier (JetPack 4.6/5, CUDA 10.2/11.4)',
    'sm_87': 'Jetson Orin (JetPack 5/6, CUDA 11.4/12.x)',
}
PIXELS_PER_THREAD = (1, 2, 4)
"""Every value gpu/preprocess.py compiles with (the widest that divides the input width)."""

# JetPack 4.6's nvcc (CUDA 10.2, with GCC 7) compiles C++14 by default.
NVRTC_OPTIONS = ('--std=c++14',)


def _compiler():
    """Return the CUDA 11.8 wheels' folders, or skip (fail in CI) naming what to install."""
    try:
        import nvidia.cuda_nvcc
        import nvidia.cuda_nvrtc
        import nvidia.cuda_runtime
    except ImportError as exc:
        message = ('CUDA 11.8 NVRTC/ptxas wheels are not installed (%s): pip install -r '
                   'requirements/cuda11-compiler.txt, or run scripts/setup.sh' % exc)
        if os.environ.get('CI'):
            pytest.fail(message + '; CI must compile the kernel for the Jetson GPUs')
        pytest.skip(message)

    def folder(module, *parts):
        return os.path.join(os.path.dirname(module.__file__), *parts)

    return {'nvrtc': folder(nvidia.cuda_nvrtc, 'lib'),
            'ptxas': folder(nvidia.cuda_nvcc, 'bin', 'ptxas'),
            'include': folder(nvidia.cuda_runtime, 'include')}


class Nvrtc:
    """The few NVRTC calls that turn CUDA C++ into PTX, through ctypes."""

    def __init__(self, lib_dir):
        # Loaded first and globally: NVRTC finds its builtins library by name at run time.
        ctypes.CDLL(os.path.join(lib_dir, 'libnvrtc-builtins.so.11.8'), mode=ctypes.RTLD_GLOBAL)
        self._lib = ctypes.CDLL(os.path.join(lib_dir, 'libnvrtc.so.11.2'))
        self._lib.nvrtcGetErrorString.restype = ctypes.c_char_p

    def _check(self, status, what):
        if status != 0:
            raise RuntimeError('%s: %s' % (what, self._lib.nvrtcGetErrorString(status).decode()))

    def version(self):
        """Return (major, minor) of this NVRTC."""
        major, minor = ctypes.c_int(), ctypes.c_int()
        self._check(self._lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)),
                    'nvrtcVersion')
        return major.value, minor.value

    def ptx(self, source, name, options):
        """Return (status, log, ptx) for `source` compiled with `options`."""
        program = ctypes.c_void_p()
        self._check(self._lib.nvrtcCreateProgram(ctypes.byref(program), source.encode(),
                                                 name.encode(), 0, None, None),
                    'nvrtcCreateProgram')
        try:
            encoded = [option.encode() for option in options]
            status = self._lib.nvrtcCompileProgram(
                program, len(encoded), (ctypes.c_char_p * len(encoded))(*encoded))
            size = ctypes.c_size_t()
            self._check(self._lib.nvrtcGetProgramLogSize(program, ctypes.byref(size)),
                        'nvrtcGetProgramLogSize')
            log = ctypes.create_string_buffer(size.value)
            self._check(self._lib.nvrtcGetProgramLog(program, log), 'nvrtcGetProgramLog')
            ptx = b''
            if status == 0:
                self._check(self._lib.nvrtcGetPTXSize(program, ctypes.byref(size)),
                            'nvrtcGetPTXSize')
                buffer = ctypes.create_string_buffer(size.value)
                self._check(self._lib.nvrtcGetPTX(program, buffer), 'nvrtcGetPTX')
                ptx = buffer.value
            return status, log.value.decode(errors='replace'), ptx.decode()
        finally:
            self._lib.nvrtcDestroyProgram(ctypes.byref(program))


@pytest.fixture(scope='module')
def compiler():
    paths = _compiler()
    nvrtc = Nvrtc(paths['nvrtc'])
    assert nvrtc.version() == (11, 8), 'pin CUDA 11.8: the last CUDA whose compiler ' \
        'targets sm_53 and sm_62 as well as sm_87'
    return nvrtc, paths


def _expected_kernels():
    """Names gpu/preprocess.py looks up: one per source layout, channel order and dtype."""
    layouts = sorted({encoding.layout for encoding in ENCODINGS.values()})
    suffix = {'float32': 'f32', 'float16': 'f16'}
    return {'letterbox_%s_to_%s_%s' % (layout, order, suffix[dtype])
            for layout in layouts for order in CHANNEL_ORDERS for dtype in DTYPES}


def _compile(compiler, source_path, arch, defines, tmp_path):
    """Compile through NVRTC to PTX and ptxas to a cubin; return the PTX's kernel names."""
    nvrtc, paths = compiler
    with open(source_path) as f:
        source = f.read()
    name = os.path.basename(source_path)
    options = NVRTC_OPTIONS + (
        '--gpu-architecture=compute_%s' % arch[3:], '-I' + paths['include']) + tuple(defines)
    status, log, ptx = nvrtc.ptx(source, name, options)
    where = '%s for %s (%s) %s' % (name, arch, JETSON_ARCHITECTURES[arch], ' '.join(defines))
    assert status == 0, 'NVRTC 11.8 failed on %s:\n%s' % (where, log)
    assert 'error' not in log.lower(), log

    ptx_path, cubin_path = tmp_path / (name + '.ptx'), tmp_path / (name + '.cubin')
    ptx_path.write_text(ptx)
    result = subprocess.run(
        [paths['ptxas'], '--gpu-name', arch, '--warn-on-spills', '--output-file',
         str(cubin_path), str(ptx_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
    assert result.returncode == 0, 'ptxas 11.8 failed on %s:\n%s' % (where, result.stdout)
    assert 'spill' not in result.stdout, 'register spills in %s:\n%s' % (where, result.stdout)
    assert cubin_path.stat().st_size > 0
    return set(re.findall(r'^\.visible \.entry (\w+)\(', ptx, re.MULTILINE))


@pytest.mark.parametrize('pixels_per_thread', PIXELS_PER_THREAD)
@pytest.mark.parametrize('arch', sorted(JETSON_ARCHITECTURES))
def test_letterbox_compiles_for_jetson(compiler, arch, pixels_per_thread, tmp_path):
    entries = _compile(compiler, SOURCE, arch, ['-DPIXELS_PER_THREAD=%d' % pixels_per_thread],
                       tmp_path)
    assert entries == _expected_kernels()


@pytest.mark.parametrize('arch', sorted(JETSON_ARCHITECTURES))
def test_masks_kernel_compiles_for_jetson(compiler, arch, tmp_path):
    entries = _compile(compiler, MASKS_SOURCE, arch, ['-DMAX_MASKS=%d' % MAX_MASKS], tmp_path)
    assert entries == {'mask_logits_f32', 'mask_logits_f16', 'mask_pixels'}
