// AVX2 + FMA GEMM micro-kernel: a 6 x 16 tile in 12 ymm accumulators (of the 16 registers AVX2
// has). Partial rows use smaller instantiations; partial columns go through a scratch tile.
#include <immintrin.h>

#include "cpu/gemm_ukernel.h"

namespace mdlfast::cpu {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

template <int Rows>
void tile(int64_t kc, const float* __restrict pa, const float* __restrict pb, float* __restrict c,
          int64_t ldc, bool accumulate) {
  __m256 acc0[Rows];
  __m256 acc1[Rows];
#pragma GCC unroll 6
  for (int i = 0; i < Rows; ++i) {
    acc0[i] = _mm256_setzero_ps();
    acc1[i] = _mm256_setzero_ps();
  }
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(pb);
    const __m256 b1 = _mm256_load_ps(pb + 8);
#pragma GCC unroll 6
    for (int i = 0; i < Rows; ++i) {
      const __m256 a = _mm256_broadcast_ss(pa + i);
      acc0[i] = _mm256_fmadd_ps(a, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(a, b1, acc1[i]);
    }
    pa += kMr;
    pb += kNr;
  }
#pragma GCC unroll 6
  for (int i = 0; i < Rows; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
      acc0[i] = _mm256_add_ps(acc0[i], _mm256_loadu_ps(row));
      acc1[i] = _mm256_add_ps(acc1[i], _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, acc0[i]);
    _mm256_storeu_ps(row + 8, acc1[i]);
  }
}

void full_columns(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int rows,
                  bool accumulate) {
  switch (rows) {
    case 6: tile<6>(kc, pa, pb, c, ldc, accumulate); break;
    case 5: tile<5>(kc, pa, pb, c, ldc, accumulate); break;
    case 4: tile<4>(kc, pa, pb, c, ldc, accumulate); break;
    case 3: tile<3>(kc, pa, pb, c, ldc, accumulate); break;
    case 2: tile<2>(kc, pa, pb, c, ldc, accumulate); break;
    case 1: tile<1>(kc, pa, pb, c, ldc, accumulate); break;
    default: break;
  }
}

void run(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int rows, int cols,
         bool accumulate) {
  if (cols == kNr) {
    full_columns(kc, pa, pb, c, ldc, rows, accumulate);
    return;
  }
  alignas(32) float scratch[kMr * kNr];
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < kNr; ++j) scratch[i * kNr + j] = (accumulate && j < cols) ? c[i * ldc + j] : 0.0f;
  full_columns(kc, pa, pb, scratch, kNr, rows, accumulate);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) c[i * ldc + j] = scratch[i * kNr + j];
}

constexpr int kPeakChains = 12;  // independent FMA chains, within AVX2's 16 registers

float fma_loop(int64_t iterations) {
  __m256 acc[kPeakChains];
  const __m256 x = _mm256_set1_ps(0.999999f);
  const __m256 y = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < kPeakChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (int64_t r = 0; r < iterations; ++r)
#pragma GCC unroll 12
    for (int i = 0; i < kPeakChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  __m256 sum = acc[0];
  for (int i = 1; i < kPeakChains; ++i) sum = _mm256_add_ps(sum, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0.0f;
  for (float v : lanes) total += v;
  return total;
}

}  // namespace

GemmUkernel gemm_ukernel_avx2() { return {kMr, kNr, run, nullptr, fma_loop, kPeakChains * 8 * 2}; }

}  // namespace mdlfast::cpu
