// The vectorised activation paths (activation_avx512.cpp, activation_avx2.cpp), chosen by
// activation.cpp from the active ISA. Same contracts as apply_activation / activation_grad.
#pragma once

#include <cstdint>

#include "common/gemm_types.h"

namespace mdlfast::cpu {

void apply_activation_avx512(float* values, int64_t n, Activation activation);
void activation_grad_avx512(float* dz, const float* dy, const float* y, const float* z, int64_t n,
                            Activation activation);
void apply_activation_avx2(float* values, int64_t n, Activation activation);
void activation_grad_avx2(float* dz, const float* dy, const float* y, const float* z, int64_t n,
                          Activation activation);

}  // namespace mdlfast::cpu
