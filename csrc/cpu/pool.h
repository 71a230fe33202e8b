// Pooling over [planes, H, W] (the N·C planes of an NCHW tensor), PyTorch's semantics with
// ceil_mode=False and dilation 1: output size floor((in + 2·pad − kernel) / stride) + 1, padding
// at most half the kernel (so every window holds at least one real element).
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

struct PoolGeometry {
  int64_t in_h, in_w, out_h, out_w;
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
};

// y and indices [planes, out_h, out_w]: each window's maximum and its position h·W + w in the
// plane. A window is scanned row by row and an element taken when greater than the maximum so
// far or NaN (PyTorch's rule: ties go to the first maximum, NaN propagates).
void max_pool2d(float* y, int64_t* indices, const float* x, int64_t planes, const PoolGeometry& g);

// dx [planes, in_h, in_w] = dy scattered (summed) to the positions in indices
// ([planes, out_h, out_w]). Returns false, with dx unspecified, when an index lies outside
// [0, in_h·in_w).
bool max_pool2d_backward(float* dx, const float* dy, const int64_t* indices, int64_t planes,
                         int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w);

// Window means; the divisor is kernel_h·kernel_w with count_include_pad, else the number of real
// (unpadded) elements under the window.
void avg_pool2d(float* y, const float* x, int64_t planes, const PoolGeometry& g,
                bool count_include_pad);
void avg_pool2d_backward(float* dx, const float* dy, int64_t planes, const PoolGeometry& g,
                         bool count_include_pad);

// Means over PyTorch's adaptive bins [floor(o·in/out), ceil((o+1)·in/out)) on each axis.
void adaptive_avg_pool2d(float* y, const float* x, int64_t planes, int64_t in_h, int64_t in_w,
                         int64_t out_h, int64_t out_w);
void adaptive_avg_pool2d_backward(float* dx, const float* dy, int64_t planes, int64_t in_h,
                                  int64_t in_w, int64_t out_h, int64_t out_w);

}  // namespace mdlfast::cpu
