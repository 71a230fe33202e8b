// softmax / log_softmax over one contiguous row, or over a block of columns of an [n, stride]
// slab (the axis is not the last one), written once over a SIMD vocabulary V and instantiated per
// ISA (softmax_avx512.cpp, softmax_avx2.cpp, softmax.cpp for the portable path). The fused
// cross-entropy (loss.cpp) reuses the row kernel.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <limits>

#include "cpu/vector_math.h"

namespace mdlfast::cpu::softmax_row {

// The row's maximum m and log Σ exp(x - m): the log-sum-exp is m + log_sum.
struct RowStats {
  float max;
  float log_sum;
};

template <class V>
float horizontal_max(typename V::F v) {
  float lanes[V::kWidth];
  V::store(lanes, v, V::kWidth);
  float m = lanes[0];
  for (int i = 1; i < V::kWidth; ++i) m = lanes[i] > m ? lanes[i] : m;
  return m;
}

// A NaN anywhere in the row makes Σ exp NaN below, so the maximum need not carry it.
template <class V>
float row_max(const float* x, int64_t n) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  typename V::F acc = V::set1(kNegInf);
  int64_t i = 0;
  for (; i + V::kWidth <= n; i += V::kWidth) acc = V::max(acc, V::load(x + i, V::kWidth));
  float m = horizontal_max<V>(acc);
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

// y = exp(x - m) and Σ y, for a row whose maximum is m. Partial vectors are summed after their
// masked store, as reloaded (the lanes past the row read as 0).
template <class V>
float store_exp_and_sum(float* y, const float* x, int64_t n, float m) {
  using F = typename V::F;
  const F mv = V::set1(m);
  F sum = V::set1(0.0f);
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    const F e = vector_math::exp<V>(V::sub(V::load(x + i, count), mv));
    V::store(y + i, e, count);
    sum = V::add(sum, count == V::kWidth ? e : V::load(y + i, count));
  }
  return V::reduce_add(sum);
}

// y = softmax(x) (or log_softmax) of one row; returns its statistics.
template <class V>
RowStats forward_row(float* y, const float* x, int64_t n, bool log) {
  using F = typename V::F;
  const float m = row_max<V>(x, n);
  const float sum = store_exp_and_sum<V>(y, x, n, m);
  const RowStats stats{m, std::log(sum)};
  if (log) {
    const F shift = V::set1(m + stats.log_sum);
    for (int64_t i = 0; i < n; i += V::kWidth) {
      const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
      V::store(y + i, V::sub(V::load(x + i, count), shift), count);
    }
  } else {
    const F inv = V::set1(1.0f / sum);
    for (int64_t i = 0; i < n; i += V::kWidth) {
      const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
      V::store(y + i, V::mul(V::load(y + i, count), inv), count);
    }
  }
  return stats;
}

template <class V>
void backward_row(float* dx, const float* dy, const float* y, int64_t n, bool log) {
  using F = typename V::F;
  F acc = V::set1(0.0f);
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    const F g = V::load(dy + i, count);
    acc = log ? V::add(acc, g) : V::fmadd(g, V::load(y + i, count), acc);
  }
  const F total = V::set1(V::reduce_add(acc));  // Σ dy (log) or Σ dy·y
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    const F g = V::load(dy + i, count), out = V::load(y + i, count);
    const F d = log ? V::sub(g, V::mul(vector_math::exp<V>(out), total)) : V::mul(out, V::sub(g, total));
    V::store(dx + i, d, count);
  }
}

// The same along the columns [0, width) of an [n, stride] slab, V::kWidth columns at a time: each
// lane is one softmax. Lanes past `width` compute garbage that is never stored.
template <class V>
void forward_columns(float* y, const float* x, int64_t n, int64_t stride, int64_t width, bool log) {
  using F = typename V::F;
  for (int64_t j = 0; j < width; j += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, width - j));
    F m = V::set1(-std::numeric_limits<float>::infinity());
    for (int64_t k = 0; k < n; ++k) m = V::max(m, V::load(x + k * stride + j, count));
    F sum = V::set1(0.0f);
    for (int64_t k = 0; k < n; ++k) {
      const F e = vector_math::exp<V>(V::sub(V::load(x + k * stride + j, count), m));
      if (!log) V::store(y + k * stride + j, e, count);
      sum = V::add(sum, e);
    }
    if (log) {
      float sums[V::kWidth];
      V::store(sums, sum, V::kWidth);
      for (int l = 0; l < V::kWidth; ++l) sums[l] = std::log(sums[l]);
      const F shift = V::add(m, V::load(sums, V::kWidth));
      for (int64_t k = 0; k < n; ++k)
        V::store(y + k * stride + j, V::sub(V::load(x + k * stride + j, count), shift), count);
    } else {
      const F inv = V::div(V::set1(1.0f), sum);
      for (int64_t k = 0; k < n; ++k)
        V::store(y + k * stride + j, V::mul(V::load(y + k * stride + j, count), inv), count);
    }
  }
}

template <class V>
void backward_columns(float* dx, const float* dy, const float* y, int64_t n, int64_t stride,
                      int64_t width, bool log) {
  using F = typename V::F;
  for (int64_t j = 0; j < width; j += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, width - j));
    F total = V::set1(0.0f);
    for (int64_t k = 0; k < n; ++k) {
      const F g = V::load(dy + k * stride + j, count);
      total = log ? V::add(total, g) : V::fmadd(g, V::load(y + k * stride + j, count), total);
    }
    for (int64_t k = 0; k < n; ++k) {
      const F g = V::load(dy + k * stride + j, count), out = V::load(y + k * stride + j, count);
      const F d = log ? V::sub(g, V::mul(vector_math::exp<V>(out), total)) : V::mul(out, V::sub(g, total));
      V::store(dx + k * stride + j, d, count);
    }
  }
}

}  // namespace mdlfast::cpu::softmax_row
