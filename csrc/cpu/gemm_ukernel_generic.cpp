// Portable GEMM micro-kernel for any CPU: plain loops over a 4 x 8 tile that the compiler
// vectorises with the baseline instruction set (SSE2 on x86-64).
#include "cpu/gemm_ukernel.h"

namespace mdlfast::cpu {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 8;

void run(int64_t kc, const float* __restrict pa, const float* __restrict pb, float* __restrict c,
         int64_t ldc, int rows, int cols, bool accumulate) {
  float acc[kMr][kNr] = {};
  for (int64_t k = 0; k < kc; ++k) {
    for (int i = 0; i < kMr; ++i)
      for (int j = 0; j < kNr; ++j) acc[i][j] += pa[i] * pb[j];
    pa += kMr;
    pb += kNr;
  }
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

constexpr int kPeakLanes = 32;  // independent multiply-add chains the compiler vectorises

float fma_loop(int64_t iterations) {
  float acc[kPeakLanes];
  for (int i = 0; i < kPeakLanes; ++i) acc[i] = static_cast<float>(i);
  for (int64_t r = 0; r < iterations; ++r)
    for (int i = 0; i < kPeakLanes; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
  float total = 0.0f;
  for (float v : acc) total += v;
  return total;
}

}  // namespace

GemmUkernel gemm_ukernel_generic() { return {kMr, kNr, run, nullptr, nullptr, fma_loop, kPeakLanes * 2}; }

}  // namespace mdlfast::cpu
