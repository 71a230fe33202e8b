// GEMM on the CPU: out[b] = epilogue(A[b] · B[b]) for strided, possibly broadcast operands.
#pragma once

#include <cstdint>

#include "common/gemm_types.h"

namespace mdlfast::cpu {

// out[b] = epilogue(A[b] · B[b]) for b < batch, where A[b] is m x k and B[b] is k x n.
// out is contiguous: batch x m x n, row-major. Every element of out is written.
void gemm(float* out, const StridedMatrix& a, const StridedMatrix& b, int64_t batch, int64_t m,
          int64_t n, int64_t k, const GemmEpilogue& epilogue);

// The machine's float32 FMA peak on the active ISA path, in GFLOP/s, measured by running a
// register-only FMA loop on `threads` threads for about `seconds`.
double measure_peak_gflops(int threads, double seconds);

}  // namespace mdlfast::cpu
