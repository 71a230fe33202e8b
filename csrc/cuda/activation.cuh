// Activations and their gradients on the device, for fused epilogues and backward kernels. The
// rules are those of csrc/cpu/activation.cpp, so the CPU and CUDA kernels agree element by element
// up to rounding.
#pragma once

#include <cstdint>

#include "common/gemm_types.h"

namespace mdlfast::cuda {

constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;

// Split by sign so exp never overflows and tiny results keep their (denormal) value.
__device__ __forceinline__ float sigmoid(float z) {
  if (z >= 0.0f) return 1.0f / (1.0f + expf(-z));
  const float e = expf(z);
  return e / (1.0f + e);
}

// Φ(z) = erfc(-z/√2) / 2: unlike (1 + erf(z/√2)) / 2 it does not cancel for negative z.
__device__ __forceinline__ float normal_cdf(float z) { return 0.5f * erfcf(-z * kInvSqrt2); }

__device__ __forceinline__ float gelu_derivative(float z) {
  const float pdf = kInvSqrt2Pi * expf(-0.5f * z * z);
  return normal_cdf(z) + z * pdf;
}

// gelu is the exact erf form; relu passes NaN through, as PyTorch does.
__device__ __forceinline__ float activate(float z, Activation activation) {
  switch (activation) {
    case Activation::none: break;
    case Activation::relu: return z < 0.0f ? 0.0f : z;
    case Activation::sigmoid: return sigmoid(z);
    case Activation::tanh: return tanhf(z);
    case Activation::gelu: return z * normal_cdf(z);
  }
  return z;
}

// dy * activation'(z) for element i. relu, sigmoid and tanh read the output y when it is given
// (their derivative is a function of it), else z; gelu reads z. The caller guarantees the needed
// one is present.
__device__ __forceinline__ float activation_grad(float dy, const float* y, const float* z,
                                                 int64_t i, Activation activation) {
  switch (activation) {
    case Activation::none: break;
    case Activation::relu:  // as PyTorch's threshold_backward: passes unless the value is <= 0
      return (y ? y[i] : z[i]) <= 0.0f ? 0.0f : dy;
    case Activation::sigmoid: {
      const float s = y ? y[i] : sigmoid(z[i]);
      return dy * s * (1.0f - s);
    }
    case Activation::tanh: {
      const float t = y ? y[i] : tanhf(z[i]);
      return dy * (1.0f - t * t);
    }
    case Activation::gelu: return dy * gelu_derivative(z[i]);
  }
  return dy;
}

}  // namespace mdlfast::cuda
