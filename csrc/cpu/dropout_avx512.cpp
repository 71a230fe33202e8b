// The dropout span compiled for avx512 (the compiler vectorises Philox's lanes with it).
#include "cpu/dropout_isa.h"
#include "cpu/dropout_span.h"

namespace mdlfast::cpu {

void dropout_span_avx512(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t first_block,
                       uint32_t key0, uint32_t key1, uint32_t threshold, float scale) {
  dropout_span::forward(y, mask, x, n, first_block, key0, key1, threshold, scale);
}

}  // namespace mdlfast::cpu
