// The elementwise losses' spans written once over a SIMD vocabulary V and instantiated per ISA
// (loss_avx512.cpp, loss_avx2.cpp, loss.cpp for the portable path). A span returns the sum of the
// losses it computed, in float (spans are short; loss.cpp adds them in double).
#pragma once

#include <algorithm>
#include <cstdint>

#include "cpu/vector_math.h"

namespace mdlfast::cpu::loss_math {

// The sum of the lanes computed for a partial vector: the masked load of what was stored would do,
// but `out` may be null, so the lanes past the end are zeroed by a select on a lane index.
template <class V>
typename V::F first_lanes(typename V::F v, int count) {
  if (count == V::kWidth) return v;
  float lanes[V::kWidth];
  V::store(lanes, v, V::kWidth);
  for (int l = count; l < V::kWidth; ++l) lanes[l] = 0.0f;
  return V::load(lanes, V::kWidth);
}

template <class V>
float mse_span(float* out, const float* pred, const float* target, int64_t n) {
  using F = typename V::F;
  F sum = V::set1(0.0f);
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    const F d = V::sub(V::load(pred + i, count), V::load(target + i, count));
    const F sq = V::mul(d, d);  // masked lanes load as 0 on both sides: 0
    if (out) V::store(out + i, sq, count);
    sum = V::add(sum, sq);
  }
  return V::reduce_add(sum);
}

template <class V>
void mse_backward_span(float* dpred, const float* pred, const float* target, const float* dloss,
                       float scale, int64_t n) {
  using F = typename V::F;
  const F two_scale = V::set1(2.0f * scale);
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    const F d = V::sub(V::load(pred + i, count), V::load(target + i, count));
    const F s = dloss ? V::mul(V::set1(2.0f), V::load(dloss + i, count)) : two_scale;
    V::store(dpred + i, V::mul(d, s), count);
  }
}

// pos_weight, where not null, is aligned with logits (the caller splits spans at row ends).
template <class V>
float bce_span(float* out, const float* logits, const float* target, const float* pos_weight, int64_t n) {
  using F = typename V::F;
  const F one = V::set1(1.0f), zero = V::set1(0.0f);
  F sum = zero;
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    const F x = V::load(logits + i, count), t = V::load(target + i, count);
    F softplus_neg = vector_math::softplus<V>(V::sub(zero, x));  // log(1 + e^-x)
    if (pos_weight) {
      const F w = V::fmadd(V::sub(V::load(pos_weight + i, count), one), t, one);
      softplus_neg = V::mul(w, softplus_neg);
    }
    const F loss = V::fmadd(V::sub(one, t), x, softplus_neg);
    if (out) V::store(out + i, loss, count);
    sum = V::add(sum, first_lanes<V>(loss, count));  // masked lanes: softplus(0) = log 2
  }
  return V::reduce_add(sum);
}

template <class V>
void bce_backward_span(float* dlogits, const float* logits, const float* target, const float* pos_weight,
                       const float* dloss, float scale, int64_t n) {
  using F = typename V::F;
  const F one = V::set1(1.0f), zero = V::set1(0.0f), s = V::set1(scale);
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    const F x = V::load(logits + i, count), t = V::load(target + i, count);
    F local;
    if (pos_weight) {
      const F w = V::fmadd(V::sub(V::load(pos_weight + i, count), one), t, one);
      local = V::sub(V::sub(one, t), V::mul(w, vector_math::sigmoid<V>(V::sub(zero, x))));
    } else {
      local = V::sub(vector_math::sigmoid<V>(x), t);
    }
    V::store(dlogits + i, V::mul(local, dloss ? V::load(dloss + i, count) : s), count);
  }
}

// dlogits = (probs - shift)·scale, then the label's element less (1-ε)·scale.
template <class V>
void cross_entropy_backward_row(float* dlogits, const float* probs, int64_t classes, int64_t label,
                                float shift, float on_label, float scale) {
  using F = typename V::F;
  const F s = V::set1(scale), shifted = V::set1(-shift * scale);
  for (int64_t i = 0; i < classes; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, classes - i));
    V::store(dlogits + i, V::fmadd(V::load(probs + i, count), s, shifted), count);
  }
  dlogits[label] -= on_label * scale;
}

template <class V>
float row_sum(const float* x, int64_t n) {
  typename V::F sum = V::set1(0.0f);
  for (int64_t i = 0; i < n; i += V::kWidth)
    sum = V::add(sum, V::load(x + i, static_cast<int>(std::min<int64_t>(V::kWidth, n - i))));
  return V::reduce_add(sum);
}

}  // namespace mdlfast::cpu::loss_math
