// Convolution vectorised over output channels, for layers with a vector or more of output
// channels per group (ResNet's 3x3 layers, LeNet's second layer): the implicit GEMM
// y[pixels, O] = cols[pixels, K] · wᵀ[K, O] with the column matrix as the micro-kernel's broadcast
// operand. A broadcast needs no layout, so the columns are read straight from the padded input
// (xp[tap offset + pixel offset]) and never packed; only the weights are, once per call, as
// wᵀ [K][O rounded up to whole vectors]. A tile is P output pixels x NV vectors of channels in
// P·NV accumulators, stored transposed into the NCHW output. The weight gradient is the same
// product with the roles turned: dwᵀ[K, O] = Σ_pixels cols[K, pixel] · dyᵀ[pixel, O].
#pragma once

#include <algorithm>
#include <cstdint>

#include "cpu/conv.h"

namespace mdlfast::cpu {

// Offsets into the padded input xp [cg, hp, wp]: tap (c, i, j) reads xp[tap + pixel] for output
// pixel (oh, ow), tap = (c·hp + i·dh)·wp + j·dw and pixel = oh·sh·wp + ow·sw.
struct ConvOffsets {
  const int64_t* taps;  // [cg·kh·kw], in the weights' order
  int64_t tap_count;
  const int64_t* pixels;  // [oh·ow]
  int64_t pixel_count;
};

// One image and group: y [og, pixels] (+ bias b[og], or null) from xp, with wt [taps][og_pad] the
// group's weights transposed (og_pad a whole number of vectors, zero beyond og). y's channels are
// `plane` apart, so a run of the pixels (offsets.pixels advanced, y advanced alike) can be a unit.
using ChannelConvFn = void (*)(float* y, int64_t plane, const float* xp, const ConvOffsets& offsets,
                               const float* wt, int64_t og, int64_t og_pad, const float* b);
void channel_conv_avx512(float* y, int64_t plane, const float* xp, const ConvOffsets& offsets,
                         const float* wt, int64_t og, int64_t og_pad, const float* b);
void channel_conv_avx2(float* y, int64_t plane, const float* xp, const ConvOffsets& offsets,
                       const float* wt, int64_t og, int64_t og_pad, const float* b);

// The weight gradient for one image and group: dwt[tap][o] (+)= Σ_pixel xp[tap + pixel]·dyt[pixel][o]
// for o < og_pad, with dyt [pixels][og_pad] the image's dy transposed (zero beyond og). Written
// when accumulate is false, added to otherwise.
using ChannelWeightGradientFn = void (*)(float* dwt, const float* xp, const ConvOffsets& offsets,
                                         const float* dyt, int64_t og_pad, bool accumulate);
void channel_weight_gradient_avx512(float* dwt, const float* xp, const ConvOffsets& offsets,
                                    const float* dyt, int64_t og_pad, bool accumulate);
void channel_weight_gradient_avx2(float* dwt, const float* xp, const ConvOffsets& offsets,
                                  const float* dyt, int64_t og_pad, bool accumulate);

namespace conv_channels {

// Every loop over P and NV is unrolled so that the accumulators live in registers; the loops over
// taps and pixels are flat, with offset tables, for the same reason (nested runtime loops make the
// compiler spill the accumulators on every iteration).

// Pixels l0 .. l0+P-1 x channels [o0, o0 + NV·W) of y.
template <class V, int NV, int P>
void tile(float* y, int64_t plane, int channels, const float* xp, const ConvOffsets& off,
          int64_t l0, const float* wt, int64_t og_pad, const float* b) {
  using F = typename V::F;
  constexpr int W = V::kWidth;
  F acc[P][NV];
  const float* base[P];
#pragma GCC unroll 32
  for (int v = 0; v < NV; ++v) {
    const F init = b ? V::load(b + v * W, channels - v * W) : V::set1(0.0f);
#pragma GCC unroll 32
    for (int p = 0; p < P; ++p) acc[p][v] = init;
  }
#pragma GCC unroll 32
  for (int p = 0; p < P; ++p) base[p] = xp + off.pixels[l0 + p];
  const float* wk = wt;
  for (int64_t t = 0; t < off.tap_count; ++t, wk += og_pad) {
    const int64_t tap = off.taps[t];
    F wv[NV];
#pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) wv[v] = V::load(wk + v * W, W);
#pragma GCC unroll 32
    for (int p = 0; p < P; ++p) {
      const F xb = V::set1(base[p][tap]);
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
    for (int p = 0; p < P; ++p) y[o * plane + l0 + p] = out[p][o];
}

// Every pixel, in tiles of P (the last tile overlaps the one before rather than running short;
// with fewer than P pixels, P shrinks: every P up to the budget is instantiated).
template <class V, int NV, int P>
void pixel_tiles(float* y, int64_t plane, int channels, const float* xp, const ConvOffsets& off,
                 const float* wt, int64_t og_pad, const float* b) {
  const int64_t pixels = off.pixel_count;
  if constexpr (P > 1) {
    if (pixels < P) {
      pixel_tiles<V, NV, P - 1>(y, plane, channels, xp, off, wt, og_pad, b);
      return;
    }
  }
  for (int64_t l0 = 0; l0 < pixels; l0 += P)
    tile<V, NV, P>(y, plane, channels, xp, off, std::min(l0, pixels - P), wt, og_pad, b);
}

// P pixels per tile: as many as the accumulators allow, at most kMaxBases (each holds a pointer).
constexpr int kMaxVectors = 4;
constexpr int kMaxBases = 8;
template <int Accumulators, int NV>
constexpr int tile_size() { return std::min(Accumulators / NV, kMaxBases); }

template <class V, int Accumulators>
void run(float* y, int64_t plane, const float* xp, const ConvOffsets& off, const float* wt,
         int64_t og, int64_t og_pad, const float* b) {
  constexpr int W = V::kWidth;
  for (int64_t o0 = 0; o0 < og; o0 += kMaxVectors * W) {
    const int channels = static_cast<int>(std::min<int64_t>(kMaxVectors * W, og - o0));
    float* yo = y + o0 * plane;
    const float* wo = wt + o0;
    const float* bo = b ? b + o0 : nullptr;
    switch ((channels + W - 1) / W) {
      case 1: pixel_tiles<V, 1, tile_size<Accumulators, 1>()>(yo, plane, channels, xp, off, wo, og_pad, bo); break;
      case 2: pixel_tiles<V, 2, tile_size<Accumulators, 2>()>(yo, plane, channels, xp, off, wo, og_pad, bo); break;
      case 3: pixel_tiles<V, 3, tile_size<Accumulators, 3>()>(yo, plane, channels, xp, off, wo, og_pad, bo); break;
      default: pixel_tiles<V, 4, tile_size<Accumulators, 4>()>(yo, plane, channels, xp, off, wo, og_pad, bo); break;
    }
  }
}

// Taps t0 .. t0+P-1 x NV vectors of channels of dwt, summed over every pixel.
template <class V, int NV, int P>
void weight_tile(float* dwt, int64_t og_pad, const float* xp, const ConvOffsets& off, int64_t t0,
                 const float* dyt, bool accumulate) {
  using F = typename V::F;
  constexpr int W = V::kWidth;
  F acc[P][NV];
  const float* base[P];
#pragma GCC unroll 32
  for (int p = 0; p < P; ++p) {
    base[p] = xp + off.taps[t0 + p];
#pragma GCC unroll 32
    for (int v = 0; v < NV; ++v)
      acc[p][v] = accumulate ? V::load(dwt + (t0 + p) * og_pad + v * W, W) : V::set1(0.0f);
  }
  for (int64_t l = 0; l < off.pixel_count; ++l) {
    const int64_t pixel = off.pixels[l];
    const float* d = dyt + l * og_pad;
    F dv[NV];
#pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) dv[v] = V::load(d + v * W, W);
#pragma GCC unroll 32
    for (int p = 0; p < P; ++p) {
      const F xb = V::set1(base[p][pixel]);
#pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) acc[p][v] = V::fmadd(xb, dv[v], acc[p][v]);
    }
  }
#pragma GCC unroll 32
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) V::store(dwt + (t0 + p) * og_pad + v * W, acc[p][v], W);
}

// Taps t0 onwards in tiles of P, the remainder in one smaller tile (tiles accumulate, so they
// must not overlap).
template <class V, int NV, int P>
void tap_tiles(float* dwt, int64_t og_pad, const float* xp, const ConvOffsets& off, int64_t t0,
               const float* dyt, bool accumulate) {
  int64_t t = t0;
  for (; t + P <= off.tap_count; t += P) weight_tile<V, NV, P>(dwt, og_pad, xp, off, t, dyt, accumulate);
  if constexpr (P > 1) {
    if (t < off.tap_count) tap_tiles<V, NV, P - 1>(dwt, og_pad, xp, off, t, dyt, accumulate);
  }
}

template <class V, int Accumulators>
void run_weight_gradient(float* dwt, const float* xp, const ConvOffsets& off, const float* dyt,
                         int64_t og_pad, bool accumulate) {
  constexpr int W = V::kWidth;
  for (int64_t o0 = 0; o0 < og_pad; o0 += kMaxVectors * W) {
    float* d = dwt + o0;
    const float* dy = dyt + o0;
    switch (std::min<int64_t>(kMaxVectors, (og_pad - o0) / W)) {
      case 1: tap_tiles<V, 1, tile_size<Accumulators, 1>()>(d, og_pad, xp, off, 0, dy, accumulate); break;
      case 2: tap_tiles<V, 2, tile_size<Accumulators, 2>()>(d, og_pad, xp, off, 0, dy, accumulate); break;
      case 3: tap_tiles<V, 3, tile_size<Accumulators, 3>()>(d, og_pad, xp, off, 0, dy, accumulate); break;
      default: tap_tiles<V, 4, tile_size<Accumulators, 4>()>(d, og_pad, xp, off, 0, dy, accumulate); break;
    }
  }
}

}  // namespace conv_channels
}  // namespace mdlfast::cpu
