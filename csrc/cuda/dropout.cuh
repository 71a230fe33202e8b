// Dropout on the GPU with the counter-based Philox-4x32-10 map of csrc/cpu/dropout.h: element i
// of the flattened input uses word i % 4 of Philox block offset + i // 4 (mod 2^64), counter =
// (block low 32 bits, block high 32 bits, 0, 0), key = (seed low 32 bits, seed high 32 bits), and
// is kept when (word >> 8) >= threshold. Masks and outputs equal the CPU kernel's bit for bit.
// Device pointers; the work is queued on `stream`, nothing synchronises.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace mdlfast::cuda {

// mask[i] = 1 if kept else 0; y[i] = x[i]·(kept ? scale : 0).
void dropout(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t seed, uint64_t offset,
             uint32_t threshold, float scale, cudaStream_t stream);

// dx[i] = dy[i]·(mask[i] ? scale : 0).
void dropout_backward(float* dx, const float* dy, const uint8_t* mask, int64_t n, float scale,
                      cudaStream_t stream);

}  // namespace mdlfast::cuda
