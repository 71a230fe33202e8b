// The dropout forward over one span of elements, compiled in each ISA's translation unit
// (dropout_avx512.cpp, dropout_avx2.cpp, dropout.cpp for the portable path), where the compiler
// vectorises the Philox lanes and the masking loop with that ISA's instructions.
#pragma once

#include <algorithm>
#include <cstdint>

#include "cpu/philox.h"

namespace mdlfast::cpu::dropout_span {
namespace {  // internal linkage, as philox.h

constexpr int kElementsPerGroup = 4 * philox::kLanes;

// Elements [0, n) of the span, the first of which is served by Philox block first_block.
inline void forward(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t first_block,
                    uint32_t key0, uint32_t key1, uint32_t threshold, float scale) {
  uint32_t words[kElementsPerGroup];
  for (int64_t begin = 0; begin < n; begin += kElementsPerGroup) {
    philox::generate(words, first_block + static_cast<uint64_t>(begin / 4), key0, key1);
    const int count = static_cast<int>(std::min<int64_t>(kElementsPerGroup, n - begin));
    // Arithmetic rather than `keep ? scale : 0`, which compilers may turn into a branch that a
    // random mask mispredicts half the time.
    for (int i = 0; i < count; ++i) {
      const uint32_t keep = (words[i] >> 8) >= threshold ? 1u : 0u;
      mask[begin + i] = static_cast<uint8_t>(keep);
      y[begin + i] = x[begin + i] * (scale * static_cast<float>(keep));
    }
  }
}

}  // namespace
}  // namespace mdlfast::cpu::dropout_span
