// Copyright 2026 The trt_perception Authors
// SPDX-License-Identifier: Apache-2.0
//
// Instance-mask assembly on the GPU, the same arithmetic as trt_perception.core.masks:
//
//   mask_logits_<f32|f16>: each kept detection's coefficients dotted with the prototype
//     masks at every prototype cell (n planes of H x W float logits);
//   mask_pixels: each pixel of each detection's box window in the source image blends the
//     4 x 4 prototype cells its two bilinear resamplings reach (upsample by `factor`, cut
//     the letterbox padding, stretch to the source) and stores 1 where the logit is above 0
//     (sigmoid above 0.5), else 0, into one packed byte buffer: window i starts at its offset.
//
// Only the packed windows are copied back to the host.

#include <cuda_fp16.h>

#ifndef MAX_MASKS
#define MAX_MASKS 256
#endif

namespace {

struct Window {
  int x0, y0, width, height, offset;
};

struct AxisTaps {
  int cell[4];
  float weight[4];
};

__device__ __forceinline__ void bilinear(float position, int size, int* lower, int* upper,
                                         float* weight) {
  position = fmaxf(position, 0.0f);
  const int low = min(static_cast<int>(floorf(position)), size - 1);
  *lower = low;
  *upper = min(low + 1, size - 1);
  *weight = position - static_cast<float>(low);
}

// Source pixel p's prototype cells and weights along one axis (core.masks.axis_taps):
// `top` and `span` are the resized frame's first pixel and extent in the grid of prototypes
// upsampled `factor` times, `ratio` = span / src.
__device__ __forceinline__ AxisTaps axis_taps(int p, int top, int span, float ratio,
                                              int proto, int factor) {
  int low, high;
  float weight;
  bilinear((static_cast<float>(p) + 0.5f) * ratio - 0.5f, span, &low, &high, &weight);
  const int up[2] = {low + top, high + top};
  const float share[2] = {1.0f - weight, weight};
  AxisTaps taps;
#pragma unroll
  for (int k = 0; k < 2; ++k) {
    int a, b;
    float w;
    bilinear((static_cast<float>(up[k]) + 0.5f) / static_cast<float>(factor) - 0.5f, proto,
             &a, &b, &w);
    taps.cell[2 * k] = a;
    taps.cell[2 * k + 1] = b;
    taps.weight[2 * k] = share[k] * (1.0f - w);
    taps.weight[2 * k + 1] = share[k] * w;
  }
  return taps;
}

__device__ __forceinline__ float load(const float* p, size_t i) { return p[i]; }
__device__ __forceinline__ float load(const __half* p, size_t i) { return __half2float(p[i]); }

template <typename T>
__device__ void mask_logits(const T* __restrict__ protos, int masks, int plane,
                            const float* __restrict__ coefficients,
                            float* __restrict__ logits) {
  __shared__ float coefficient[MAX_MASKS];
  const int detection = blockIdx.y;
  for (int m = threadIdx.x; m < masks; m += blockDim.x) {
    coefficient[m] = coefficients[static_cast<size_t>(detection) * masks + m];
  }
  __syncthreads();
  const int cell = blockIdx.x * blockDim.x + threadIdx.x;
  if (cell >= plane) return;
  float sum = 0.0f;
  for (int m = 0; m < masks; ++m) {
    sum += coefficient[m] * load(protos, static_cast<size_t>(m) * plane + cell);
  }
  logits[static_cast<size_t>(detection) * plane + cell] = sum;
}

}  // namespace

#define MASK_LOGITS_KERNEL(NAME, T)                                                        \
  extern "C" __global__ void __launch_bounds__(256) mask_logits_##NAME(                    \
      const T* __restrict__ protos, int masks, int plane,                                  \
      const float* __restrict__ coefficients, float* __restrict__ logits) {                \
    mask_logits<T>(protos, masks, plane, coefficients, logits);                            \
  }

MASK_LOGITS_KERNEL(f32, float)
MASK_LOGITS_KERNEL(f16, __half)

// Grid: x and y over the widest and tallest window, z over the detections.
extern "C" __global__ void __launch_bounds__(256) mask_pixels(
    const float* __restrict__ logits, int proto_width, int proto_height,
    const Window* __restrict__ windows, int factor, int top_x, int span_x, float ratio_x,
    int top_y, int span_y, float ratio_y, unsigned char* __restrict__ out) {
  const Window window = windows[blockIdx.z];
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  const int r = blockIdx.y * blockDim.y + threadIdx.y;
  if (c >= window.width || r >= window.height) return;
  const AxisTaps tx = axis_taps(window.x0 + c, top_x, span_x, ratio_x, proto_width, factor);
  const AxisTaps ty = axis_taps(window.y0 + r, top_y, span_y, ratio_y, proto_height, factor);
  const float* plane =
      logits + static_cast<size_t>(blockIdx.z) * proto_width * proto_height;
  float sum = 0.0f;
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const float* row = plane + static_cast<size_t>(ty.cell[j]) * proto_width;
    float across = 0.0f;
#pragma unroll
    for (int i = 0; i < 4; ++i) across += row[tx.cell[i]] * tx.weight[i];
    sum += across * ty.weight[j];
  }
  out[window.offset + static_cast<size_t>(r) * window.width + c] = sum > 0.0f ? 1 : 0;
}
