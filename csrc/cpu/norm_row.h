// Layer normalisation of one row, written once over a SIMD vocabulary V (simd_avx512.h,
// simd_avx2.h, simd_scalar.h) and instantiated per ISA (norm_avx512.cpp, norm_avx2.cpp, norm.cpp).
//
// Statistics take two passes (mean, then the deviations from it) rather than one pass of Σx and
// Σx²: the one-pass variance cancels catastrophically when |mean| >> std.
#pragma once

#include <cmath>
#include <cstdint>

namespace mdlfast::cpu::norm_row {

// Lanes left from element i of a row of d, capped at the vector width.
template <class V>
int lanes(int64_t d, int64_t i) {
  return d - i >= V::kWidth ? V::kWidth : static_cast<int>(d - i);
}

// y = (x - mean) * rstd * gamma + beta over one row of d; gamma and beta may be null.
template <class V>
void forward(float* y, float* mean_out, float* rstd_out, const float* x, const float* gamma,
             const float* beta, int64_t d, float eps) {
  using F = typename V::F;
  constexpr int W = V::kWidth;
  F sum = V::set1(0.0f);
  for (int64_t i = 0; i < d; i += W) sum = V::add(sum, V::load(x + i, lanes<V>(d, i)));
  const float estimate = V::reduce_add(sum) / static_cast<float>(d);

  // The deviations c = x - m from this first estimate m also correct it: mean = m + Σc/d, and
  // var = (Σc² - (Σc)²/d)/d (the corrected two-pass algorithm), which stays accurate where
  // |mean| >> std and m carries the rounding of a long float sum. Masked-off lanes would load 0
  // and count -m each, so the ragged end is summed on its own.
  const F estimate_v = V::set1(estimate);
  F deviations = V::set1(0.0f), squares = V::set1(0.0f);
  int64_t i = 0;
  for (; i + W <= d; i += W) {
    const F c = V::sub(V::load(x + i, W), estimate_v);
    deviations = V::add(deviations, c);
    squares = V::fmadd(c, c, squares);
  }
  float tail = 0.0f, tail_squares = 0.0f;
  for (; i < d; ++i) {
    const float c = x[i] - estimate;
    tail += c;
    tail_squares += c * c;
  }
  const float sum_c = V::reduce_add(deviations) + tail;
  const float mean = estimate + sum_c / static_cast<float>(d);
  const float spread =
      (V::reduce_add(squares) + tail_squares - sum_c * sum_c / static_cast<float>(d)) /
      static_cast<float>(d);
  const float var = spread < 0.0f ? 0.0f : spread;  // rounding may dip below 0; NaN passes
  const float rstd = 1.0f / std::sqrt(var + eps);
  *mean_out = mean;
  *rstd_out = rstd;

  const F mean_v = V::set1(mean);
  const F rstd_v = V::set1(rstd);
  for (int64_t j = 0; j < d; j += W) {
    const int n = lanes<V>(d, j);
    F v = V::mul(V::sub(V::load(x + j, n), mean_v), rstd_v);
    if (gamma) v = V::mul(v, V::load(gamma + j, n));
    if (beta) v = V::add(v, V::load(beta + j, n));
    V::store(y + j, v, n);
  }
}

// dx for one row, with g = dy * gamma and x̂ = (x - mean) * rstd:
//   dx = rstd * (g - mean(g) - x̂ * mean(g * x̂)).
// When dgamma_acc is given, adds dy * x̂ to it and dy to dbeta_acc (the caller's partial sums).
template <class V>
void backward(float* dx, float* dgamma_acc, float* dbeta_acc, const float* dy, const float* x,
              const float* gamma, float mean, float rstd, int64_t d) {
  using F = typename V::F;
  constexpr int W = V::kWidth;
  const F mean_v = V::set1(mean), rstd_v = V::set1(rstd);
  // Masked-off lanes load dy = 0, so g and g·x̂ are 0 there and the sums stay exact.
  F sum_g = V::set1(0.0f), sum_gx = V::set1(0.0f);
  for (int64_t i = 0; i < d; i += W) {
    const int n = lanes<V>(d, i);
    const F dy_v = V::load(dy + i, n);
    const F xhat = V::mul(V::sub(V::load(x + i, n), mean_v), rstd_v);
    const F g = gamma ? V::mul(dy_v, V::load(gamma + i, n)) : dy_v;
    sum_g = V::add(sum_g, g);
    sum_gx = V::fmadd(g, xhat, sum_gx);
    if (dgamma_acc) {
      V::store(dgamma_acc + i, V::fmadd(dy_v, xhat, V::load(dgamma_acc + i, n)), n);
      V::store(dbeta_acc + i, V::add(dy_v, V::load(dbeta_acc + i, n)), n);
    }
  }
  const float inv_d = 1.0f / static_cast<float>(d);
  const F mean_g = V::set1(V::reduce_add(sum_g) * inv_d);
  const F mean_gx = V::set1(V::reduce_add(sum_gx) * inv_d);
  for (int64_t i = 0; i < d; i += W) {
    const int n = lanes<V>(d, i);
    const F dy_v = V::load(dy + i, n);
    const F xhat = V::mul(V::sub(V::load(x + i, n), mean_v), rstd_v);
    const F g = gamma ? V::mul(dy_v, V::load(gamma + i, n)) : dy_v;
    const F centred = V::sub(g, mean_g);
    const F v = V::sub(centred, V::mul(xhat, mean_gx));
    V::store(dx + i, V::mul(rstd_v, v), n);
  }
}

}  // namespace mdlfast::cpu::norm_row
