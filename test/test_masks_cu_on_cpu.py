# Copyright 2026 The trt_perception Authors
# SPDX-License-Identifier: Apache-2.0
"""
masks.cu's arithmetic run on the CPU: the kernels compiled by the host C++ compiler.

No GPU is needed: a few macros make the CUDA qualifiers plain C++, every launch becomes loops
over the grid with one thread per block (so the shared-memory load in mask_logits needs no
barrier), and `float` stands in for `__half` (the f16 kernel is compiled, only the f32 one
run).  The host side is the GPU assembler's own: `core.masks.windows` and `resampling`, the
arguments gpu/masks.py passes.  The masks must equal `MaskAssembler`'s (windows identical, at
most 0.1% of the pixels differing).  This checks the kernels' indexing and arithmetic, not
CUDA itself: the GPU-marked test/test_gpu_masks.py runs them on a device.
"""

import ctypes
import os
import shutil
import subprocess

import numpy as np
import pytest
from scipy import ndimage

from trt_perception.core.letterbox import Letterbox
from trt_perception.core.masks import MaskAssembler, resampling, windows

SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      'trt_perception', 'gpu', 'masks.cu')

SHIM = r"""
#include <algorithm>
#include <cstddef>
#include <math.h>
struct Dim3 { int x, y, z; };
static Dim3 blockIdx, threadIdx, blockDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static
#define __restrict__
inline void __syncthreads() {}
using std::max;
using std::min;
#include "masks.cu"

extern "C" void run(const float* protos, int masks, int proto_height, int proto_width,
                    const float* coefficients, int count, float* logits, const int* packed,
                    int factor, int top_x, int span_x, float ratio_x, int top_y, int span_y,
                    float ratio_y, unsigned char* out) {
  const int plane = proto_height * proto_width;
  blockDim = Dim3{1, 1, 1};
  threadIdx = Dim3{0, 0, 0};
  for (int d = 0; d < count; ++d)
    for (int cell = 0; cell < plane; ++cell) {
      blockIdx = Dim3{cell, d, 0};
      mask_logits_f32(protos, masks, plane, coefficients, logits);
    }
  const Window* windows = reinterpret_cast<const Window*>(packed);
  for (int d = 0; d < count; ++d)
    for (int r = 0; r < windows[d].height; ++r)
      for (int c = 0; c < windows[d].width; ++c) {
        blockIdx = Dim3{c, r, d};
        mask_pixels(logits, proto_width, proto_height, windows, factor, top_x, span_x,
                    ratio_x, top_y, span_y, ratio_y, out);
      }
}
"""

FP16_STUB = r"""
struct __half { float value; };
inline float __half2float(__half h) { return h.value; }
"""


@pytest.fixture(scope='module')
def kernels(tmp_path_factory):
    compiler = shutil.which('c++') or shutil.which('g++')
    if compiler is None:
        pytest.skip('no C++ compiler (apt-get install build-essential)')
    folder = tmp_path_factory.mktemp('masks_cu')
    shutil.copy(SOURCE, str(folder / 'masks.cu'))
    (folder / 'cuda_fp16.h').write_text(FP16_STUB)
    (folder / 'run.cpp').write_text(SHIM)
    library = folder / 'masks_cu.so'
    result = subprocess.run(
        [compiler, '-std=c++14', '-O2', '-shared', '-fPIC', '-Wno-unknown-pragmas',
         '-I', str(folder), '-o', str(library), str(folder / 'run.cpp')],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
    assert result.returncode == 0, result.stdout
    return ctypes.CDLL(str(library))


def _pointer(array):
    return array.ctypes.data_as(ctypes.c_void_p)


def _assemble(kernels, protos, coefficients, boxes, letterbox):
    """Do what CudaMaskAssembler does, with the kernels run by `kernels.run`."""
    masks, height, width = protos.shape
    packed = windows(boxes, letterbox).astype(np.int32)
    total = int((packed[:, 2] * packed[:, 3]).sum())
    grid_x, grid_y = resampling(letterbox, width, height)
    logits = np.zeros((len(coefficients), height, width), np.float32)
    out = np.full(max(total, 1), 7, np.uint8)
    kernels.run(_pointer(protos), masks, height, width, _pointer(coefficients),
                len(coefficients), _pointer(logits), _pointer(packed), grid_x.factor,
                grid_x.top, grid_x.span, ctypes.c_float(grid_x.ratio), grid_y.top,
                grid_y.span, ctypes.c_float(grid_y.ratio), _pointer(out))
    assert set(np.unique(out[:total]).tolist()) <= {0, 1}, 'every window byte written'
    return [(x0, y0, out[offset:offset + w * h].reshape(h, w).astype(bool))
            for x0, y0, w, h, offset in packed.tolist()]


@pytest.mark.parametrize('src, network, proto', [
    ((637, 411), (320, 256), (80, 64)), ((640, 480), (320, 320), (80, 80)),
    ((1280, 648), (640, 640), (160, 160)), ((301, 533), (320, 320), (80, 80))])
def test_kernels_equal_the_cpu_assembler(kernels, src, network, proto):
    rng = np.random.default_rng(5)
    letterbox = Letterbox.fit(src[0], src[1], *network)
    raw = rng.normal(size=(32, proto[1], proto[0]))
    protos = (ndimage.gaussian_filter(raw, sigma=(0, 2, 2)) * 4).astype(np.float32)
    coefficients = rng.normal(size=(8, 32)).astype(np.float32)
    corners = rng.uniform(0, 1, size=(8, 4)) * np.array([src[0], src[1]] * 2)
    boxes = np.concatenate([np.minimum(corners[:, :2], corners[:, 2:]),
                            np.maximum(corners[:, :2], corners[:, 2:])], axis=1)
    boxes[0] = [0, 0, src[0], src[1]]
    boxes[1] = [5, 5, 5, 9]
    emulated = _assemble(kernels, protos, coefficients, boxes, letterbox)
    reference = MaskAssembler().assemble(protos, coefficients, boxes, letterbox)
    for (x0, y0, data), mask in zip(emulated, reference):
        assert (x0, y0, data.shape) == (mask.x0, mask.y0, mask.data.shape)
        union = np.count_nonzero(data | mask.data)
        differ = np.count_nonzero(data != mask.data)
        # float32 against float64 tap positions: only pixels with a logit of about 0 differ.
        assert differ <= max(2, union // 1000), (differ, union)
