// AVX-512 GEMM micro-kernel: a 14 x 32 tile held in 28 zmm accumulators; each k step loads two
// vectors of B and broadcasts 14 scalars of A. Partial tiles use instantiations with fewer rows
// and AVX-512 masks on the columns, so edges run at full speed with no scratch copy.
#include <immintrin.h>

#include "cpu/gemm_ukernel.h"
#include "cpu/simd_avx512.h"

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

void run(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int rows, int cols,
         bool accumulate) {
  const __mmask16 m0 = Avx512::first(cols);
  const __mmask16 m1 = Avx512::first(cols - 16);
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

// Transposes the 16 x 16 block held in r (r[i] = row i) in place: 64 shuffles.
void transpose16x16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {  // interleave row pairs
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {  // 4 x 4 blocks transposed within each 128-bit lane
    const __m512d t0 = _mm512_castps_pd(t[4 * i]), t1 = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d t2 = _mm512_castps_pd(t[4 * i + 2]), t3 = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  for (int q = 0; q < 4; ++q) {  // then the 4 x 4 grid of 128-bit lanes
    const __m512 p0 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x44);
    const __m512 p1 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xEE);
    const __m512 p2 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x44);
    const __m512 p3 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xEE);
    t[q] = _mm512_shuffle_f32x4(p0, p2, 0x88);
    t[4 + q] = _mm512_shuffle_f32x4(p0, p2, 0xDD);
    t[8 + q] = _mm512_shuffle_f32x4(p1, p3, 0x88);
    t[12 + q] = _mm512_shuffle_f32x4(p1, p3, 0xDD);
  }
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

void pack_transposed(float* dst, const float* src, int64_t si, int rows, int64_t kc, int width) {
  __m512 r[16];
  for (int64_t k0 = 0; k0 < kc; k0 += 16) {
    const int depth = static_cast<int>(kc - k0 < 16 ? kc - k0 : 16);
    const __mmask16 load_mask = Avx512::first(depth);
    for (int i0 = 0; i0 < width; i0 += 16) {
      const int block_rows = width - i0 < 16 ? width - i0 : 16;
      for (int i = 0; i < 16; ++i)
        r[i] = i0 + i < rows ? _mm512_maskz_loadu_ps(load_mask, src + (i0 + i) * si + k0)
                             : _mm512_setzero_ps();
      transpose16x16(r);
      const __mmask16 store_mask = Avx512::first(block_rows);
      for (int k = 0; k < depth; ++k) _mm512_mask_storeu_ps(dst + (k0 + k) * width + i0, store_mask, r[k]);
    }
  }
}

// Panels are at most two vectors wide (kMr, kNr <= 32).
void pack_direct(float* dst, const float* src, int64_t sk, int rows, int64_t kc, int width) {
  const __mmask16 load0 = Avx512::first(rows), load1 = Avx512::first(rows - 16);
  const __mmask16 store0 = Avx512::first(width), store1 = Avx512::first(width - 16);
  for (int64_t k = 0; k < kc; ++k, src += sk, dst += width) {
    _mm512_mask_storeu_ps(dst, store0, _mm512_maskz_loadu_ps(load0, src));
    if (store1) _mm512_mask_storeu_ps(dst + 16, store1, _mm512_maskz_loadu_ps(load1, src + 16));
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

GemmUkernel gemm_ukernel_avx512() { return {kMr, kNr, run, pack_transposed, pack_direct, fma_loop, kPeakChains * 16 * 2}; }

}  // namespace mdlfast::cpu
