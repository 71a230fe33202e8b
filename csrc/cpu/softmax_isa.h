// The softmax row and column kernels of one ISA path (softmax_avx512.cpp, softmax_avx2.cpp, and
// the portable path in softmax.cpp), picked by softmax_kernels() from the active ISA; the fused
// cross-entropy (loss.cpp) uses the row kernel too. Contracts: softmax_row.h.
#pragma once

#include <cstdint>

#include "cpu/softmax_row.h"

namespace mdlfast::cpu {

struct SoftmaxKernels {
  softmax_row::RowStats (*forward_row)(float* y, const float* x, int64_t n, bool log);
  void (*backward_row)(float* dx, const float* dy, const float* y, int64_t n, bool log);
  void (*forward_columns)(float* y, const float* x, int64_t n, int64_t stride, int64_t width, bool log);
  void (*backward_columns)(float* dx, const float* dy, const float* y, int64_t n, int64_t stride,
                           int64_t width, bool log);
};

template <class V>
SoftmaxKernels softmax_kernels_for() {
  return {softmax_row::forward_row<V>, softmax_row::backward_row<V>, softmax_row::forward_columns<V>,
          softmax_row::backward_columns<V>};
}

SoftmaxKernels softmax_kernels_avx512();
SoftmaxKernels softmax_kernels_avx2();
SoftmaxKernels softmax_kernels();  // the active ISA's

}  // namespace mdlfast::cpu
