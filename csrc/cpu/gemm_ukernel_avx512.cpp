// AVX-512 GEMM micro-kernel: a 14 x 32 tile held in 28 zmm accumulators; each k step loads two
// vectors of B and broadcasts 14 scalars of A. Partial tiles use instantiations with fewer rows
// and AVX-512 masks on the columns, so edges run at full speed with no scratch copy.
#include <immintrin.h>

#include "cpu/gemm_ukernel.h"

namespace mdlfast::cpu {
namespace {

constexpr int kMr = 14;
constexpr int kNr = 32;

template <int Rows>
void tile(int64_t kc, const float* __restrict pa, const float* __restrict pb, float* __restrict c,
          int64_t ldc, __mmask16 mask0, __mmask16 mask1, bool accumulate) {
  __m512 acc0[Rows];
  __m512 acc1[Rows];
#pragma GCC unroll 14
  for (int i = 0; i < Rows; ++i) {
    acc0[i] = _mm512_setzero_ps();
    acc1[i] = _mm512_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(pb);
    const __m512 b1 = _mm512_load_ps(pb + 16);
#pragma GCC unroll 14
    for (int i = 0; i < Rows; ++i) {
      const __m512 a = _mm512_set1_ps(pa[i]);
      acc0[i] = _mm512_fmadd_ps(a, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(a, b1, acc1[i]);
    }
    pa += kMr;
    pb += kNr;
  }
#pragma GCC unroll 14
  for (int i = 0; i < Rows; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
      acc0[i] = _mm512_add_ps(acc0[i], _mm512_maskz_loadu_ps(mask0, row));
      acc1[i] = _mm512_add_ps(acc1[i], _mm512_maskz_loadu_ps(mask1, row + 16));
    }
    _mm512_mask_storeu_ps(row, mask0, acc0[i]);
    _mm512_mask_storeu_ps(row + 16, mask1, acc1[i]);
  }
}

__mmask16 column_mask(int cols) {
  if (cols >= 16) return 0xFFFF;
  if (cols <= 0) return 0;
  return static_cast<__mmask16>((1u << cols) - 1u);
}

void run(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int rows, int cols,
         bool accumulate) {
  const __mmask16 m0 = column_mask(cols);
  const __mmask16 m1 = column_mask(cols - 16);
  switch (rows) {
    case 14: tile<14>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 13: tile<13>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 12: tile<12>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 11: tile<11>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 10: tile<10>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 9: tile<9>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 8: tile<8>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 7: tile<7>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 6: tile<6>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 5: tile<5>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 4: tile<4>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 3: tile<3>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 2: tile<2>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    case 1: tile<1>(kc, pa, pb, c, ldc, m0, m1, accumulate); break;
    default: break;
  }
}

constexpr int kPeakChains = 16;  // independent FMA chains: enough to cover latency x throughput

float fma_loop(int64_t iterations) {
  __m512 acc[kPeakChains];
  const __m512 x = _mm512_set1_ps(0.999999f);
  const __m512 y = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < kPeakChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (int64_t r = 0; r < iterations; ++r)
#pragma GCC unroll 16
    for (int i = 0; i < kPeakChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  __m512 sum = acc[0];
  for (int i = 1; i < kPeakChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

}  // namespace

GemmUkernel gemm_ukernel_avx512() { return {kMr, kNr, run, fma_loop, kPeakChains * 16 * 2}; }

}  // namespace mdlfast::cpu
