// The dropout forward over one span of elements, compiled in each ISA's translation unit
// (dropout_avx512.cpp, dropout_avx2.cpp, dropout.cpp for the portable path), where the compiler
// vectorises the Philox lanes and the masking loop with that ISA's instructions.
#pragma once

#include <algorithm>
#include <cstdint>

#include "cpu/philox.h"

namespace mdlfast::cpu::dropout_span {
namespace {  // internal linkage, as philox.h

constexpr int kBlocksPerGroup = 16;
constexpr int kElementsPerGroup = 4 * kBlocksPerGroup;

// Elements [0, n) of the span, the first of which is served by Philox block first_block.
inline void forward(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t first_block,
                    uint32_t key0, uint32_t key1, uint32_t threshold, float scale) {
  uint32_t words[kElementsPerGroup];
  for (int64_t begin = 0; begin < n; begin += kElementsPerGroup) {
    philox::generate<kBlocksPerGroup>(words, first_block + static_cast<uint64_t>(begin / 4), key0, key1);
    const int count = static_cast<int>(std::min<int64_t>(kElementsPerGroup, n - begin));
    for (int i = 0; i < count; ++i) {
      const bool keep = (words[i] >> 8) >= threshold;
      mask[begin + i] = keep;
      y[begin + i] = x[begin + i] * (keep ? scale : 0.0f);
    }
  }
}

}  // namespace
}  // namespace mdlfast::cpu::dropout_span
