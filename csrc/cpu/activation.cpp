#include "cpu/activation.h"

#include <cmath>

#include "common/isa.h"
#include "cpu/activation_isa.h"

namespace mdlfast::cpu {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;

// Split by sign so exp never overflows and tiny results keep their (denormal) value, as PyTorch's.
inline float sigmoid(float z) {
  if (z >= 0.0f) return 1.0f / (1.0f + std::exp(-z));
  const float e = std::exp(z);
  return e / (1.0f + e);
}

// PyTorch's relu passes NaN through; `z < 0` is false for NaN.
inline float relu(float z) { return z < 0.0f ? 0.0f : z; }

// Φ(z) = erfc(-z/√2) / 2: unlike (1 + erf(z/√2)) / 2 it does not cancel for negative z.
inline float normal_cdf(float z) { return 0.5f * std::erfc(-z * kInvSqrt2); }

inline float gelu(float z) { return z * normal_cdf(z); }

inline float gelu_grad(float z) {
  const float cdf = normal_cdf(z);
  const float pdf = kInvSqrt2Pi * std::exp(-0.5f * z * z);
  return cdf + z * pdf;
}

}  // namespace

void apply_activation(float* values, int64_t n, Activation activation) {
  switch (active_isa()) {
    case Isa::avx512: return apply_activation_avx512(values, n, activation);
    case Isa::avx2: return apply_activation_avx2(values, n, activation);
    default: break;
  }
  switch (activation) {
    case Activation::none: return;
    case Activation::relu:
      for (int64_t i = 0; i < n; ++i) values[i] = relu(values[i]);
      return;
    case Activation::sigmoid:
      for (int64_t i = 0; i < n; ++i) values[i] = sigmoid(values[i]);
      return;
    case Activation::tanh:
      for (int64_t i = 0; i < n; ++i) values[i] = std::tanh(values[i]);
      return;
    case Activation::gelu:
      for (int64_t i = 0; i < n; ++i) values[i] = gelu(values[i]);
      return;
  }
}

void activation_grad(float* dz, const float* dy, const float* y, const float* z, int64_t n,
                     Activation activation) {
  switch (active_isa()) {
    case Isa::avx512: return activation_grad_avx512(dz, dy, y, z, n, activation);
    case Isa::avx2: return activation_grad_avx2(dz, dy, y, z, n, activation);
    default: break;
  }
  switch (activation) {
    case Activation::none:
      for (int64_t i = 0; i < n; ++i) dz[i] = dy[i];
      return;
    case Activation::relu: {
      // As PyTorch's threshold_backward: the gradient passes unless the value is <= 0.
      const float* v = y ? y : z;
      for (int64_t i = 0; i < n; ++i) dz[i] = v[i] <= 0.0f ? 0.0f : dy[i];
      return;
    }
    case Activation::sigmoid:
      for (int64_t i = 0; i < n; ++i) {
        const float s = y ? y[i] : sigmoid(z[i]);
        dz[i] = dy[i] * s * (1.0f - s);
      }
      return;
    case Activation::tanh:
      for (int64_t i = 0; i < n; ++i) {
        const float t = y ? y[i] : std::tanh(z[i]);
        dz[i] = dy[i] * (1.0f - t * t);
      }
      return;
    case Activation::gelu:
      for (int64_t i = 0; i < n; ++i) dz[i] = dy[i] * gelu_grad(z[i]);
      return;
  }
}

}  // namespace mdlfast::cpu
