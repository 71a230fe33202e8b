// Activations and their derivatives written once over a SIMD vocabulary V (simd_avx512.h,
// simd_avx2.h) and instantiated in each ISA's translation unit. NaN propagates as in PyTorch.
//
// exp: Cody-Waite reduction x = n·ln2 + r with |r| <= ln2/2, a degree-7 Taylor polynomial for e^r
// (error < 1e-8 relative) and an exact scaling by 2^n. tanh: an odd Taylor polynomial near zero
// (where 1 - 2/(e^2x + 1) would cancel) and the exp form elsewhere. gelu: the cumulative normal
// through erfc(u) ≈ t·exp(-u² + P(t)), t = 1/(1 + u/2), P a degree-9 Chebyshev fit (relative
// error < 1.2e-7 for every u >= 0), taken for the tail side directly so that large negative
// inputs keep their relative accuracy.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/gemm_types.h"

namespace mdlfast::cpu::vector_math {

template <class V>
typename V::F exp(typename V::F x) {
  using F = typename V::F;
  // exp overflows above 88.73 and underflows to 0 below -103.98; NaN passes (data as b).
  x = V::min(V::set1(89.0f), V::max(V::set1(-104.0f), x));
  const F n = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  F r = V::fmadd(n, V::set1(-0.693145751953125f), x);  // ln2 split so n·ln2_hi is exact
  r = V::fmadd(n, V::set1(-1.4286068203094173e-06f), r);
  F p = V::set1(1.0f / 5040.0f);
  p = V::fmadd(p, r, V::set1(1.0f / 720.0f));
  p = V::fmadd(p, r, V::set1(1.0f / 120.0f));
  p = V::fmadd(p, r, V::set1(1.0f / 24.0f));
  p = V::fmadd(p, r, V::set1(1.0f / 6.0f));
  p = V::fmadd(p, r, V::set1(0.5f));
  p = V::fmadd(p, r, V::set1(1.0f));
  p = V::fmadd(p, r, V::set1(1.0f));
  return V::scale_pow2(p, n);
}

template <class V>
typename V::F sigmoid(typename V::F x) {
  using F = typename V::F;
  const F e = exp<V>(V::sub(V::set1(0.0f), V::abs(x)));  // e^-|x| never overflows
  const F s = V::div(V::set1(1.0f), V::add(V::set1(1.0f), e));
  return V::select(V::greater_equal(x, V::set1(0.0f)), s, V::mul(e, s));
}

template <class V>
typename V::F tanh(typename V::F x) {
  using F = typename V::F;
  const F a = V::abs(x);
  const F x2 = V::mul(x, x);
  F q = V::set1(21844.0f / 6081075.0f);
  q = V::fmadd(q, x2, V::set1(-1382.0f / 155925.0f));
  q = V::fmadd(q, x2, V::set1(62.0f / 2835.0f));
  q = V::fmadd(q, x2, V::set1(-17.0f / 315.0f));
  q = V::fmadd(q, x2, V::set1(2.0f / 15.0f));
  q = V::fmadd(q, x2, V::set1(-1.0f / 3.0f));
  const F near_zero = V::fmadd(V::mul(x, x2), q, x);
  const F e = exp<V>(V::add(a, a));
  const F t = V::sub(V::set1(1.0f), V::div(V::set1(2.0f), V::add(e, V::set1(1.0f))));
  const F far = V::select(V::less_equal(x, V::set1(0.0f)), V::sub(V::set1(0.0f), t), t);
  return V::select(V::less_equal(a, V::set1(0.3f)), near_zero, far);
}

// The standard normal CDF Φ(x) and, in *pdf, φ(x).
template <class V>
typename V::F normal_cdf(typename V::F x, typename V::F* pdf) {
  using F = typename V::F;
  const F u = V::abs(V::mul(x, V::set1(0.70710678118654752440f)));
  const F t = V::div(V::set1(1.0f), V::fmadd(V::set1(0.5f), u, V::set1(1.0f)));
  F p = V::set1(0.17087277f);
  p = V::fmadd(p, t, V::set1(-0.82215223f));
  p = V::fmadd(p, t, V::set1(1.48851587f));
  p = V::fmadd(p, t, V::set1(-1.13520398f));
  p = V::fmadd(p, t, V::set1(0.27886807f));
  p = V::fmadd(p, t, V::set1(-0.18628806f));
  p = V::fmadd(p, t, V::set1(0.09678418f));
  p = V::fmadd(p, t, V::set1(0.37409196f));
  p = V::fmadd(p, t, V::set1(1.00002368f));
  p = V::fmadd(p, t, V::set1(-1.26551223f));
  const F minus_u2 = V::sub(V::set1(0.0f), V::mul(u, u));
  const F erfc = V::mul(t, exp<V>(V::add(minus_u2, p)));
  const F tail = V::mul(V::set1(0.5f), erfc);  // Φ(-|x|) = erfc(|x|/√2) / 2
  if (pdf) *pdf = V::mul(exp<V>(minus_u2), V::set1(0.39894228040143267794f));
  return V::select(V::greater_equal(x, V::set1(0.0f)), V::sub(V::set1(1.0f), tail), tail);
}

// e^x - 1 without the cancellation of exp(x) - 1 near 0: the Taylor polynomial up to x^9/9! for
// |x| <= 0.5 (truncation < 6e-10 relative), exp(x) - 1 beyond.
template <class V>
typename V::F expm1(typename V::F x) {
  using F = typename V::F;
  F p = V::set1(1.0f / 362880.0f);
  p = V::fmadd(p, x, V::set1(1.0f / 40320.0f));
  p = V::fmadd(p, x, V::set1(1.0f / 5040.0f));
  p = V::fmadd(p, x, V::set1(1.0f / 720.0f));
  p = V::fmadd(p, x, V::set1(1.0f / 120.0f));
  p = V::fmadd(p, x, V::set1(1.0f / 24.0f));
  p = V::fmadd(p, x, V::set1(1.0f / 6.0f));
  p = V::fmadd(p, x, V::set1(0.5f));
  p = V::fmadd(p, x, V::set1(1.0f));
  const F near_zero = V::mul(p, x);
  const F far = V::sub(exp<V>(x), V::set1(1.0f));
  return V::select(V::less_equal(V::abs(x), V::set1(0.5f)), near_zero, far);
}

// log(1 + u) for u in [0, 1]. w = 1 + u is rounded, but log(w)·u/(w - 1) undoes that rounding
// (w - 1 is exact); log(w) = 2·atanh(s), s = (w - 1)/(w + 1) <= 1/3, by its odd series to s^15
// (truncation < 2e-8 relative).
template <class V>
typename V::F log1p_unit(typename V::F u) {
  using F = typename V::F;
  const F one = V::set1(1.0f);
  const F w = V::add(one, u);
  const F w_minus_1 = V::sub(w, one);
  const F s = V::div(w_minus_1, V::add(w, one));
  const F s2 = V::mul(s, s);
  F q = V::set1(2.0f / 15.0f);
  q = V::fmadd(q, s2, V::set1(2.0f / 13.0f));
  q = V::fmadd(q, s2, V::set1(2.0f / 11.0f));
  q = V::fmadd(q, s2, V::set1(2.0f / 9.0f));
  q = V::fmadd(q, s2, V::set1(2.0f / 7.0f));
  q = V::fmadd(q, s2, V::set1(2.0f / 5.0f));
  q = V::fmadd(q, s2, V::set1(2.0f / 3.0f));
  q = V::fmadd(q, s2, V::set1(2.0f));
  const F log_w = V::mul(q, s);
  // w == 1 (u below half an ulp of 1): log1p(u) = u to float precision.
  const F corrected = V::mul(log_w, V::div(u, V::select(V::less_equal(w_minus_1, V::set1(0.0f)), one, w_minus_1)));
  return V::select(V::less_equal(w_minus_1, V::set1(0.0f)), u, corrected);
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|) for any x, without overflow. Above 20
// (PyTorch's threshold) the log1p term is below half an ulp of x, so the result is x, as PyTorch's.
template <class V>
typename V::F softplus(typename V::F x) {
  const typename V::F e = exp<V>(V::sub(V::set1(0.0f), V::abs(x)));
  return V::add(V::max(V::set1(0.0f), x), log1p_unit<V>(e));
}

template <class V>
typename V::F activate(typename V::F x, Activation activation) {
  switch (activation) {
    case Activation::relu: return V::max(V::set1(0.0f), x);  // NaN passes (data as b)
    case Activation::sigmoid: return sigmoid<V>(x);
    case Activation::tanh: return tanh<V>(x);
    case Activation::gelu: return V::mul(x, normal_cdf<V>(x, nullptr));
    default: return x;
  }
}

template <class V>
void apply_activation(float* values, int64_t n, Activation activation) {
  if (activation == Activation::none) return;
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    V::store(values + i, activate<V>(V::load(values + i, count), activation), count);
  }
}

// dz = dy · activation'(z), from y = activation(z) where that suffices (see activation.h).
template <class V>
void activation_grad(float* dz, const float* dy, const float* y, const float* z, int64_t n,
                     Activation activation) {
  using F = typename V::F;
  const F zero = V::set1(0.0f), one = V::set1(1.0f);
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    const F g = V::load(dy + i, count);
    F d = g;
    switch (activation) {
      case Activation::relu: {
        const F v = V::load((y ? y : z) + i, count);
        d = V::select(V::less_equal(v, zero), zero, g);
        break;
      }
      case Activation::sigmoid: {
        const F s = y ? V::load(y + i, count) : sigmoid<V>(V::load(z + i, count));
        d = V::mul(g, V::mul(s, V::sub(one, s)));
        break;
      }
      case Activation::tanh: {
        const F t = y ? V::load(y + i, count) : tanh<V>(V::load(z + i, count));
        d = V::mul(g, V::sub(one, V::mul(t, t)));
        break;
      }
      case Activation::gelu: {
        const F x = V::load(z + i, count);
        F pdf;
        const F cdf = normal_cdf<V>(x, &pdf);
        d = V::mul(g, V::fmadd(x, pdf, cdf));
        break;
      }
      default: break;
    }
    V::store(dz + i, d, count);
  }
}

}  // namespace mdlfast::cpu::vector_math
