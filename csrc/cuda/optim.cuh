// Fused optimizer steps on the GPU with the update rules of csrc/cpu/optim.h (PyTorch's
// torch.optim, foreach=False), in place on float32 tensors. A whole list of tensors is one launch:
// the tensors are described by a device-side table that the caller fills and keeps allocated
// until the queued work has run (mdlfast._cuda_dispatch builds it in CuPy's memory pool).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cpu/optim.h"

namespace mdlfast::cuda {

// Each tensor is cut into chunks of this many elements; one thread block updates one chunk.
constexpr int64_t kOptimChunkElements = 8192;

// The table of a multi-tensor step, in device memory, as int64 words:
//   rows[k * kOptimTableColumns + c] for tensor k: param, grad, state0, state1, state2 (pointers;
//   0 for an unused state), size (elements);
//   chunk_starts[k] (k = 0..count): the first chunk of tensor k among all the tensors' chunks,
//   chunk_starts[0] = 0 and chunk_starts[count] = the number of chunks, each tensor having
//   ceil(size / kOptimChunkElements) of them.
// Which state slot holds what is as in cpu/optim.h.
constexpr int kOptimTableColumns = 6;

struct OptimTable {
  const int64_t* rows;
  const int64_t* chunk_starts;
  int64_t count;   // tensors
  int64_t chunks;  // chunk_starts[count]
};

void sgd_step(const OptimTable& table, const cpu::SgdOptions& options, cudaStream_t stream);
void rmsprop_step(const OptimTable& table, const cpu::RmspropOptions& options, cudaStream_t stream);
void adagrad_step(const OptimTable& table, const cpu::AdagradOptions& options, cudaStream_t stream);
void adam_step(const OptimTable& table, const cpu::AdamOptions& options, cudaStream_t stream);

}  // namespace mdlfast::cuda
