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
using DirectConvFn = void (*)(float* y, const float* xp, int64_t hp, int64_t wp, const float* w,
                              const float* b, const ConvShape& s);
void direct_conv_avx512(float* y, const float* xp, int64_t hp, int64_t wp, const float* w,
                        const float* b, const ConvShape& s);
void direct_conv_avx2(float* y, const float* xp, int64_t hp, int64_t wp, const float* w,
                      const float* b, const ConvShape& s);
void direct_conv_generic(float* y, const float* xp, int64_t hp, int64_t wp, const float* w,
                         const float* b, const ConvShape& s);

namespace conv_direct {

// Rows x Outputs accumulators over V::kWidth output columns: each input vector loaded is used by
// Outputs weights, each weight broadcast by Rows input vectors.
template <class V, int Outputs, int Rows>
void block(float* y, const float* xp, int64_t hp, int64_t wp, const float* w, const float* b,
           const ConvShape& s, int64_t oh0, int rows, int64_t ow0, int width) {
  using F = typename V::F;
  const int64_t cg = s.c / s.groups, taps = s.kh * s.kw, plane = s.oh * s.ow;
  F acc[Outputs][Rows];
  for (int o = 0; o < Outputs; ++o)
    for (int r = 0; r < Rows; ++r) acc[o][r] = V::set1(b ? b[o] : 0.0f);
  for (int64_t c = 0; c < cg; ++c) {
    const float* xc = xp + c * hp * wp + ow0;
    const float* wc = w + c * taps;
    for (int64_t i = 0; i < s.kh; ++i) {
      const float* row[Rows];
      for (int r = 0; r < Rows; ++r)  // rows past the output's end repeat the last (discarded)
        row[r] = xc + ((oh0 + std::min(r, rows - 1)) * s.sh + i * s.dh) * wp;
      for (int64_t j = 0; j < s.kw; ++j) {
        F xv[Rows];
        for (int r = 0; r < Rows; ++r) xv[r] = V::load(row[r] + j * s.dw, width);
        for (int o = 0; o < Outputs; ++o) {
          const F wv = V::set1(wc[o * cg * taps + i * s.kw + j]);
          for (int r = 0; r < Rows; ++r) acc[o][r] = V::fmadd(wv, xv[r], acc[o][r]);
        }
      }
    }
  }
  for (int o = 0; o < Outputs; ++o)
    for (int r = 0; r < rows; ++r) V::store(y + o * plane + (oh0 + r) * s.ow + ow0, acc[o][r], width);
}

template <class V, int Outputs, int Rows>
void outputs(float* y, const float* xp, int64_t hp, int64_t wp, const float* w, const float* b,
             const ConvShape& s) {
  for (int64_t oh0 = 0; oh0 < s.oh; oh0 += Rows) {
    const int rows = static_cast<int>(std::min<int64_t>(Rows, s.oh - oh0));
    for (int64_t ow0 = 0; ow0 < s.ow; ow0 += V::kWidth) {
      const int width = static_cast<int>(std::min<int64_t>(V::kWidth, s.ow - ow0));
      if (rows == Rows) {
        block<V, Outputs, Rows>(y, xp, hp, wp, w, b, s, oh0, rows, ow0, width);
      } else {  // the last rows one by one rather than as a block padded with discarded rows
        for (int r = 0; r < rows; ++r) block<V, Outputs, 1>(y, xp, hp, wp, w, b, s, oh0 + r, 1, ow0, width);
      }
    }
  }
}

// Output channels in blocks of up to MaxOutputs (the accumulators the ISA's registers hold).
template <class V, int MaxOutputs, int Rows>
void run(float* y, const float* xp, int64_t hp, int64_t wp, const float* w, const float* b,
         const ConvShape& s) {
  const int64_t og = s.o / s.groups, filter = s.c / s.groups * s.kh * s.kw, plane = s.oh * s.ow;
  for (int64_t o0 = 0; o0 < og; o0 += MaxOutputs) {
    float* yo = y + o0 * plane;
    const float* wo = w + o0 * filter;
    const float* bo = b ? b + o0 : nullptr;
    switch (std::min<int64_t>(MaxOutputs, og - o0)) {
      case 1: outputs<V, 1, Rows>(yo, xp, hp, wp, wo, bo, s); break;
      case 2: outputs<V, 2, Rows>(yo, xp, hp, wp, wo, bo, s); break;
      case 3: outputs<V, 3, Rows>(yo, xp, hp, wp, wo, bo, s); break;
      case 4: outputs<V, 4, Rows>(yo, xp, hp, wp, wo, bo, s); break;
      case 5: if constexpr (MaxOutputs >= 5) outputs<V, 5, Rows>(yo, xp, hp, wp, wo, bo, s); break;
      case 6: if constexpr (MaxOutputs >= 6) outputs<V, 6, Rows>(yo, xp, hp, wp, wo, bo, s); break;
      case 7: if constexpr (MaxOutputs >= 7) outputs<V, 7, Rows>(yo, xp, hp, wp, wo, bo, s); break;
      case 8: if constexpr (MaxOutputs >= 8) outputs<V, 8, Rows>(yo, xp, hp, wp, wo, bo, s); break;
      default: break;
    }
  }
}

}  // namespace conv_direct
}  // namespace mdlfast::cpu
