// Channel-vectorised convolution compiled for AVX2: up to 12 ymm accumulators per tile.
#include "cpu/conv_channels.h"
#include "cpu/simd_avx2.h"

namespace mdlfast::cpu {

void channel_conv_avx2(float* y, const float* xp, int64_t hp, int64_t wp, const float* wt,
                       int64_t og_pad, const float* b, const ConvShape& s) {
  conv_channels::run<Avx2, 12>(y, xp, hp, wp, wt, og_pad, b, s);
}

void channel_weight_gradient_avx2(float* dwt, int64_t og_pad, const float* xp,
                                    const int64_t* tap_offsets, int64_t taps,
                                    const int64_t* pixel_offsets, int64_t pixels, const float* dyt,
                                    bool accumulate) {
  conv_channels::run_weight_gradient<Avx2, 12>(dwt, og_pad, xp, tap_offsets, taps, pixel_offsets,
                                                  pixels, dyt, accumulate);
}

}  // namespace mdlfast::cpu
