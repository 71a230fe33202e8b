// The vectorised max-pooling rows (pool_avx512.cpp), chosen by pool.cpp from the active ISA.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

// One output row of a 2×2, stride-2, unpadded max pool: y[ow], indices[ow] for ow < out_w from
// input rows `top` (row 2·oh) and top + in_w, with `base` = 2·oh·in_w the index of top[0].
// Requires 2·out_w <= in_w and indices below 2^31.
void max_pool_2x2_row_avx512(float* y, int64_t* indices, const float* top, int64_t in_w,
                             int64_t out_w, int64_t base);

}  // namespace mdlfast::cpu
