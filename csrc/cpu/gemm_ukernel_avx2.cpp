// AVX2 + FMA GEMM micro-kernel: a 6 x 16 tile in 12 ymm accumulators (of the 16 registers AVX2
// has). Partial rows use smaller instantiations; partial columns go through a scratch tile.
#include <immintrin.h>

#include "cpu/gemm_ukernel.h"
#include "cpu/simd_avx2.h"

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

// Transposes the 8 x 8 block held in r (r[i] = row i) in place: 24 shuffles.
void transpose8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; ++i) {  // interleave row pairs
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h) {  // 4 x 4 blocks transposed within each 128-bit lane
    u[4 * h] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
    u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
    u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
    u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
  }
  for (int q = 0; q < 4; ++q) {  // then the 2 x 2 grid of lanes
    r[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);
    r[4 + q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);
  }
}

void pack_transposed(float* dst, const float* src, int64_t si, int rows, int64_t kc, int width) {
  __m256 r[8];
  for (int64_t k0 = 0; k0 < kc; k0 += 8) {
    const int depth = static_cast<int>(kc - k0 < 8 ? kc - k0 : 8);
    for (int i0 = 0; i0 < width; i0 += 8) {
      for (int i = 0; i < 8; ++i)
        r[i] = i0 + i < rows ? Avx2::load(src + (i0 + i) * si + k0, depth) : _mm256_setzero_ps();
      transpose8x8(r);
      const int block_rows = width - i0 < 8 ? width - i0 : 8;
      for (int k = 0; k < depth; ++k) Avx2::store(dst + (k0 + k) * width + i0, r[k], block_rows);
    }
  }
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

GemmUkernel gemm_ukernel_avx2() { return {kMr, kNr, run, pack_transposed, nullptr, fma_loop, kPeakChains * 8 * 2}; }

}  // namespace mdlfast::cpu
