// The activations of pointwise.h written once over a SIMD vocabulary V (simd_avx512.h,
// simd_avx2.h, simd_scalar_math.h) on top of vector_math.h, and the loops over a span that each
// ISA's translation unit instantiates. The kind is a template parameter so each loop is branch-free.
#pragma once

#include <algorithm>
#include <cstdint>

#include "cpu/pointwise.h"
#include "cpu/vector_math.h"

namespace mdlfast::cpu::pointwise_math {

constexpr float kSeluAlpha = 1.6732632423543772848f;
constexpr float kSeluScale = 1.0507009873554804934f;

// x > 0 ? if_positive : otherwise, NaN taking `otherwise` (as the C++ comparison in PyTorch's
// kernels); the vocabularies have <= and >= only, so two selects.
template <class V>
typename V::F select_positive(typename V::F x, typename V::F if_positive, typename V::F otherwise) {
  const typename V::F zero = V::set1(0.0f);
  return V::select(V::greater_equal(x, zero), V::select(V::less_equal(x, zero), otherwise, if_positive), otherwise);
}

template <class V>
typename V::F elu(typename V::F x, typename V::F alpha) {
  const typename V::F zero = V::set1(0.0f);
  // min(0, x) keeps expm1 finite on the positive side, which the select discards; NaN takes
  // the second branch, where expm1 passes it.
  const typename V::F negative = V::mul(alpha, vector_math::expm1<V>(V::min(zero, x)));
  return V::select(V::less_equal(x, zero), negative, x);
}

template <class V, PointwiseKind K>
typename V::F forward(typename V::F x, typename V::F alpha) {
  using F = typename V::F;
  const F zero = V::set1(0.0f), one = V::set1(1.0f);
  if constexpr (K == PointwiseKind::relu) return V::max(zero, x);
  if constexpr (K == PointwiseKind::leaky_relu)
    return V::select(V::less_equal(x, zero), V::mul(x, alpha), x);
  if constexpr (K == PointwiseKind::elu) return elu<V>(x, alpha);
  if constexpr (K == PointwiseKind::selu)
    return V::mul(V::set1(kSeluScale), elu<V>(x, V::set1(kSeluAlpha)));
  if constexpr (K == PointwiseKind::gelu) return V::mul(x, vector_math::normal_cdf<V>(x, nullptr));
  if constexpr (K == PointwiseKind::sigmoid) return vector_math::sigmoid<V>(x);
  if constexpr (K == PointwiseKind::tanh) return vector_math::tanh<V>(x);
  if constexpr (K == PointwiseKind::softplus) return vector_math::softplus<V>(x);
  if constexpr (K == PointwiseKind::silu) return V::mul(x, vector_math::sigmoid<V>(x));
  if constexpr (K == PointwiseKind::step) return select_positive<V>(x, one, zero);  // NaN: 0
  if constexpr (K == PointwiseKind::hardtanh) return V::min(one, V::max(V::set1(-1.0f), x));
  return x;
}

// dy · kind'(x); v is x, or the output y where `is_output` (relu, sigmoid, tanh only).
template <class V, PointwiseKind K>
typename V::F backward(typename V::F dy, typename V::F v, bool is_output, typename V::F alpha) {
  using F = typename V::F;
  const F zero = V::set1(0.0f), one = V::set1(1.0f);
  // The piecewise kinds select rather than multiply, as PyTorch's backward kernels do.
  if constexpr (K == PointwiseKind::relu) return V::select(V::less_equal(v, zero), zero, dy);
  if constexpr (K == PointwiseKind::leaky_relu) return select_positive<V>(v, dy, V::mul(dy, alpha));
  if constexpr (K == PointwiseKind::elu || K == PointwiseKind::selu) {
    const bool selu = K == PointwiseKind::selu;
    const F negative_coefficient = selu ? V::set1(kSeluAlpha * kSeluScale) : alpha;
    const F negative = V::mul(dy, V::mul(negative_coefficient, vector_math::exp<V>(V::min(zero, v))));
    const F positive = selu ? V::mul(dy, V::set1(kSeluScale)) : dy;
    return V::select(V::less_equal(v, zero), negative, positive);
  }
  if constexpr (K == PointwiseKind::gelu) {
    F pdf;
    const F cdf = vector_math::normal_cdf<V>(v, &pdf);
    return V::mul(dy, V::fmadd(v, pdf, cdf));
  }
  if constexpr (K == PointwiseKind::sigmoid) {
    const F s = is_output ? v : vector_math::sigmoid<V>(v);
    return V::mul(dy, V::mul(s, V::sub(one, s)));
  }
  if constexpr (K == PointwiseKind::tanh) {
    const F t = is_output ? v : vector_math::tanh<V>(v);
    return V::mul(dy, V::sub(one, V::mul(t, t)));
  }
  if constexpr (K == PointwiseKind::softplus) return V::mul(dy, vector_math::sigmoid<V>(v));
  if constexpr (K == PointwiseKind::silu) {
    const F s = vector_math::sigmoid<V>(v);
    return V::mul(dy, V::mul(s, V::fmadd(v, V::sub(one, s), one)));
  }
  if constexpr (K == PointwiseKind::hardtanh) {
    const F inside = V::select(V::less_equal(v, V::set1(-1.0f)), zero, dy);
    return V::select(V::greater_equal(v, one), zero, inside);
  }
  return dy;
}

template <class V, PointwiseKind K>
void forward_span(float* y, const float* x, int64_t n, float alpha) {
  const typename V::F a = V::set1(alpha);
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    V::store(y + i, forward<V, K>(V::load(x + i, count), a), count);
  }
}

template <class V, PointwiseKind K>
void backward_span(float* dx, const float* dy, const float* v, bool is_output, int64_t n, float alpha) {
  const typename V::F a = V::set1(alpha);
  for (int64_t i = 0; i < n; i += V::kWidth) {
    const int count = static_cast<int>(std::min<int64_t>(V::kWidth, n - i));
    V::store(dx + i, backward<V, K>(V::load(dy + i, count), V::load(v + i, count), is_output, a), count);
  }
}

// Calls F<kind>::run(args...) with the kind as a template argument.
template <template <PointwiseKind> class Op, class... Args>
void with_kind(PointwiseKind kind, Args... args) {
  switch (kind) {
    case PointwiseKind::relu: return Op<PointwiseKind::relu>::run(args...);
    case PointwiseKind::leaky_relu: return Op<PointwiseKind::leaky_relu>::run(args...);
    case PointwiseKind::elu: return Op<PointwiseKind::elu>::run(args...);
    case PointwiseKind::selu: return Op<PointwiseKind::selu>::run(args...);
    case PointwiseKind::gelu: return Op<PointwiseKind::gelu>::run(args...);
    case PointwiseKind::sigmoid: return Op<PointwiseKind::sigmoid>::run(args...);
    case PointwiseKind::tanh: return Op<PointwiseKind::tanh>::run(args...);
    case PointwiseKind::softplus: return Op<PointwiseKind::softplus>::run(args...);
    case PointwiseKind::silu: return Op<PointwiseKind::silu>::run(args...);
    case PointwiseKind::step: return Op<PointwiseKind::step>::run(args...);
    case PointwiseKind::hardtanh: return Op<PointwiseKind::hardtanh>::run(args...);
  }
}

template <class V>
struct Spans {
  template <PointwiseKind K>
  struct Forward {
    static void run(float* y, const float* x, int64_t n, float alpha) { forward_span<V, K>(y, x, n, alpha); }
  };
  template <PointwiseKind K>
  struct Backward {
    static void run(float* dx, const float* dy, const float* v, bool is_output, int64_t n, float alpha) {
      backward_span<V, K>(dx, dy, v, is_output, n, alpha);
    }
  };
  static void forward(float* y, const float* x, int64_t n, PointwiseKind kind, float alpha) {
    with_kind<Forward>(kind, y, x, n, alpha);
  }
  static void backward(float* dx, const float* dy, const float* v, bool is_output, int64_t n,
                       PointwiseKind kind, float alpha) {
    with_kind<Backward>(kind, dx, dy, v, is_output, n, alpha);
  }
};

}  // namespace mdlfast::cpu::pointwise_math
