// The micro-kernel interface shared by every ISA path of the GEMM driver.
//
// Packed panels: pa holds mr rows of A for kc steps (pa[k * mr + i]); pb holds nr columns of B
// (pb[k * nr + j]); both are zero-padded to the full mr / nr. The kernel updates the top-left
// rows x cols corner of the row-major tile c (leading dimension ldc):
//   c(i, j) = (accumulate ? c(i, j) : 0) + sum_k pa[k * mr + i] * pb[k * nr + j]
// and never touches c outside that corner.
#pragma once

#include <cstdint>
#include <cstring>

namespace mdlfast::cpu {

using GemmUkernelFn = void (*)(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc,
                               int rows, int cols, bool accumulate);

// Packs a panel whose source rows are contiguous along k (a row-major A, or a linear layer's
// [out, in] weight as B): dst[k * width + i] = src[i * si + k] for i < rows, zero for
// rows <= i < width. Null where the ISA has no faster way than the driver's scalar loop.
using PackTransposedFn = void (*)(float* dst, const float* src, int64_t si, int rows, int64_t kc,
                                  int width);

// Packs a panel whose source rows run along i (a row-major B, or a transposed A):
// dst[k * width + i] = src[k * sk + i] for i < rows, zero for rows <= i < width. Null where the
// driver's per-k memcpy is as good; the calls it replaces copy only width floats each.
using PackDirectFn = void (*)(float* dst, const float* src, int64_t sk, int rows, int64_t kc, int width);

// Runs `iterations` rounds of independent register-only FMAs (no memory traffic) and returns a
// value derived from them so the work cannot be optimised away: the machine's FMA peak.
using FmaLoopFn = float (*)(int64_t iterations);

struct GemmUkernel {
  int mr;
  int nr;
  GemmUkernelFn run;
  PackTransposedFn pack_transposed;
  PackDirectFn pack_direct;
  FmaLoopFn fma_loop;
  int flops_per_iteration;  // of fma_loop
};

// dst[k * width + i] = src[k * sk + i] for i < rows, zero for rows <= i < width: the ISA's
// pack_direct, or a copy per k where it has none.
inline void pack_panel_direct(const GemmUkernel& uk, float* dst, const float* src, int64_t sk, int rows,
                              int64_t kc, int width) {
  if (uk.pack_direct) {
    uk.pack_direct(dst, src, sk, rows, kc, width);
    return;
  }
  for (int64_t k = 0; k < kc; ++k) {
    float* row = dst + k * width;
    std::memcpy(row, src + k * sk, sizeof(float) * rows);
    for (int i = rows; i < width; ++i) row[i] = 0.0f;
  }
}

GemmUkernel gemm_ukernel_generic();
GemmUkernel gemm_ukernel_avx2();
GemmUkernel gemm_ukernel_avx512();

}  // namespace mdlfast::cpu
