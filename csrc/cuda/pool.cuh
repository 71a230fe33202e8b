// Max and average pooling on the GPU over [planes, H, W] (the N·C planes of an NCHW tensor), with
// the semantics of csrc/cpu/pool.h (PyTorch's, ceil_mode=False, dilation 1, padding at most half
// the kernel). Device pointers; the work is queued on `stream`, nothing synchronises.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cpu/pool.h"

namespace mdlfast::cuda {

using cpu::PoolGeometry;

// y and indices [planes, out_h, out_w]: each window's maximum and its position h·W + w, scanned row
// by row, an element taken when greater than the maximum so far or NaN.
void max_pool2d(float* y, int64_t* indices, const float* x, int64_t planes, const PoolGeometry& g,
                cudaStream_t stream);

// dx [planes, in_hw] = dy scattered (summed) to the positions in indices [planes, out_hw], which the
// caller has checked lie in [0, in_hw). Overlapping windows add with atomics: where two windows
// chose one position the order of their two additions is not fixed (as in PyTorch's CUDA kernel).
void max_pool2d_backward(float* dx, const float* dy, const int64_t* indices, int64_t planes, int64_t in_hw,
                         int64_t out_hw, cudaStream_t stream);

// Window means; the divisor is kernel_h·kernel_w with count_include_pad, else the number of real
// elements under the window. The backward gathers, one thread per input element (deterministic).
void avg_pool2d(float* y, const float* x, int64_t planes, const PoolGeometry& g, bool count_include_pad,
                cudaStream_t stream);
void avg_pool2d_backward(float* dx, const float* dy, int64_t planes, const PoolGeometry& g, bool count_include_pad,
                         cudaStream_t stream);

}  // namespace mdlfast::cuda
