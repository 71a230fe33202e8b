// GEMM on the GPU: out[b] = epilogue(A[b] · B[b]) for strided, possibly broadcast operands, with
// the semantics of mdlfast::cpu::gemm (csrc/cpu/gemm.h).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "common/gemm_types.h"

namespace mdlfast::cuda {

// out[b] = epilogue(A[b] · B[b]) for b < batch, where A[b] is m x k and B[b] is k x n.
// out is contiguous: batch x m x n, row-major. Every element of out is written (k == 0 gives the
// epilogue of zero). All pointers, the epilogue's included, are device pointers. The work is
// queued on `stream`; nothing synchronises.
void gemm(float* out, const StridedMatrix& a, const StridedMatrix& b, int64_t batch, int64_t m,
          int64_t n, int64_t k, const GemmEpilogue& epilogue, cudaStream_t stream);

}  // namespace mdlfast::cuda
