// Direct convolution compiled for AVX2: 4 output channels x 3 rows of 8 columns in 12 of the
// 16 ymm registers.
#include "cpu/conv_direct.h"
#include "cpu/simd_avx2.h"

namespace mdlfast::cpu {

void direct_conv_avx2(float* y, const float* xp, int64_t wp, const int64_t* tap_offsets,
                        const float* w, const float* b, const ConvShape& s) {
  conv_direct::run<Avx2, 4, 3>(y, xp, wp, tap_offsets, w, b, s);
}

}  // namespace mdlfast::cpu
