// Channel-vectorised convolution and weight gradient compiled for Avx512: up to 24 accumulators per tile.
#include "cpu/conv_channels.h"
#include "cpu/simd_avx512.h"

namespace mdlfast::cpu {

void channel_conv_avx512(float* y, int64_t plane, const float* xp, const ConvOffsets& offsets,
                       const float* wt, int64_t og, int64_t og_pad, const float* b) {
  conv_channels::run<Avx512, 24>(y, plane, xp, offsets, wt, og, og_pad, b);
}

void channel_weight_gradient_avx512(float* dwt, const float* xp, const ConvOffsets& offsets,
                                  const float* dyt, int64_t og_pad, bool accumulate) {
  conv_channels::run_weight_gradient<Avx512, 24>(dwt, xp, offsets, dyt, og_pad, accumulate);
}

}  // namespace mdlfast::cpu
