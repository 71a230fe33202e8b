// Direct convolution compiled for AVX-512: 8 output channels x 3 rows of 16 columns in 24 of the
// 32 zmm registers.
#include "cpu/conv_direct.h"
#include "cpu/simd_avx512.h"

namespace mdlfast::cpu {

void direct_conv_avx512(float* y, const float* xp, int64_t wp, const int64_t* tap_offsets,
                        const float* w, const float* b, const ConvShape& s) {
  conv_direct::run<Avx512, 8, 3>(y, xp, wp, tap_offsets, w, b, s);
}

}  // namespace mdlfast::cpu
