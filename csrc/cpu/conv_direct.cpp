// Direct convolution on the baseline instruction set (one column at a time).
#include "cpu/conv_direct.h"

#include "cpu/simd_scalar.h"

namespace mdlfast::cpu {

void direct_conv_generic(float* y, const float* xp, int64_t wp, const int64_t* tap_offsets,
                        const float* w, const float* b, const ConvShape& s) {
  conv_direct::run<Scalar, 4, 3>(y, xp, wp, tap_offsets, w, b, s);
}

}  // namespace mdlfast::cpu
