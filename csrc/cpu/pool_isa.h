// The vectorised pooling rows (pool_avx512.cpp, pool_avx2.cpp), chosen by pool.cpp from the
// active ISA. Each computes one output row oh of one plane, 16 (AVX-512) or 8 (AVX2) output columns
// at a time, with the same results as the scalar loops in pool.cpp.
#pragma once

#include <cstdint>

#include "cpu/pool.h"

namespace mdlfast::cpu {

// y[ow], indices[ow] of output row oh of max pooling over the plane x. Requires in_h·in_w < 2^31
// (the indices are formed in 32-bit lanes).
void max_pool_row_avx512(float* y, int64_t* indices, const float* x, const PoolGeometry& g,
                         int64_t oh);

// The same for 2×2 windows at stride 2 without padding (in_w >= 2·out_w).
void max_pool_2x2_row_avx512(float* y, int64_t* indices, const float* x, int64_t in_w, int64_t out_w,
                             int64_t oh);

// Input rows 2·oh and 2·oh + 1, columns [0, 2·out_w), of the max-pooling gradient for 2×2 windows at
// stride 2: dy[ow] where indices[ow] names that element, 0 elsewhere. Returns false, with the rows
// partly written, when an index lies outside its own 2×2 window.
bool max_pool_2x2_backward_row_avx512(float* dx, const float* dy, const int64_t* indices, int64_t in_w,
                                      int64_t out_w, int64_t oh);

// y[ow] of output row oh of average pooling over the plane x.
void avg_pool_row_avx512(float* y, const float* x, const PoolGeometry& g, int64_t oh,
                         bool count_include_pad);

// Adds output row oh's share of dy (dy[ow] / the window's divisor) to each element of its window
// in the plane dx.
void avg_pool_backward_row_avx512(float* dx, const float* dy, const PoolGeometry& g, int64_t oh,
                                  bool count_include_pad);

// Σ x[0 .. n).
float sum_avx512(const float* x, int64_t n);

// The same rows on AVX2 (the average-pooling backward has no AVX2 row: it stays scalar there).
void max_pool_row_avx2(float* y, int64_t* indices, const float* x, const PoolGeometry& g,
                       int64_t oh);
void avg_pool_row_avx2(float* y, const float* x, const PoolGeometry& g, int64_t oh,
                       bool count_include_pad);

}  // namespace mdlfast::cpu
