// Elementwise activations and their derivatives on the GPU, with the definitions of
// csrc/cpu/pointwise.h (PyTorch's): the same kinds, the same NaN handling, and agreement with the
// CPU kernels up to the rounding of exp, erf and tanh. Device pointers; the work is queued on
// `stream`, nothing synchronises.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cpu/pointwise.h"

namespace mdlfast::cuda {

using cpu::PointwiseKind;

// y[i] = kind(x[i]) for i < n; alpha is leaky_relu's slope or elu's alpha. y may alias x.
void activation_forward(float* y, const float* x, int64_t n, PointwiseKind kind, float alpha,
                        cudaStream_t stream);

// dx[i] = dy[i]·kind'(x[i]); input_or_output is the forward's output when is_output (relu, sigmoid,
// tanh only), its input otherwise. kind must not be step. dx may alias dy.
void activation_backward(float* dx, const float* dy, const float* input_or_output, bool is_output, int64_t n,
                         PointwiseKind kind, float alpha, cudaStream_t stream);

}  // namespace mdlfast::cuda
