// The optimizer updates written once over a SIMD vocabulary V (simd_scalar.h, simd_avx2.h,
// simd_avx512.h) and instantiated per ISA. Each *_slice updates elements [begin, end) of one
// tensor. The operations follow PyTorch's single-tensor code step by step (weight decay, then the
// state updates, then the parameter), so float32 results agree with torch.optim to rounding.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "cpu/optim.h"
#include "cpu/optim_coefficients.h"

namespace mdlfast::cpu::optim_math {

// torch.lerp(start, end, weight): start + w·(end − start) for |w| < 0.5, else
// end − (end − start)·(1 − w), which stays exact at w = 1.
template <class V>
struct Lerp {
  typename V::F weight, minus_weight_complement;  // w and −(1 − w)
  bool from_start;

  explicit Lerp(float w)
      : weight(V::set1(w)), minus_weight_complement(V::set1(-(1.0f - w))), from_start(std::abs(w) < 0.5f) {}

  typename V::F operator()(typename V::F start, typename V::F end) const {
    const typename V::F diff = V::sub(end, start);
    return from_start ? V::fmadd(weight, diff, start) : V::fmadd(minus_weight_complement, diff, end);
  }
};

template <class V>
inline int lanes(int64_t i, int64_t end) {
  return static_cast<int>(std::min<int64_t>(V::kWidth, end - i));
}

template <class V>
void sgd_slice(const OptimTensor& t, int64_t begin, int64_t end, const SgdCoefficients& c) {
  using F = typename V::F;
  const F neg_lr = V::set1(-c.lr), weight_decay = V::set1(c.weight_decay);
  const F momentum = V::set1(c.momentum), one_minus_dampening = V::set1(c.one_minus_dampening);
  const bool decay = c.weight_decay != 0.0f;
  float* buf = t.state[0];
  for (int64_t i = begin; i < end; i += V::kWidth) {
    const int n = lanes<V>(i, end);
    F p = V::load(t.param + i, n);
    F g = V::load(t.grad + i, n);
    if (decay) g = V::fmadd(weight_decay, p, g);
    if (c.use_momentum) {
      F b = g;
      if (!c.first_step)
        b = V::fmadd(one_minus_dampening, g, V::mul(V::load(buf + i, n), momentum));
      V::store(buf + i, b, n);
      g = c.nesterov ? V::fmadd(momentum, b, g) : b;
    }
    V::store(t.param + i, V::fmadd(neg_lr, g, p), n);
  }
}

template <class V>
void rmsprop_slice(const OptimTensor& t, int64_t begin, int64_t end, const RmspropCoefficients& c) {
  using F = typename V::F;
  const F neg_lr = V::set1(-c.lr), weight_decay = V::set1(c.weight_decay), eps = V::set1(c.eps);
  const F alpha = V::set1(c.alpha), one_minus_alpha = V::set1(c.one_minus_alpha);
  const F momentum = V::set1(c.momentum);
  const Lerp<V> toward_grad(c.one_minus_alpha);
  const bool decay = c.weight_decay != 0.0f;
  float *square_avg = t.state[0], *buf = t.state[1], *grad_avg = t.state[2];
  for (int64_t i = begin; i < end; i += V::kWidth) {
    const int n = lanes<V>(i, end);
    F p = V::load(t.param + i, n);
    F g = V::load(t.grad + i, n);
    if (decay) g = V::fmadd(weight_decay, p, g);
    const F sq = V::add(V::mul(V::load(square_avg + i, n), alpha), V::mul(V::mul(one_minus_alpha, g), g));
    V::store(square_avg + i, sq, n);
    F variance = sq;
    if (c.centered) {
      const F ga = toward_grad(V::load(grad_avg + i, n), g);
      V::store(grad_avg + i, ga, n);
      variance = V::sub(sq, V::mul(ga, ga));
    }
    const F avg = V::add(V::sqrt(variance), eps);
    if (c.use_momentum) {
      const F b = V::add(V::mul(V::load(buf + i, n), momentum), V::div(g, avg));
      V::store(buf + i, b, n);
      p = V::fmadd(neg_lr, b, p);
    } else {
      p = V::fmadd(neg_lr, V::div(g, avg), p);
    }
    V::store(t.param + i, p, n);
  }
}

template <class V>
void adagrad_slice(const OptimTensor& t, int64_t begin, int64_t end, const AdagradCoefficients& c) {
  using F = typename V::F;
  const F neg_lr = V::set1(-c.lr), weight_decay = V::set1(c.weight_decay), eps = V::set1(c.eps);
  const bool decay = c.weight_decay != 0.0f;
  float* sum_sq = t.state[0];
  for (int64_t i = begin; i < end; i += V::kWidth) {
    const int n = lanes<V>(i, end);
    const F p = V::load(t.param + i, n);
    F g = V::load(t.grad + i, n);
    if (decay) g = V::fmadd(weight_decay, p, g);
    const F sum = V::fmadd(g, g, V::load(sum_sq + i, n));
    V::store(sum_sq + i, sum, n);
    const F std = V::add(V::sqrt(sum), eps);
    V::store(t.param + i, V::fmadd(neg_lr, V::div(g, std), p), n);
  }
}

template <class V>
void adam_slice(const OptimTensor& t, int64_t begin, int64_t end, const AdamCoefficients& c) {
  using F = typename V::F;
  const F weight_decay = V::set1(c.weight_decay), param_scale = V::set1(c.param_scale);
  const F beta2 = V::set1(c.beta2), one_minus_beta2 = V::set1(c.one_minus_beta2);
  const F neg_step_size = V::set1(-c.step_size), eps = V::set1(c.eps);
  const F bias_correction2_sqrt = V::set1(c.bias_correction2_sqrt);
  const Lerp<V> toward_grad(c.beta1_complement);
  const bool decay = c.weight_decay != 0.0f, scale = c.param_scale != 1.0f;
  float *exp_avg = t.state[0], *exp_avg_sq = t.state[1];
  for (int64_t i = begin; i < end; i += V::kWidth) {
    const int n = lanes<V>(i, end);
    F p = V::load(t.param + i, n);
    F g = V::load(t.grad + i, n);
    if (decay) g = V::fmadd(weight_decay, p, g);
    if (scale) p = V::mul(p, param_scale);
    const F m = toward_grad(V::load(exp_avg + i, n), g);
    const F v = V::add(V::mul(V::load(exp_avg_sq + i, n), beta2), V::mul(V::mul(one_minus_beta2, g), g));
    V::store(exp_avg + i, m, n);
    V::store(exp_avg_sq + i, v, n);
    // PyTorch's order: (sqrt(v) / sqrt(bias_correction2)) + eps.
    const F denom = V::add(V::div(V::sqrt(v), bias_correction2_sqrt), eps);
    V::store(t.param + i, V::fmadd(neg_step_size, V::div(m, denom), p), n);
  }
}

}  // namespace mdlfast::cpu::optim_math
