// Elementwise activations and their derivatives on flat float32 arrays, with PyTorch's
// definitions (see mdlfast/reference/activation_functions.py). The linear epilogue's activations
// (activation.h) share the vector math with these.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

enum class PointwiseKind {
  relu, leaky_relu, elu, selu, gelu, sigmoid, tanh, softplus, silu, step, hardtanh
};

// y[i] = kind(x[i]) for i < n; alpha is leaky_relu's negative slope or elu's alpha (ignored by the
// other kinds). y may alias x.
void activation_forward(float* y, const float* x, int64_t n, PointwiseKind kind, float alpha);

// dx[i] = dy[i] · kind'(x[i]). `input_or_output` is the forward's output y when `is_output` (only
// for relu, sigmoid and tanh, whose derivative is a function of y) and its input x otherwise.
// kind must not be step. dx may alias dy.
void activation_backward(float* dx, const float* dy, const float* input_or_output, bool is_output,
                         int64_t n, PointwiseKind kind, float alpha);

}  // namespace mdlfast::cpu
