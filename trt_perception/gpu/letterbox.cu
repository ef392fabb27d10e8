// Copyright 2026 The trt_perception Authors
// SPDX-License-Identifier: Apache-2.0
//
// Fused letterbox preprocessing: raw sensor_msgs/Image bytes to one NCHW slot of the network
// input in a single pass.  Matches trt_perception.core.preprocess.CpuPreprocessor to rounding:
// each bilinear neighbour is converted to the model's channel order first (YUV422 with
// OpenCV's integer BT.601 video-range formula, bit for bit), then interpolated with
// cv2.resize INTER_LINEAR's sampling and border clamping (or TensorFlow 1's resize_bilinear
// sampling, without the half-pixel offset, where the model was trained so), then
// y = x * gain + bias.
//
// One kernel per (source layout, output channel order, output type), named
// letterbox_<layout>_to_<order>_<f32|f16>.  PIXELS_PER_THREAD horizontally adjacent output
// pixels per thread let each thread store one 8- or 16-byte vector per plane; the host picks
// a value that divides the input width, so no thread needs a tail.

#include <cuda_fp16.h>

#ifndef PIXELS_PER_THREAD
#define PIXELS_PER_THREAD 4
#endif

#if PIXELS_PER_THREAD != 1 && PIXELS_PER_THREAD != 2 && PIXELS_PER_THREAD != 4
#error "PIXELS_PER_THREAD must be 1, 2 or 4"
#endif

namespace {

enum Layout { kBgr, kRgb, kBgra, kRgba, kMono, kUyvy, kYuyv };

struct Pixel {
  float c0, c1, c2;
};

// OpenCV's cvtColor YUV422 -> RGB: 20-bit fixed point, luma offset clamped at 16.
__device__ __forceinline__ int yuv_channel(int luma, int chroma) {
  return min(max((luma + chroma) >> 20, 0), 255);
}

template <int L, bool BGR_OUT>
__device__ __forceinline__ Pixel fetch(const unsigned char* __restrict__ row, int x) {
  Pixel p;
  if (L == kMono) {
    const float v = row[x];
    p.c0 = v;
    p.c1 = v;
    p.c2 = v;
  } else if (L == kUyvy || L == kYuyv) {
    const unsigned char* pair = row + (x >> 1) * 4;
    const int odd = x & 1;
    int y, u, v;
    if (L == kUyvy) {
      u = pair[0];
      y = pair[1 + 2 * odd];
      v = pair[2];
    } else {
      y = pair[2 * odd];
      u = pair[1];
      v = pair[3];
    }
    const int luma = max(0, y - 16) * 1220542;
    const int du = u - 128;
    const int dv = v - 128;
    const int half = 1 << 19;
    const float r = yuv_channel(luma, half + 1673527 * dv);
    const float g = yuv_channel(luma, half - 852492 * dv - 409993 * du);
    const float b = yuv_channel(luma, half + 2116026 * du);
    p.c0 = BGR_OUT ? b : r;
    p.c1 = g;
    p.c2 = BGR_OUT ? r : b;
  } else {
    const int bytes_per_pixel = (L == kBgra || L == kRgba) ? 4 : 3;
    const bool source_bgr = (L == kBgr || L == kBgra);
    const unsigned char* src = row + x * bytes_per_pixel;
    const bool same_order = source_bgr == BGR_OUT;
    p.c0 = src[same_order ? 0 : 2];
    p.c1 = src[1];
    p.c2 = src[same_order ? 2 : 0];
  }
  return p;
}

// Bilinear sampling for one axis: left/top neighbour, its right/bottom neighbour and the
// weight of the latter, with OpenCV's clamping at both borders.  sample_offset 0.5 samples at
// half-pixel centres as cv2.resize INTER_LINEAR does; 0 is TensorFlow 1's resize_bilinear
// (source = destination x scale), whose positions are never negative.
struct Tap {
  int i0, i1;
  float w;
};

__device__ __forceinline__ Tap tap(int resized_coord, float sample_scale, float sample_offset,
                                   int src_size) {
  float s = (resized_coord + sample_offset) * sample_scale - sample_offset;
  int i0 = __float2int_rd(s);
  float w = s - i0;
  if (i0 < 0) {
    i0 = 0;
    w = 0.0f;
  }
  if (i0 >= src_size - 1) {
    i0 = src_size - 1;
    w = 0.0f;
  }
  Tap t;
  t.i0 = i0;
  t.i1 = min(i0 + 1, src_size - 1);
  t.w = w;
  return t;
}

__device__ __forceinline__ float lerp(float a, float b, float w) {
  return a * (1.0f - w) + b * w;
}

// N adjacent outputs of one plane as a single 4-, 8- or 16-byte store.
template <int N>
__device__ __forceinline__ void store(float* dst, const float* v) {
  if (N == 4) {
    *reinterpret_cast<float4*>(dst) = make_float4(v[0], v[1], v[2], v[3]);
  } else if (N == 2) {
    *reinterpret_cast<float2*>(dst) = make_float2(v[0], v[1]);
  } else {
    dst[0] = v[0];
  }
}

template <int N>
__device__ __forceinline__ void store(__half* dst, const float* v) {
  if (N == 4) {
    __half2 lo = __floats2half2_rn(v[0], v[1]);
    __half2 hi = __floats2half2_rn(v[2], v[3]);
    uint2 packed;
    packed.x = *reinterpret_cast<unsigned int*>(&lo);
    packed.y = *reinterpret_cast<unsigned int*>(&hi);
    *reinterpret_cast<uint2*>(dst) = packed;
  } else if (N == 2) {
    *reinterpret_cast<__half2*>(dst) = __floats2half2_rn(v[0], v[1]);
  } else {
    dst[0] = __float2half_rn(v[0]);
  }
}

template <int L, bool BGR_OUT, typename T>
__device__ __forceinline__ void letterbox(
    const unsigned char* __restrict__ src, int src_step, int src_width, int src_height,
    T* __restrict__ dst, int dst_width, int dst_height,
    int pad_left, int pad_top, int resized_width, int resized_height,
    float sample_scale_x, float sample_scale_y, float sample_offset,
    float gain0, float gain1, float gain2, float bias0, float bias1, float bias2,
    float pad0, float pad1, float pad2) {
  const int N = PIXELS_PER_THREAD;
  const int dy = blockIdx.y * blockDim.y + threadIdx.y;
  const int dx0 = (blockIdx.x * blockDim.x + threadIdx.x) * N;
  if (dy >= dst_height || dx0 >= dst_width) return;

  float out0[N], out1[N], out2[N];
#pragma unroll
  for (int k = 0; k < N; ++k) {
    out0[k] = pad0;
    out1[k] = pad1;
    out2[k] = pad2;
  }

  const int ry = dy - pad_top;
  if (ry >= 0 && ry < resized_height) {
    const Tap ty = tap(ry, sample_scale_y, sample_offset, src_height);
    const unsigned char* row0 = src + static_cast<size_t>(ty.i0) * src_step;
    const unsigned char* row1 = src + static_cast<size_t>(ty.i1) * src_step;
#pragma unroll
    for (int k = 0; k < N; ++k) {
      const int rx = dx0 + k - pad_left;
      if (rx >= 0 && rx < resized_width) {
        const Tap tx = tap(rx, sample_scale_x, sample_offset, src_width);
        const Pixel a = fetch<L, BGR_OUT>(row0, tx.i0);
        const Pixel b = fetch<L, BGR_OUT>(row0, tx.i1);
        const Pixel c = fetch<L, BGR_OUT>(row1, tx.i0);
        const Pixel d = fetch<L, BGR_OUT>(row1, tx.i1);
        out0[k] = lerp(lerp(a.c0, b.c0, tx.w), lerp(c.c0, d.c0, tx.w), ty.w) * gain0 + bias0;
        out1[k] = lerp(lerp(a.c1, b.c1, tx.w), lerp(c.c1, d.c1, tx.w), ty.w) * gain1 + bias1;
        out2[k] = lerp(lerp(a.c2, b.c2, tx.w), lerp(c.c2, d.c2, tx.w), ty.w) * gain2 + bias2;
      }
    }
  }

  const size_t plane = static_cast<size_t>(dst_width) * dst_height;
  T* at = dst + static_cast<size_t>(dy) * dst_width + dx0;
  store<N>(at, out0);
  store<N>(at + plane, out1);
  store<N>(at + 2 * plane, out2);
}

}  // namespace

#define LETTERBOX_KERNEL(NAME, LAYOUT, BGR_OUT, T)                                          \
  extern "C" __global__ void __launch_bounds__(256) letterbox_##NAME(                        \
      const unsigned char* __restrict__ src, int src_step, int src_width, int src_height,    \
      T* __restrict__ dst, int dst_width, int dst_height, int pad_left, int pad_top,         \
      int resized_width, int resized_height, float sample_scale_x, float sample_scale_y,     \
      float sample_offset, float gain0, float gain1, float gain2, float bias0, float bias1,  \
      float bias2, float pad0, float pad1, float pad2) {                                     \
    letterbox<LAYOUT, BGR_OUT, T>(src, src_step, src_width, src_height, dst, dst_width,      \
                                  dst_height, pad_left, pad_top, resized_width,              \
                                  resized_height, sample_scale_x, sample_scale_y,            \
                                  sample_offset, gain0, gain1, gain2, bias0, bias1, bias2,   \
                                  pad0, pad1, pad2);                                         \
  }

#define LETTERBOX_TYPES(LAYOUT_NAME, LAYOUT, ORDER_NAME, BGR_OUT)                \
  LETTERBOX_KERNEL(LAYOUT_NAME##_to_##ORDER_NAME##_f32, LAYOUT, BGR_OUT, float) \
  LETTERBOX_KERNEL(LAYOUT_NAME##_to_##ORDER_NAME##_f16, LAYOUT, BGR_OUT, __half)

#define LETTERBOX_ORDERS(LAYOUT_NAME, LAYOUT)         \
  LETTERBOX_TYPES(LAYOUT_NAME, LAYOUT, rgb, false) \
  LETTERBOX_TYPES(LAYOUT_NAME, LAYOUT, bgr, true)

LETTERBOX_ORDERS(bgr, kBgr)
LETTERBOX_ORDERS(rgb, kRgb)
LETTERBOX_ORDERS(bgra, kBgra)
LETTERBOX_ORDERS(rgba, kRgba)
LETTERBOX_ORDERS(mono, kMono)
LETTERBOX_ORDERS(uyvy, kUyvy)
LETTERBOX_ORDERS(yuyv, kYuyv)
