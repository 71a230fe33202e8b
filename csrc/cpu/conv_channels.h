// Convolution vectorised over output channels, for width-stride-1 layers with at least one
// vector of output channels per group (ResNet's 3x3 layers, LeNet's second layer): the implicit
// GEMM y[pixels, O] = cols[pixels, K] · wᵀ[K, O] with the column matrix as the micro-kernel's
// broadcast operand. A broadcast needs no layout, so the columns are read straight from the padded
// input and never packed; only the weights are (once per call, as wᵀ [K, O rounded up to vectors]).
// A tile is P consecutive output pixels of one row x NV vectors of channels, P·NV accumulators;
// it is stored transposed into the NCHW output.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/conv.h"

namespace mdlfast::cpu {

// One image and group: y [og, oh, ow] from xp [cg, hp, wp] (padding included), wt [K][og_pad]
// (the group's weights transposed, og_pad a whole number of vectors, zero beyond og), bias b[og]
// or null. The shape's width stride must be 1.
using ChannelConvFn = void (*)(float* y, const float* xp, int64_t hp, int64_t wp, const float* wt,
                               int64_t og_pad, const float* b, const ConvShape& s);
void channel_conv_avx512(float* y, const float* xp, int64_t hp, int64_t wp, const float* wt,
                         int64_t og_pad, const float* b, const ConvShape& s);
void channel_conv_avx2(float* y, const float* xp, int64_t hp, int64_t wp, const float* wt,
                       int64_t og_pad, const float* b, const ConvShape& s);

// The weight gradient in the same orientation, for one image and group (any strides):
//   dwt[k][o] (+)= Σ_l xp[tap_offsets[k] + pixel_offsets[l]] · dyt[l][o]
// for k < taps (a multiple of kWeightTapMultiple; padded taps may point anywhere in xp, their
// rows are discarded), o < og_pad (a whole number of vectors), l < pixels. dyt [pixels][og_pad] is
// the image's dy transposed. Written when accumulate is false, added to otherwise.
constexpr int64_t kWeightTapMultiple = 24;
using ChannelWeightGradientFn = void (*)(float* dwt, int64_t og_pad, const float* xp,
                                         const int64_t* tap_offsets, int64_t taps,
                                         const int64_t* pixel_offsets, int64_t pixels,
                                         const float* dyt, bool accumulate);
void channel_weight_gradient_avx512(float* dwt, int64_t og_pad, const float* xp,
                                    const int64_t* tap_offsets, int64_t taps,
                                    const int64_t* pixel_offsets, int64_t pixels, const float* dyt,
                                    bool accumulate);
void channel_weight_gradient_avx2(float* dwt, int64_t og_pad, const float* xp,
                                  const int64_t* tap_offsets, int64_t taps,
                                  const int64_t* pixel_offsets, int64_t pixels, const float* dyt,
                                  bool accumulate);

namespace conv_channels {

// The offset in xp of each tap (c, i, j) of the filter, in the weights' order: one flat loop over
// the taps keeps the accumulators in registers (nested loops make the compiler spill them).
inline std::vector<int64_t> tap_offsets(const ConvShape& s, int64_t hp, int64_t wp) {
  std::vector<int64_t> offsets;
  offsets.reserve(s.c / s.groups * s.kh * s.kw);
  for (int64_t c = 0; c < s.c / s.groups; ++c)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) offsets.push_back((c * hp + i * s.dh) * wp + j * s.dw);
  return offsets;
}

template <class V, int NV, int P>
void tile(float* y, const float* x, const int64_t* offsets, int64_t taps, const float* wt,
          int64_t og_pad, const float* b, int channels, int64_t plane) {
  using F = typename V::F;
  constexpr int W = V::kWidth;
  F acc[P][NV];
#pragma GCC unroll 32
  for (int v = 0; v < NV; ++v) {
    const F init = b ? V::load(b + v * W, channels - v * W) : V::set1(0.0f);
  #pragma GCC unroll 32
    for (int p = 0; p < P; ++p) acc[p][v] = init;
  }
  const float* wk = wt;
  for (int64_t t = 0; t < taps; ++t, wk += og_pad) {
    const float* xt = x + offsets[t];
    F wv[NV];
  #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) wv[v] = V::load(wk + v * W, W);
  #pragma GCC unroll 32
    for (int p = 0; p < P; ++p) {
      const F xb = V::set1(xt[p]);
    #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) acc[p][v] = V::fmadd(xb, wv[v], acc[p][v]);
    }
  }
  alignas(64) float out[P][NV * W];
#pragma GCC unroll 32
  for (int p = 0; p < P; ++p)
  #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) V::store(out[p] + v * W, acc[p][v], W);
  for (int o = 0; o < channels; ++o)
  #pragma GCC unroll 32
    for (int p = 0; p < P; ++p) y[o * plane + p] = out[p][o];
}

// All output rows of one block of up to NV vectors of channels, in tiles of P pixels (the last
// tile of a row overlaps the one before it rather than running short).
template <class V, int NV, int P>
void rows(float* y, const float* xp, int64_t hp, int64_t wp, const float* wt, int64_t og_pad,
          const float* b, const ConvShape& s, int channels) {
  const int64_t plane = s.oh * s.ow;
  const std::vector<int64_t> offsets = tap_offsets(s, hp, wp);
  const int64_t taps = static_cast<int64_t>(offsets.size());
  for (int64_t oh = 0; oh < s.oh; ++oh) {
    const float* x_row = xp + oh * s.sh * wp;
    for (int64_t ow0 = 0; ow0 < s.ow; ow0 += P) {
      const int64_t start = std::min<int64_t>(ow0, s.ow - P);
      tile<V, NV, P>(y + oh * s.ow + start, x_row + start, offsets.data(), taps, wt, og_pad, b,
                     channels, plane);
    }
  }
}

// P as large as the accumulator budget allows, but no wider than a row (P is a template
// argument, so every value up to the budget is instantiated).
template <class V, int NV, int P>
void rows_fitting(float* y, const float* xp, int64_t hp, int64_t wp, const float* wt,
                  int64_t og_pad, const float* b, const ConvShape& s, int channels) {
  if constexpr (P > 1) {
    if (s.ow < P) {
      rows_fitting<V, NV, P - 1>(y, xp, hp, wp, wt, og_pad, b, s, channels);
      return;
    }
  }
  rows<V, NV, P>(y, xp, hp, wp, wt, og_pad, b, s, channels);
}

template <class V, int Accumulators>
void run(float* y, const float* xp, int64_t hp, int64_t wp, const float* wt, int64_t og_pad,
         const float* b, const ConvShape& s) {
  constexpr int W = V::kWidth;
  constexpr int kMaxVectors = 4;
  const int64_t og = s.o / s.groups, plane = s.oh * s.ow;
  for (int64_t o0 = 0; o0 < og; o0 += kMaxVectors * W) {
    const int channels = static_cast<int>(std::min<int64_t>(kMaxVectors * W, og - o0));
    float* yo = y + o0 * plane;
    const float* wo = wt + o0;
    const float* bo = b ? b + o0 : nullptr;
    switch ((channels + W - 1) / W) {
      case 1: rows_fitting<V, 1, Accumulators>(yo, xp, hp, wp, wo, og_pad, bo, s, channels); break;
      case 2: rows_fitting<V, 2, Accumulators / 2>(yo, xp, hp, wp, wo, og_pad, bo, s, channels); break;
      case 3: rows_fitting<V, 3, Accumulators / 3>(yo, xp, hp, wp, wo, og_pad, bo, s, channels); break;
      default: rows_fitting<V, 4, Accumulators / 4>(yo, xp, hp, wp, wo, og_pad, bo, s, channels); break;
    }
  }
}

// P taps x NV vectors of output channels of dwt, summed over every pixel.
template <class V, int NV, int P>
void weight_tile(float* dwt, int64_t og_pad, const float* xp, const int64_t* tap_offsets,
                 const int64_t* pixel_offsets, int64_t pixels, const float* dyt, bool accumulate) {
  using F = typename V::F;
  constexpr int W = V::kWidth;
  F acc[P][NV];
  const float* base[P];
#pragma GCC unroll 32
  for (int p = 0; p < P; ++p) {
    base[p] = xp + tap_offsets[p];
#pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) acc[p][v] = accumulate ? V::load(dwt + p * og_pad + v * W, W) : V::set1(0.0f);
  }
  for (int64_t l = 0; l < pixels; ++l) {
    const int64_t offset = pixel_offsets[l];
    const float* d = dyt + l * og_pad;
    F dv[NV];
#pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) dv[v] = V::load(d + v * W, W);
#pragma GCC unroll 32
    for (int p = 0; p < P; ++p) {
      const F xb = V::set1(base[p][offset]);
#pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) acc[p][v] = V::fmadd(xb, dv[v], acc[p][v]);
    }
  }
#pragma GCC unroll 32
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) V::store(dwt + p * og_pad + v * W, acc[p][v], W);
}

template <class V, int NV, int P>
void weight_tiles(float* dwt, int64_t og_pad, const float* xp, const int64_t* tap_offsets,
                  int64_t taps, const int64_t* pixel_offsets, int64_t pixels, const float* dyt,
                  bool accumulate) {
  static_assert(kWeightTapMultiple % P == 0, "tiles must divide the tap padding");
  for (int64_t k0 = 0; k0 < taps; k0 += P)
    weight_tile<V, NV, P>(dwt + k0 * og_pad, og_pad, xp, tap_offsets + k0, pixel_offsets, pixels,
                          dyt, accumulate);
}

template <class V, int Accumulators>
void run_weight_gradient(float* dwt, int64_t og_pad, const float* xp, const int64_t* tap_offsets,
                         int64_t taps, const int64_t* pixel_offsets, int64_t pixels,
                         const float* dyt, bool accumulate) {
  constexpr int W = V::kWidth;
  constexpr int kMaxVectors = 4;
  constexpr int kMaxWeightTaps = 12;  // each tap of a tile holds a base pointer in a register
  for (int64_t o0 = 0; o0 < og_pad; o0 += kMaxVectors * W) {
    float* d = dwt + o0;
    const float* dy = dyt + o0;
    switch (std::min<int64_t>(kMaxVectors, (og_pad - o0) / W)) {
      case 1: weight_tiles<V, 1, std::min(Accumulators, kMaxWeightTaps)>(d, og_pad, xp, tap_offsets, taps, pixel_offsets, pixels, dy, accumulate); break;
      case 2: weight_tiles<V, 2, std::min(Accumulators / 2, kMaxWeightTaps)>(d, og_pad, xp, tap_offsets, taps, pixel_offsets, pixels, dy, accumulate); break;
      case 3: weight_tiles<V, 3, std::min(Accumulators / 3, kMaxWeightTaps)>(d, og_pad, xp, tap_offsets, taps, pixel_offsets, pixels, dy, accumulate); break;
      default: weight_tiles<V, 4, std::min(Accumulators / 4, kMaxWeightTaps)>(d, og_pad, xp, tap_offsets, taps, pixel_offsets, pixels, dy, accumulate); break;
    }
  }
}

}  // namespace conv_channels
}  // namespace mdlfast::cpu
