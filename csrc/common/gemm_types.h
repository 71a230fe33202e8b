// Types shared by the CPU and CUDA GEMM families: strided operands and the fused epilogue.
//
// Operands are strided views: element (i, j) of batch item b sits at
// data[b * bs + i * rs + j * cs]. A transpose is a swap of rs and cs and a broadcast operand has
// bs == 0, so one driver serves every transpose, batch and broadcast without copying.
#pragma once

#include <cstdint>

namespace mdlfast {

struct StridedMatrix {
  const float* data = nullptr;
  int64_t rs = 0;  // row stride, in elements
  int64_t cs = 0;  // column stride, in elements
  int64_t bs = 0;  // batch stride, in elements (0 broadcasts)
};

inline StridedMatrix transposed(const StridedMatrix& m) { return {m.data, m.cs, m.rs, m.bs}; }

enum class Activation { none, relu, sigmoid, tanh, gelu };

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

}  // namespace mdlfast
