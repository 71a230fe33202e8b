// Linear layers on the GPU, y = activation(x · wᵀ + b), with the semantics of
// mdlfast::cpu::linear and linear_backward (csrc/cpu/linear.h). All pointers are device pointers;
// the work is queued on `stream` and nothing synchronises.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "common/gemm_types.h"

namespace mdlfast::cuda {

// x: m x in, w: out x in (PyTorch layout), bias: out or null; y (and z, the pre-activation, when
// not null) contiguous m x out.
void linear(float* y, float* z, const StridedMatrix& x, const StridedMatrix& w, const float* bias,
            int64_t m, int64_t in, int64_t out, Activation activation, cudaStream_t stream);

// How many floats of scratch memory linear_backward needs for these sizes.
int64_t linear_backward_workspace_size(int64_t m, int64_t out, Activation activation);

// dy, y and z contiguous m x out (y or z may be null: relu, sigmoid and tanh need one of them,
// gelu needs z). Writes dx (m x in), dw (out x in) and db (out), all contiguous; workspace holds
// linear_backward_workspace_size(m, out, activation) floats and must stay allocated until the
// queued work has run. db is deterministic: its summation order depends only on m and out.
void linear_backward(float* dx, float* dw, float* db, float* workspace, const float* dy,
                     const StridedMatrix& x, const StridedMatrix& w, const float* y, const float* z,
                     int64_t m, int64_t in, int64_t out, Activation activation,
                     cudaStream_t stream);

}  // namespace mdlfast::cuda
