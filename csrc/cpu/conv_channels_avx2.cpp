// Channel-vectorised convolution and weight gradient compiled for Avx2: up to 12 accumulators per tile.
#include "cpu/conv_channels.h"
#include "cpu/simd_avx2.h"

namespace mdlfast::cpu {

void channel_conv_avx2(float* y, int64_t plane, const float* xp, const ConvOffsets& offsets,
                       const float* wt, int64_t og, int64_t og_pad, const float* b) {
  conv_channels::run<Avx2, 12>(y, plane, xp, offsets, wt, og, og_pad, b);
}

void channel_weight_gradient_avx2(float* dwt, const float* xp, const ConvOffsets& offsets,
                                  const float* dyt, int64_t og_pad, bool accumulate) {
  conv_channels::run_weight_gradient<Avx2, 12>(dwt, xp, offsets, dyt, og_pad, accumulate);
}

}  // namespace mdlfast::cpu
