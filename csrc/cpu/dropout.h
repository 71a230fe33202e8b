// Dropout with the counter-based Philox-4x32-10 generator, so that the mask is a pure function of
// (seed, offset, element index): the same on every thread count, ISA path and device. Element i of
// the flattened input uses word i % 4 of the Philox block offset + i // 4 (mod 2^64), counter =
// (block low 32 bits, block high 32 bits, 0, 0), key = (seed low 32 bits, seed high 32 bits); it is
// kept when (word >> 8) >= threshold, threshold = ceil(p·2^24). See mdlfast/reference/dropout.py.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

// mask[i] = 1 if kept else 0; y[i] = x[i]·(kept ? scale : 0), scale = 1/(1-p) (0 for p = 1).
void dropout(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t seed, uint64_t offset,
             uint32_t threshold, float scale);

// dx[i] = dy[i]·(mask[i] ? scale : 0).
void dropout_backward(float* dx, const float* dy, const uint8_t* mask, int64_t n, float scale);

}  // namespace mdlfast::cpu
