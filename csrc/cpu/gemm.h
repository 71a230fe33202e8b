// GEMM and the fused epilogue that linear layers use.
//
// Operands are strided views: element (i, j) of batch item b sits at
// data[b * bs + i * rs + j * cs]. A transpose is a swap of rs and cs and a broadcast operand has
// bs == 0, so one driver serves every transpose, batch and broadcast without copying.
#pragma once

#include <cstdint>

#include "cpu/activation.h"

namespace mdlfast::cpu {

struct StridedMatrix {
  const float* data = nullptr;
  int64_t rs = 0;  // row stride, in elements
  int64_t cs = 0;  // column stride, in elements
  int64_t bs = 0;  // batch stride, in elements (0 broadcasts)
};

// What happens to each accumulated element acc(i, j) before it is stored:
//   z = alpha * acc + beta * c(i, j) + bias[j];   out = activation(z)
// c is read only when beta != 0 (so NaNs in an ignored c do not propagate, as in BLAS).
// When preactivation is set, z is stored there too (contiguous, same layout as out).
struct GemmEpilogue {
  float alpha = 1.0f;
  float beta = 0.0f;
  StridedMatrix c;
  const float* bias = nullptr;
  Activation activation = Activation::none;
  float* preactivation = nullptr;
};

// out[b] = epilogue(A[b] · B[b]) for b < batch, where A[b] is m x k and B[b] is k x n.
// out is contiguous: batch x m x n, row-major. Every element of out is written.
void gemm(float* out, const StridedMatrix& a, const StridedMatrix& b, int64_t batch, int64_t m,
          int64_t n, int64_t k, const GemmEpilogue& epilogue);

// The machine's float32 FMA peak on the active ISA path, in GFLOP/s, measured by running a
// register-only FMA loop on `threads` threads for about `seconds`.
double measure_peak_gflops(int threads, double seconds);

}  // namespace mdlfast::cpu
