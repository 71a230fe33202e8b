// The Winograd F(4×4, 3×3) transforms compiled for AVX2, eight tiles per vector (the micro-kernel's
// panels are 16 wide). As on AVX-512, patch rows are loaded one by one (masked for the padding)
// and transposed 8×8 into columns, and output rows go back through an in-lane 4×4 transpose.
#include <immintrin.h>

#include "cpu/conv_winograd_kernels.h"
#include "cpu/simd_avx2.h"

namespace mdlfast::cpu::winograd {
namespace {

struct Ops256 {
  // All-ones in lane j where bit j of bits is set (j < 8).
  static __m256i bit_lanes(unsigned bits) {
    const __m256i lanes = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), lanes), lanes);
  }

  static __m256 gather_weights(const float* tap, int64_t stride, int rows) {
    const __m256i planes = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                              _mm256_set1_epi32(static_cast<int32_t>(stride)));
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), tap, planes, _mm256_castsi256_ps(Avx2::first(rows)), 4);
  }
  static void store_panel(float* p, __m256 v, int mr) { _mm256_maskstore_ps(p, Avx2::first(mr), v); }

  // The classic 8×8 transpose: slot s lands in lane s.
  static void load_patch_row(uintptr_t xc, const InputGroup& tiles, int i, int64_t row_offset, int64_t ahead,
                             __m256 d[6]) {
    __m256 r[8];
    for (int k = 0; k < 8; ++k) {
      const float* at = reinterpret_cast<const float*>(xc + (tiles.x_offset[k] + row_offset) * sizeof(float));
      _mm_prefetch(reinterpret_cast<const char*>(at + ahead), _MM_HINT_T0);
      r[k] = _mm256_maskload_ps(at, bit_lanes(tiles.load_mask[i][k]));
    }
    __m256 t[8];
    for (int k = 0; k < 4; ++k) {
      t[2 * k] = _mm256_unpacklo_ps(r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm256_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    // u[j] (j < 4): column j of slots 0-3 in the low 128 bits, column j + 4 in the high ones;
    // u[4 + j] likewise for slots 4-7.
    __m256 u[8];
    for (int h = 0; h < 2; ++h) {
      u[4 * h] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
      u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
      u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
      u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
    }
    d[0] = _mm256_permute2f128_ps(u[0], u[4], 0x20);
    d[1] = _mm256_permute2f128_ps(u[1], u[5], 0x20);
    d[2] = _mm256_permute2f128_ps(u[2], u[6], 0x20);
    d[3] = _mm256_permute2f128_ps(u[3], u[7], 0x20);
    d[4] = _mm256_permute2f128_ps(u[0], u[4], 0x31);
    d[5] = _mm256_permute2f128_ps(u[1], u[5], 0x31);
  }

  // x − x is NaN exactly when x is an infinity or NaN.
  static uint16_t non_finite(const __m256 sums[6]) {
    int bad = 0;
    for (int k = 0; k < 6; ++k)
      bad |= _mm256_movemask_ps(_mm256_cmp_ps(_mm256_sub_ps(sums[k], sums[k]), _mm256_setzero_ps(), _CMP_UNORD_Q));
    return static_cast<uint16_t>(bad);
  }

  static void prefetch_rows(const float* y, const OutputGroup& tiles, int64_t width) {
    for (int tile = 0; tile < 8; tile += 4)
      for (int i = 0; i < 4; ++i)
        _mm_prefetch(reinterpret_cast<const char*>(y + tiles.y_offset[tile] + i * width), _MM_HINT_T0);
  }

  // Columns r[j] (lane t: tile t) rearranged so that 128-bit lane L of rows[q] holds tile 4L + q's
  // four columns, then stored tile by tile.
  static void store_rows(float* y, const __m256 r[4], const OutputGroup& tiles, int i, int64_t width) {
    const __m256 lo01 = _mm256_unpacklo_ps(r[0], r[1]), hi01 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 lo23 = _mm256_unpacklo_ps(r[2], r[3]), hi23 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 rows[4] = {
        _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(lo01), _mm256_castps_pd(lo23))),
        _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(lo01), _mm256_castps_pd(lo23))),
        _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(hi01), _mm256_castps_pd(hi23))),
        _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(hi01), _mm256_castps_pd(hi23)))};
    const __m128i columns = _mm_setr_epi32(1, 2, 4, 8);
    for (int q = 0; q < 4; ++q) {
      const __m128 lanes[2] = {_mm256_castps256_ps128(rows[q]), _mm256_extractf128_ps(rows[q], 1)};
      for (int lane = 0; lane < 2; ++lane) {
        const int tile = 4 * lane + q;
        const unsigned mask = tiles.store_mask[tile][i];
        float* dst = y + tiles.y_offset[tile] + i * width;
        if (mask == 0xF) {
          _mm_storeu_ps(dst, lanes[lane]);
        } else if (mask) {
          const __m128i m = _mm_cmpeq_epi32(_mm_and_si128(_mm_set1_epi32(static_cast<int>(mask)), columns), columns);
          _mm_maskstore_ps(dst, m, lanes[lane]);
        }
      }
    }
  }
};

}  // namespace

void weight_transform_avx2(float* u, int64_t xi_stride, const float* w, int64_t channels, int rows, int mr) {
  weight_transform<Avx2, Ops256>(u, xi_stride, w, channels, rows, mr);
}

uint16_t input_transform_avx2(float* v, int64_t xi_stride, int64_t c_stride, const float* x, int64_t plane,
                              int64_t width, int64_t channels, const InputGroup& tiles) {
  return input_transform<Avx2, Ops256>(v, xi_stride, c_stride, x, plane, width, channels, tiles);
}

void output_transform_avx2(float* y, int64_t plane, int64_t width, const float* m, int64_t xi_stride,
                           int64_t o_stride, int64_t outputs, const float* b, const OutputGroup& tiles) {
  output_transform<Avx2, Ops256>(y, plane, width, m, xi_stride, o_stride, outputs, b, tiles);
}

}  // namespace mdlfast::cpu::winograd
