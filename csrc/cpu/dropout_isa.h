// The dropout span compiled per ISA (dropout_avx512.cpp, dropout_avx2.cpp); same contract as
// dropout_span::forward.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

void dropout_span_avx512(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t first_block,
                         uint32_t key0, uint32_t key1, uint32_t threshold, float scale);
void dropout_span_avx2(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t first_block,
                       uint32_t key0, uint32_t key1, uint32_t threshold, float scale);

}  // namespace mdlfast::cpu
