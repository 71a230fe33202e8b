// The Winograd F(4×4, 3×3) transforms compiled for AVX-512, sixteen tiles per vector, so the
// transformed values land as whole vectors in the micro-kernel's 32-wide packed panels.
// Patches overlap by two pixels and tiles of a group may sit on different rows or images, so each
// patch row is loaded on its own (masked for the padding) and sixteen of them are transposed into
// columns: on Zen 4 that is several times faster than gathering. The output is turned back into
// rows of four pixels per tile by an in-lane 4×4 transpose and written with 128-bit stores.
#include <immintrin.h>

#include "cpu/conv_winograd_kernels.h"
#include "cpu/simd_avx512.h"

namespace mdlfast::cpu::winograd {
namespace {

struct Ops512 {
  // Tap `tap` of the first `rows` weight planes, `stride` floats apart.
  static __m512 gather_weights(const float* tap, int64_t stride, int rows) {
    const __m512i planes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                              _mm512_set1_epi32(static_cast<int32_t>(stride)));
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), Avx512::first(rows), planes, tap, 4);
  }
  static void store_panel(float* p, __m512 v, int mr) { _mm512_mask_storeu_ps(p, Avx512::first(mr), v); }

  // Slots s and s + 8 share a register, the halves are transposed 8×8 at once, and the last step
  // interleaves the 128-bit lanes of slots 0-3, 8-11, 4-7, 12-15: hence lane_of_slot.
  static void load_patch_row(uintptr_t xc, const InputGroup& tiles, int i, int64_t row_offset, int64_t ahead,
                             __m512 d[6]) {
    __m512 r[8];
    for (int k = 0; k < 8; ++k) {
      const auto at = [&](int slot) {
        return reinterpret_cast<const float*>(xc + (tiles.x_offset[slot] + row_offset) * sizeof(float));
      };
      _mm_prefetch(reinterpret_cast<const char*>(at(k) + ahead), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(at(k + 8) + ahead), _MM_HINT_T0);
      const __m256 lo = _mm256_maskz_loadu_ps(tiles.load_mask[i][k], at(k));
      const __m256 hi = _mm256_maskz_loadu_ps(tiles.load_mask[i][k + 8], at(k + 8));
      r[k] = _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
    }
    __m512 t[8];
    for (int k = 0; k < 4; ++k) {
      t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    // u[j] (j < 4): column j of slots 0-3 in 128-bit lane 0, column j + 4 in lane 1, and the same
    // for slots 8-11 in lanes 2, 3; u[4 + j] likewise for slots 4-7 and 12-15.
    __m512 u[8];
    for (int h = 0; h < 2; ++h) {
      u[4 * h] = _mm512_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
      u[4 * h + 1] = _mm512_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
      u[4 * h + 2] = _mm512_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
      u[4 * h + 3] = _mm512_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
    }
    d[0] = _mm512_shuffle_f32x4(u[0], u[4], 0x88);
    d[1] = _mm512_shuffle_f32x4(u[1], u[5], 0x88);
    d[2] = _mm512_shuffle_f32x4(u[2], u[6], 0x88);
    d[3] = _mm512_shuffle_f32x4(u[3], u[7], 0x88);
    d[4] = _mm512_shuffle_f32x4(u[0], u[4], 0xDD);
    d[5] = _mm512_shuffle_f32x4(u[1], u[5], 0xDD);
  }

  static uint16_t non_finite(const __m512 sums[6]) {
    __mmask16 bad = 0;
    for (int k = 0; k < 6; ++k) bad |= _mm512_fpclass_ps_mask(sums[k], 0x99);  // NaN or ±inf
    return bad;
  }

  // One line per four tiles: a row of four consecutive tiles shares a cache line.
  static void prefetch_rows(const float* y, const OutputGroup& tiles, int64_t width) {
    for (int tile = 0; tile < kGroupTiles; tile += 4)
      for (int i = 0; i < 4; ++i)
        _mm_prefetch(reinterpret_cast<const char*>(y + tiles.y_offset[tile] + i * width), _MM_HINT_T0);
  }

  // Columns r[j] (lane t: tile t) rearranged so that 128-bit lane L of rows[q] holds tile 4L + q's
  // four columns, then stored tile by tile.
  static void store_rows(float* y, const __m512 r[4], const OutputGroup& tiles, int i, int64_t width) {
    const __m512 lo01 = _mm512_unpacklo_ps(r[0], r[1]), hi01 = _mm512_unpackhi_ps(r[0], r[1]);
    const __m512 lo23 = _mm512_unpacklo_ps(r[2], r[3]), hi23 = _mm512_unpackhi_ps(r[2], r[3]);
    const __m512 rows[4] = {
        _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(lo01), _mm512_castps_pd(lo23))),
        _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(lo01), _mm512_castps_pd(lo23))),
        _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(hi01), _mm512_castps_pd(hi23))),
        _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(hi01), _mm512_castps_pd(hi23)))};
    for (int q = 0; q < 4; ++q) {
      const __m128 lanes[4] = {_mm512_castps512_ps128(rows[q]), _mm512_extractf32x4_ps(rows[q], 1),
                               _mm512_extractf32x4_ps(rows[q], 2), _mm512_extractf32x4_ps(rows[q], 3)};
      for (int lane = 0; lane < 4; ++lane) {
        const int tile = 4 * lane + q;
        _mm_mask_storeu_ps(y + tiles.y_offset[tile] + i * width, tiles.store_mask[tile][i], lanes[lane]);
      }
    }
  }
};

}  // namespace

void weight_transform_avx512(float* u, int64_t xi_stride, const float* w, int64_t channels, int rows, int mr) {
  weight_transform<Avx512, Ops512>(u, xi_stride, w, channels, rows, mr);
}

uint16_t input_transform_avx512(float* v, int64_t xi_stride, int64_t c_stride, const float* x, int64_t plane,
                                int64_t width, int64_t channels, const InputGroup& tiles) {
  return input_transform<Avx512, Ops512>(v, xi_stride, c_stride, x, plane, width, channels, tiles);
}

void output_transform_avx512(float* y, int64_t plane, int64_t width, const float* m, int64_t xi_stride,
                             int64_t o_stride, int64_t outputs, const float* b, const OutputGroup& tiles) {
  output_transform<Avx512, Ops512>(y, plane, width, m, xi_stride, o_stride, outputs, b, tiles);
}

}  // namespace mdlfast::cpu::winograd
