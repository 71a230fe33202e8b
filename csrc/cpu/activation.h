// Elementwise activations shared by fused epilogues (linear) and, later, the pointwise kernels.
#pragma once

#include <cstdint>

#include "common/gemm_types.h"

namespace mdlfast::cpu {

// values[i] = activation(values[i]) for i < n. gelu is the exact erf form.
void apply_activation(float* values, int64_t n, Activation activation);

// dz = dy * activation'(z) for n elements. y = activation(z) and z are both optional: relu,
// sigmoid and tanh use y when given (their derivative is a function of the output), otherwise z;
// gelu needs z. The caller guarantees the needed one is present.
void activation_grad(float* dz, const float* dy, const float* y, const float* z, int64_t n,
                     Activation activation);

}  // namespace mdlfast::cpu
