// Direct convolution for layers with few output channels per group (LeNet's layers, the input
// gradient of a layer with few input channels, depthwise convolutions), where an implicit GEMM
// would spend more time packing column panels than multiplying them: each weight is broadcast
// once per block of outputs and multiplied straight into unaligned vectors of the input rows.
//
// One image and group: y [og, oh, ow] = b[o] + Σ_{c, i, j} w[o, c, i, j] · xp[c, oh·sh + i·dh, ow + j·dw]
// where xp [cg, hp, wp] already holds the padding (its zeros), w is [og, cg, kh, kw] and the
// width stride is 1. Only the sizes og, cg, kh, kw, oh, ow, sh, dh, dw of the shape are read.
#pragma once

#include <algorithm>
#include <cstdint>

#include "cpu/conv.h"

namespace mdlfast::cpu {

// The instantiations for each ISA path (conv_direct_avx512.cpp, conv_direct_avx2.cpp, conv_direct.cpp).
// tap_offsets[t] is the offset in xp of tap t = (c·kh + i)·kw + j: (c·hp + i·dh)·wp + j·dw.
using DirectConvFn = void (*)(float* y, const float* xp, int64_t wp, const int64_t* tap_offsets,
                              const float* w, const float* b, const ConvShape& s);
void direct_conv_avx512(float* y, const float* xp, int64_t wp, const int64_t* tap_offsets,
                        const float* w, const float* b, const ConvShape& s);
void direct_conv_avx2(float* y, const float* xp, int64_t wp, const int64_t* tap_offsets,
                        const float* w, const float* b, const ConvShape& s);
void direct_conv_generic(float* y, const float* xp, int64_t wp, const int64_t* tap_offsets,
                        const float* w, const float* b, const ConvShape& s);

namespace conv_direct {

// Rows x Outputs accumulators over V::kWidth output columns: each input vector loaded is used by
// Outputs weights, each weight broadcast by Rows input vectors.
template <class V, int Outputs, int Rows>
void block(float* y, const float* xp, int64_t wp, const int64_t* offsets, int64_t taps,
           const float* w, const float* b, const ConvShape& s, int64_t oh0, int rows, int64_t ow0,
           int width) {
  using F = typename V::F;
  const int64_t plane = s.oh * s.ow;
  F acc[Outputs][Rows];
#pragma GCC unroll 32
  for (int o = 0; o < Outputs; ++o)
  #pragma GCC unroll 32
    for (int r = 0; r < Rows; ++r) acc[o][r] = V::set1(b ? b[o] : 0.0f);
  const float* row[Rows];
#pragma GCC unroll 32
  for (int r = 0; r < Rows; ++r) row[r] = xp + (oh0 + r) * s.sh * wp + ow0;
  // One flat loop over the taps keeps the accumulators in registers.
  for (int64_t t = 0; t < taps; ++t) {
    F xv[Rows];
  #pragma GCC unroll 32
    for (int r = 0; r < Rows; ++r) xv[r] = V::load(row[r] + offsets[t], width);
  #pragma GCC unroll 32
    for (int o = 0; o < Outputs; ++o) {
      const F wv = V::set1(w[o * taps + t]);
    #pragma GCC unroll 32
      for (int r = 0; r < Rows; ++r) acc[o][r] = V::fmadd(wv, xv[r], acc[o][r]);
    }
  }
#pragma GCC unroll 32
  for (int o = 0; o < Outputs; ++o)
#pragma GCC unroll 32
    for (int r = 0; r < Rows; ++r)  // a compile-time bound: acc stays in registers
      if (r < rows) V::store(y + o * plane + (oh0 + r) * s.ow + ow0, acc[o][r], width);
}

template <class V, int Outputs, int Rows>
void outputs(float* y, const float* xp, int64_t wp, const int64_t* offsets, int64_t taps,
             const float* w, const float* b, const ConvShape& s) {
  for (int64_t oh0 = 0; oh0 < s.oh; oh0 += Rows) {
    const int rows = static_cast<int>(std::min<int64_t>(Rows, s.oh - oh0));
    for (int64_t ow0 = 0; ow0 < s.ow; ow0 += V::kWidth) {
      const int width = static_cast<int>(std::min<int64_t>(V::kWidth, s.ow - ow0));
      // The last rows as a smaller block rather than one padded with discarded rows.
      switch (rows) {
        case 1: block<V, Outputs, 1>(y, xp, wp, offsets, taps, w, b, s, oh0, 1, ow0, width); break;
        case 2: if constexpr (Rows >= 2) block<V, Outputs, 2>(y, xp, wp, offsets, taps, w, b, s, oh0, 2, ow0, width); break;
        default: block<V, Outputs, Rows>(y, xp, wp, offsets, taps, w, b, s, oh0, rows, ow0, width); break;
      }
    }
  }
}

// Output channels in blocks of up to MaxOutputs (the accumulators the ISA's registers hold).
template <class V, int MaxOutputs, int Rows>
void run(float* y, const float* xp, int64_t wp, const int64_t* off, const float* w, const float* b,
         const ConvShape& s) {
  const int64_t og = s.o / s.groups, plane = s.oh * s.ow;
  const int64_t taps = s.c / s.groups * s.kh * s.kw;
  for (int64_t o0 = 0; o0 < og; o0 += MaxOutputs) {
    float* yo = y + o0 * plane;
    const float* wo = w + o0 * taps;
    const float* bo = b ? b + o0 : nullptr;
    switch (std::min<int64_t>(MaxOutputs, og - o0)) {
      case 1: outputs<V, 1, Rows>(yo, xp, wp, off, taps, wo, bo, s); break;
      case 2: outputs<V, 2, Rows>(yo, xp, wp, off, taps, wo, bo, s); break;
      case 3: outputs<V, 3, Rows>(yo, xp, wp, off, taps, wo, bo, s); break;
      case 4: outputs<V, 4, Rows>(yo, xp, wp, off, taps, wo, bo, s); break;
      case 5: if constexpr (MaxOutputs >= 5) outputs<V, 5, Rows>(yo, xp, wp, off, taps, wo, bo, s); break;
      case 6: if constexpr (MaxOutputs >= 6) outputs<V, 6, Rows>(yo, xp, wp, off, taps, wo, bo, s); break;
      case 7: if constexpr (MaxOutputs >= 7) outputs<V, 7, Rows>(yo, xp, wp, off, taps, wo, bo, s); break;
      case 8: if constexpr (MaxOutputs >= 8) outputs<V, 8, Rows>(yo, xp, wp, off, taps, wo, bo, s); break;
      default: break;
    }
  }
}

}  // namespace conv_direct
}  // namespace mdlfast::cpu
