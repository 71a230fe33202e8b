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

// The same along the columns [0, width) of an [n, stride] slab: each column is one softmax. The
// slab is walked row by row, in memory order, with each column's running statistics kept in a
// small array (at most kMaxColumns at a time, so it stays in L1): walking a column at a time would
// touch a new page on every step of a long axis and miss the TLB each time.
constexpr int64_t kMaxColumns = 256;

// state[j] = op(state[j], row[j]) for j < width, a vector at a time.
template <class V, class Op>
void update_state(float* state, const float* row, int64_t width, Op op) {
  for (int64_t j = 0; j < width; j += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, width - j));
    V::store(state + j, op(V::load(state + j, count), V::load(row + j, count), j, count), count);
  }
}

template <class V>
void forward_columns(float* y, const float* x, int64_t n, int64_t stride, int64_t width, bool log) {
  using F = typename V::F;
  float max[kMaxColumns], sum[kMaxColumns];
  for (int64_t j0 = 0; j0 < width; j0 += kMaxColumns) {
    const int64_t w = std::min(kMaxColumns, width - j0);
    std::fill(max, max + w, -std::numeric_limits<float>::infinity());
    std::fill(sum, sum + w, 0.0f);
    // A NaN dropped by the running maximum still reaches the sum through exp below.
    for (int64_t k = 0; k < n; ++k)
      update_state<V>(max, x + k * stride + j0, w, [](F m, F v, int64_t, int) { return V::max(m, v); });
    for (int64_t k = 0; k < n; ++k) {
      float* out = y + k * stride + j0;
      update_state<V>(sum, x + k * stride + j0, w, [&](F s, F v, int64_t j, int count) {
        const F e = vector_math::exp<V>(V::sub(v, V::load(max + j, count)));
        if (!log) V::store(out + j, e, count);
        return V::add(s, e);
      });
    }
    // sum becomes what each column is shifted by (log) or scaled by.
    for (int64_t j = 0; j < w; ++j) sum[j] = log ? max[j] + std::log(sum[j]) : 1.0f / sum[j];
    for (int64_t k = 0; k < n; ++k) {
      float* out = y + k * stride + j0;
      const float* in = log ? x + k * stride + j0 : out;
      for (int64_t j = 0; j < w; j += V::kWidth) {
        const int count = static_cast<int>(std::min<int64_t>(V::kWidth, w - j));
        const F v = V::load(in + j, count), c = V::load(sum + j, count);
        V::store(out + j, log ? V::sub(v, c) : V::mul(v, c), count);
      }
    }
  }
}

template <class V>
void backward_columns(float* dx, const float* dy, const float* y, int64_t n, int64_t stride,
                      int64_t width, bool log) {
  using F = typename V::F;
  float total[kMaxColumns];
  for (int64_t j0 = 0; j0 < width; j0 += kMaxColumns) {
    const int64_t w = std::min(kMaxColumns, width - j0);
    std::fill(total, total + w, 0.0f);
    for (int64_t k = 0; k < n; ++k) {
      const float* out = y + k * stride + j0;
      update_state<V>(total, dy + k * stride + j0, w, [&](F t, F g, int64_t j, int count) {
        return log ? V::add(t, g) : V::fmadd(g, V::load(out + j, count), t);
      });
    }
    for (int64_t k = 0; k < n; ++k) {
      const int64_t at = k * stride + j0;
      for (int64_t j = 0; j < w; j += V::kWidth) {
        const int count = static_cast<int>(std::min<int64_t>(V::kWidth, w - j));
        const F g = V::load(dy + at + j, count), out = V::load(y + at + j, count);
        const F t = V::load(total + j, count);
        const F d = log ? V::sub(g, V::mul(vector_math::exp<V>(out), t)) : V::mul(out, V::sub(g, t));
        V::store(dx + at + j, d, count);
      }
    }
  }
}

}  // namespace mdlfast::cpu::softmax_row
