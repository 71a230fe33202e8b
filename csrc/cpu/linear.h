// Linear layers, y = activation(x · wᵀ + b), as one GEMM with a fused epilogue.
#pragma once

#include <cstdint>

#include "cpu/activation.h"
#include "cpu/gemm.h"

namespace mdlfast::cpu {

// x: m x in, w: out x in (PyTorch layout), bias: out or null; y (and z, the pre-activation, when
// not null) contiguous m x out.
void linear(float* y, float* z, const StridedMatrix& x, const StridedMatrix& w, const float* bias,
            int64_t m, int64_t in, int64_t out, Activation activation);

// dy, y and z contiguous m x out (y or z may be null; see activation_grad for which is needed).
// Writes dx (m x in), dw (out x in) and db (out), all contiguous.
void linear_backward(float* dx, float* dw, float* db, const float* dy, const StridedMatrix& x,
                     const StridedMatrix& w, const float* y, const float* z, int64_t m, int64_t in,
                     int64_t out, Activation activation);

}  // namespace mdlfast::cpu
