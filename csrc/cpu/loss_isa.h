// The loss spans of one ISA path (loss_avx512.cpp, loss_avx2.cpp, the portable path in loss.cpp),
// picked by loss.cpp from the active ISA. Contracts: loss_math.h.
#pragma once

#include <cstdint>

#include "cpu/loss_math.h"

namespace mdlfast::cpu {

struct LossKernels {
  float (*mse)(float* out, const float* pred, const float* target, int64_t n);
  void (*mse_backward)(float* dpred, const float* pred, const float* target, const float* dloss,
                       float scale, int64_t n);
  float (*bce)(float* out, const float* logits, const float* target, const float* pos_weight, int64_t n);
  void (*bce_backward)(float* dlogits, const float* logits, const float* target, const float* pos_weight,
                       const float* dloss, float scale, int64_t n);
  void (*cross_entropy_backward_row)(float* dlogits, const float* probs, int64_t classes, int64_t label,
                                     float shift, float on_label, float scale);
  float (*row_sum)(const float* x, int64_t n);
};

template <class V>
LossKernels loss_kernels_for() {
  return {loss_math::mse_span<V>, loss_math::mse_backward_span<V>, loss_math::bce_span<V>,
          loss_math::bce_backward_span<V>, loss_math::cross_entropy_backward_row<V>,
          loss_math::row_sum<V>};
}

LossKernels loss_kernels_avx512();
LossKernels loss_kernels_avx2();

}  // namespace mdlfast::cpu
