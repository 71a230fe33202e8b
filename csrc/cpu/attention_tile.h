// The attention kernels written once over a SIMD vocabulary V (simd_avx512.h, simd_avx2.h,
// simd_scalar.h) and instantiated in each ISA's translation unit (attention_avx512.cpp, ...):
// the online-softmax forward of one block of query rows and the backward of one (batch, head)
// item's group of key blocks, on tiles of at most kQueryBlock x kKeyBlock scores.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "cpu/attention.h"
#include "cpu/attention_product.h"
#include "cpu/simd_scalar.h"
#include "cpu/vector_math.h"

namespace mdlfast::cpu::attention_tile {

constexpr int64_t kQueryBlock = 64;
constexpr int64_t kKeyBlock = 64;
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

// Row maximum, e^x with exact zeros for x = -inf (masked scores), for a vocabulary or scalars.
template <class V>
struct RowMath {
  using F = typename V::F;
  static F max(F a, F b) { return V::max(a, b); }
  static F exp_or_zero(F x) {
    return V::select(V::less_equal(x, V::set1(kMinusInf)), V::set1(0.0f), vector_math::exp<V>(x));
  }
  static float reduce_max(F a) {
    alignas(64) float lanes[V::kWidth];
    V::store(lanes, a, V::kWidth);
    float m = lanes[0];
    for (int i = 1; i < V::kWidth; ++i) m = std::max(m, lanes[i]);
    return m;
  }
};

template <>
struct RowMath<Scalar> {
  static float max(float a, float b) { return std::max(a, b); }
  static float exp_or_zero(float x) { return x == kMinusInf ? 0.0f : std::exp(x); }
  static float reduce_max(float a) { return a; }
};

// dst[c][r] = src[r][c] for r < rows, c < cols: a key block as the B operand of q·kᵀ.
inline void transpose(float* dst, int64_t ld_dst, const float* src, int64_t ld_src, int64_t rows,
                      int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * ld_dst + r] = src[r * ld_src + c];
}

template <class V>
void scale_row(float* x, int64_t n, float factor) {
  constexpr int W = V::kWidth;
  const auto f = V::set1(factor);
  for (int64_t j = 0; j < n; j += W) {
    const int count = static_cast<int>(std::min<int64_t>(W, n - j));
    V::store(x + j, V::mul(V::load(x + j, count), f), count);
  }
}

// The largest of x[0, n), -inf for n = 0.
template <class V>
float row_maximum(const float* x, int64_t n) {
  constexpr int W = V::kWidth;
  auto m = V::set1(kMinusInf);
  int64_t j = 0;
  for (; j + W <= n; j += W) m = RowMath<V>::max(m, V::load(x + j, W));
  float result = RowMath<V>::reduce_max(m);
  for (; j < n; ++j) result = std::max(result, x[j]);  // partial vectors would load zeros
  return result;
}

// Sets the scores of the key block [k0, k0 + cols) that query i may not see to -inf.
inline void mask_row(float* s, const AttentionProblem& p, int64_t bh, int64_t i, int64_t k0,
                     int64_t cols) {
  if (p.causal) {
    for (int64_t j = std::max<int64_t>(i + 1 - k0, 0); j < cols; ++j) s[j] = kMinusInf;
  } else if (p.mask) {
    const int64_t b = bh / p.heads, h = bh % p.heads;
    const uint8_t* m = p.mask + b * p.mask_strides[0] + h * p.mask_strides[1] +
                       i * p.mask_strides[2] + k0 * p.mask_strides[3];
    const int64_t sj = p.mask_strides[3];
    for (int64_t j = 0; j < cols; ++j)
      if (!m[j * sj]) s[j] = kMinusInf;
  }
}

// Whether some score of query i in the key block [k0, k0 + cols) needs masking.
inline bool row_needs_mask(const AttentionProblem& p, int64_t i, int64_t k0, int64_t cols) {
  return p.mask != nullptr || (p.causal && k0 + cols - 1 > i);
}

// The number of keys any query of [q0, q0 + rows) may see.
inline int64_t visible_keys(const AttentionProblem& p, int64_t q0, int64_t rows) {
  return p.causal ? std::min(p.tk, q0 + rows) : p.tk;
}

// Per-thread buffers of the forward pass.
struct ForwardScratch {
  std::vector<float> q, kt, s, acc, row_max, row_sum;
  explicit ForwardScratch(const AttentionProblem& p)
      : q(kQueryBlock * p.d), kt(p.d * kKeyBlock), s(kQueryBlock * kKeyBlock),
        acc(kQueryBlock * std::max<int64_t>(p.dv, 1)), row_max(kQueryBlock), row_sum(kQueryBlock) {}
};

// The rows [q0, q0 + rows) of (batch·heads) item bh: out and lse.
template <class V>
void forward_block(float* out, float* lse, const float* q, const float* k, const float* v,
                   const AttentionProblem& p, int64_t bh, int64_t q0, ForwardScratch& w) {
  using F = typename V::F;
  using M = RowMath<V>;
  constexpr int W = V::kWidth;
  const int64_t rows = std::min(kQueryBlock, p.tq - q0), d = p.d, dv = p.dv;
  const float* qb = q + (bh * p.tq + q0) * d;
  // The scale is folded into q once, rather than into every score tile.
  for (int64_t r = 0; r < rows; ++r) {
    std::copy(qb + r * d, qb + (r + 1) * d, w.q.data() + r * d);
    scale_row<V>(w.q.data() + r * d, d, p.scale);
  }
  std::fill(w.acc.begin(), w.acc.begin() + rows * dv, 0.0f);
  std::fill(w.row_max.begin(), w.row_max.end(), kMinusInf);
  std::fill(w.row_sum.begin(), w.row_sum.end(), 0.0f);
  const int64_t keys = visible_keys(p, q0, rows);
  for (int64_t k0 = 0; k0 < keys; k0 += kKeyBlock) {
    const int64_t cols = std::min(kKeyBlock, keys - k0);
    const bool diagonal = p.causal && k0 + cols - 1 > q0;
    const Band columns{diagonal ? Band::columns : Band::none, q0 - k0};
    const Band inner_end{diagonal ? Band::inner_end : Band::none, q0 - k0};
    transpose(w.kt.data(), kKeyBlock, k + (bh * p.tk + k0) * d, d, cols, d);
    product<V>(w.s.data(), kKeyBlock, w.q.data(), d, 1, w.kt.data(), kKeyBlock, rows, cols, d, false,
               columns);
    for (int64_t r = 0; r < rows; ++r) {
      float* s = w.s.data() + r * kKeyBlock;
      if (row_needs_mask(p, q0 + r, k0, cols)) mask_row(s, p, bh, q0 + r, k0, cols);
      const float old_max = w.row_max[r];
      float new_max = std::max(old_max, row_maximum<V>(s, cols));
      // The maximum passes over NaN; a row of NaN and -inf must not pass for a masked one.
      if (new_max == kMinusInf && std::any_of(s, s + cols, [](float x) { return std::isnan(x); }))
        new_max = std::numeric_limits<float>::quiet_NaN();
      if (new_max == kMinusInf) {  // nothing visible yet: this row's probabilities are 0
        std::fill(s, s + cols, 0.0f);
        continue;
      }
      const F shift = V::set1(new_max);
      F sum = V::set1(0.0f);
      for (int64_t j = 0; j < cols; j += W) {
        const int count = static_cast<int>(std::min<int64_t>(W, cols - j));
        const F e = M::exp_or_zero(V::sub(V::load(s + j, count), shift));
        V::store(s + j, e, count);
        sum = V::add(sum, count == W ? e : V::load(s + j, count));
      }
      const float alpha = old_max == kMinusInf ? 0.0f : std::exp(old_max - new_max);
      w.row_sum[r] = w.row_sum[r] * alpha + V::reduce_add(sum);
      w.row_max[r] = new_max;
      if (alpha != 1.0f) scale_row<V>(w.acc.data() + r * dv, dv, alpha);
    }
    product<V>(w.acc.data(), dv, w.s.data(), kKeyBlock, 1, v + (bh * p.tk + k0) * dv, dv, rows, dv,
               cols, true, inner_end);
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* o = out + (bh * p.tq + q0 + r) * dv;
    const float l = w.row_sum[r];
    if (l != 0.0f) {  // NaN (from NaN inputs) takes this path and propagates, as in PyTorch
      std::copy(w.acc.data() + r * dv, w.acc.data() + (r + 1) * dv, o);
      scale_row<V>(o, dv, 1.0f / l);
      lse[bh * p.tq + q0 + r] = w.row_max[r] + std::log(l);
    } else {
      std::fill(o, o + dv, 0.0f);
      lse[bh * p.tq + q0 + r] = kMinusInf;
    }
  }
}

// Per-thread buffers of the backward pass.
struct BackwardScratch {
  std::vector<float> q, kt, vt, prob, dprob, row_dot;
  explicit BackwardScratch(const AttentionProblem& p)
      : q(p.tq * p.d), kt(p.d * kKeyBlock), vt(std::max<int64_t>(p.dv, 1) * kKeyBlock),
        prob(kQueryBlock * kKeyBlock), dprob(kQueryBlock * kKeyBlock), row_dot(p.tq) {}
};

// The gradients that the keys [key_begin, key_end) of (batch·heads) item bh contribute,
// flash-attention-2 style: key blocks outside, query blocks inside; P = exp(scale·q·kᵀ − lse),
// dS = P ⊙ (dout·vᵀ − rowsum(dout ⊙ out)). dk and dv of those keys are written; their share of the
// item's dq is written to dq_part ([Tq, d]).
template <class V>
void backward_item(float* dq_part, float* dk, float* dv, const float* dout, const float* q,
                   const float* k, const float* v, const float* out, const float* lse,
                   const AttentionProblem& p, int64_t bh, int64_t key_begin, int64_t key_end,
                   BackwardScratch& w) {
  using F = typename V::F;
  using M = RowMath<V>;
  constexpr int W = V::kWidth;
  const int64_t d = p.d, dvs = p.dv, tq = p.tq, tk = p.tk;
  float* dq = dq_part;
  q += bh * tq * d;
  dout += bh * tq * dvs;
  out += bh * tq * dvs;
  lse += bh * tq;
  k += bh * tk * d;
  dk += bh * tk * d;
  v += bh * tk * dvs;
  dv += bh * tk * dvs;
  std::fill(dq, dq + tq * d, 0.0f);
  std::fill(dk + key_begin * d, dk + key_end * d, 0.0f);
  std::fill(dv + key_begin * dvs, dv + key_end * dvs, 0.0f);
  // With q scaled, dk = dSᵀ·(scale·q) directly; dq = scale·(dS·k) is scaled at the end.
  for (int64_t i = 0; i < tq; ++i) {
    std::copy(q + i * d, q + (i + 1) * d, w.q.data() + i * d);
    scale_row<V>(w.q.data() + i * d, d, p.scale);
    F acc = V::set1(0.0f);
    for (int64_t c = 0; c < dvs; c += W) {
      const int count = static_cast<int>(std::min<int64_t>(W, dvs - c));
      acc = V::fmadd(V::load(dout + i * dvs + c, count), V::load(out + i * dvs + c, count), acc);
    }
    w.row_dot[i] = V::reduce_add(acc);
  }
  for (int64_t k0 = key_begin; k0 < key_end; k0 += kKeyBlock) {
    const int64_t cols = std::min(kKeyBlock, key_end - k0);
    transpose(w.kt.data(), kKeyBlock, k + k0 * d, d, cols, d);
    transpose(w.vt.data(), kKeyBlock, v + k0 * dvs, dvs, cols, dvs);
    // Under the causal mask, key k0 is first visible to query k0.
    const int64_t first_q = p.causal ? (k0 / kQueryBlock) * kQueryBlock : 0;
    for (int64_t q0 = first_q; q0 < tq; q0 += kQueryBlock) {
      const int64_t rows = std::min(kQueryBlock, tq - q0);
      const bool diagonal = p.causal && k0 + cols - 1 > q0;
      const Band columns{diagonal ? Band::columns : Band::none, q0 - k0};
      const Band inner_end{diagonal ? Band::inner_end : Band::none, q0 - k0};
      const Band inner_begin{diagonal ? Band::inner_begin : Band::none, q0 - k0};
      float* prob = w.prob.data();
      float* ds = w.dprob.data();
      product<V>(prob, kKeyBlock, w.q.data() + q0 * d, d, 1, w.kt.data(), kKeyBlock, rows, cols, d,
                 false, columns);
      for (int64_t r = 0; r < rows; ++r) {
        float* s = prob + r * kKeyBlock;
        const float row_lse = lse[q0 + r];
        if (row_lse == kMinusInf) {  // a fully masked row: no probability anywhere
          std::fill(s, s + cols, 0.0f);
          continue;
        }
        if (row_needs_mask(p, q0 + r, k0, cols)) mask_row(s, p, bh, q0 + r, k0, cols);
        const F shift = V::set1(row_lse);
        for (int64_t j = 0; j < cols; j += W) {
          const int count = static_cast<int>(std::min<int64_t>(W, cols - j));
          V::store(s + j, M::exp_or_zero(V::sub(V::load(s + j, count), shift)), count);
        }
      }
      // dv[keys] += Pᵀ·dout[rows]
      product<V>(dv + k0 * dvs, dvs, prob, 1, kKeyBlock, dout + q0 * dvs, dvs, cols, dvs, rows, true,
                 inner_begin);
      // dP = dout[rows]·vᵀ, then dS = P ⊙ (dP − rowsum(dout ⊙ out)) in place
      product<V>(ds, kKeyBlock, dout + q0 * dvs, dvs, 1, w.vt.data(), kKeyBlock, rows, cols, dvs,
                 false, columns);
      for (int64_t r = 0; r < rows; ++r) {
        const F dot = V::set1(w.row_dot[q0 + r]);
        float* dsr = ds + r * kKeyBlock;
        const float* pr = prob + r * kKeyBlock;
        // On the diagonal, dP was only computed for the keys this row sees.
        const int64_t seen = diagonal ? std::clamp<int64_t>(q0 + r + 1 - k0, 0, cols) : cols;
        std::fill(dsr + seen, dsr + cols, 0.0f);
        for (int64_t j = 0; j < seen; j += W) {
          const int count = static_cast<int>(std::min<int64_t>(W, seen - j));
          V::store(dsr + j, V::mul(V::load(pr + j, count), V::sub(V::load(dsr + j, count), dot)),
                   count);
        }
      }
      // dq[rows] += dS·k[keys]; dk[keys] += dSᵀ·(scale·q[rows])
      product<V>(dq + q0 * d, d, ds, kKeyBlock, 1, k + k0 * d, d, rows, d, cols, true, inner_end);
      product<V>(dk + k0 * d, d, ds, 1, kKeyBlock, w.q.data() + q0 * d, d, cols, d, rows, true,
                 inner_begin);
    }
  }
  for (int64_t i = 0; i < tq; ++i) scale_row<V>(dq + i * d, d, p.scale);
}

}  // namespace mdlfast::cpu::attention_tile
