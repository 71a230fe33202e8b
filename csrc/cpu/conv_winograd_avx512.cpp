// The Winograd F(4×4, 3×3) transforms compiled for AVX-512, sixteen tiles per vector (lane t is
// tile t), so the transformed values land as whole vectors in the micro-kernel's packed panels.
// Patches overlap by two pixels and tiles of a group may sit on different rows or images, so each
// patch row is loaded on its own (masked for the padding) and sixteen of them are transposed into
// columns: on Zen 4 that is several times faster than gathering. The output is turned back into
// rows of four pixels per tile by an in-lane 4×4 transpose and written with masked 128-bit stores.
#include <immintrin.h>

#include "cpu/conv_winograd.h"

namespace mdlfast::cpu::winograd {
namespace {

// r = Bᵀ z for the six values z of a patch row or column (Bᵀ rows: 4 0 -5 0 1 0 / 0 -4 -4 1 1 0 /
// 0 4 -4 -1 1 0 / 0 -2 -1 2 1 0 / 0 2 -1 -2 1 0 / 0 4 0 -5 0 1), sharing the common sums.
inline void input_1d(const __m512 z[6], __m512 r[6]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f);
  const __m512 a = _mm512_fnmadd_ps(four, z[2], z[4]);
  const __m512 b = _mm512_fnmadd_ps(four, z[1], z[3]);
  const __m512 c = _mm512_sub_ps(z[4], z[2]);
  const __m512 e = _mm512_mul_ps(two, _mm512_sub_ps(z[3], z[1]));
  r[0] = _mm512_fmadd_ps(four, z[0], _mm512_fnmadd_ps(five, z[2], z[4]));
  r[1] = _mm512_add_ps(a, b);
  r[2] = _mm512_sub_ps(a, b);
  r[3] = _mm512_add_ps(c, e);
  r[4] = _mm512_sub_ps(c, e);
  r[5] = _mm512_fmadd_ps(four, z[1], _mm512_fnmadd_ps(five, z[3], z[5]));
}

// r = G z for the three values z of a weight row or column (G rows: 1/4 0 0 / -1/6 -1/6 -1/6 /
// -1/6 1/6 -1/6 / 1/24 1/12 1/6 / 1/24 -1/12 1/6 / 0 0 1).
inline void weight_1d(const __m512 z[3], __m512 r[6]) {
  const __m512 outer = _mm512_add_ps(z[0], z[2]);
  const __m512 sixth = _mm512_set1_ps(-1.0f / 6.0f);
  const __m512 quarter_outer = _mm512_fmadd_ps(_mm512_set1_ps(1.0f / 24.0f), z[0], _mm512_mul_ps(_mm512_set1_ps(1.0f / 6.0f), z[2]));
  const __m512 twelfth = _mm512_mul_ps(_mm512_set1_ps(1.0f / 12.0f), z[1]);
  r[0] = _mm512_mul_ps(_mm512_set1_ps(0.25f), z[0]);
  r[1] = _mm512_mul_ps(sixth, _mm512_add_ps(outer, z[1]));
  r[2] = _mm512_mul_ps(sixth, _mm512_sub_ps(outer, z[1]));
  r[3] = _mm512_add_ps(quarter_outer, twelfth);
  r[4] = _mm512_sub_ps(quarter_outer, twelfth);
  r[5] = z[2];
}

// s = Aᵀ m (Aᵀ rows: 1 1 1 1 1 0 / 0 1 -1 2 -2 0 / 0 1 1 4 4 0 / 0 1 -1 8 -8 1).
inline void output_1d(const __m512 m[6], __m512 s[4]) {
  const __m512 p = _mm512_add_ps(m[1], m[2]), q = _mm512_sub_ps(m[1], m[2]);
  const __m512 u = _mm512_add_ps(m[3], m[4]), v = _mm512_sub_ps(m[3], m[4]);
  s[0] = _mm512_add_ps(_mm512_add_ps(m[0], p), u);
  s[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), v, q);
  s[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), u, p);
  s[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), v, q), m[5]);
}

// Rows r[j] (lane t: column j of tile t's output row) rearranged so that 128-bit lane L of out[q]
// holds tile 4L + q's four columns.
inline void tiles_to_rows(const __m512 r[4], __m512 out[4]) {
  const __m512 lo01 = _mm512_unpacklo_ps(r[0], r[1]), hi01 = _mm512_unpackhi_ps(r[0], r[1]);
  const __m512 lo23 = _mm512_unpacklo_ps(r[2], r[3]), hi23 = _mm512_unpackhi_ps(r[2], r[3]);
  out[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(lo01), _mm512_castps_pd(lo23)));
  out[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(lo01), _mm512_castps_pd(lo23)));
  out[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(hi01), _mm512_castps_pd(hi23)));
  out[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(hi01), _mm512_castps_pd(hi23)));
}

// d[j] = column j of row i of the sixteen patches (lane p: tile p). Slots s and s + 8 share a
// register, the halves are transposed 8×8 at once, and the last step interleaves the 128-bit
// lanes of slots 0-3, 8-11, 4-7, 12-15: hence lane_of_slot.
constexpr int64_t kPrefetchPlanes = 2;

inline void load_patch_row(uintptr_t xc, const InputGroup& tiles, int i, int64_t row_offset,
                           int64_t ahead, __m512 d[6]) {
  __m512 r[8];
  for (int k = 0; k < 8; ++k) {
    const auto at = [&](int slot) {
      return reinterpret_cast<const float*>(xc + (tiles.x_offset[slot] + row_offset) * sizeof(float));
    };
    // The same rows of a later channel (a plane further on): planes are too far apart for the
    // hardware prefetcher to follow.
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

}  // namespace

void weight_transform_avx512(float* u, int64_t xi_stride, const float* w, int64_t channels, int rows, int mr) {
  // Lane i: output channel i, whose planes are channels·9 floats apart.
  const __mmask16 present = static_cast<__mmask16>((1u << rows) - 1), panel = static_cast<__mmask16>((1u << mr) - 1);
  const __m512i planes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(static_cast<int32_t>(channels * 9)));
  for (int64_t c = 0; c < channels; ++c) {
    __m512 gg[6][3];  // G g
    for (int j = 0; j < 3; ++j) {
      __m512 column[3];
      for (int i = 0; i < 3; ++i)
        column[i] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), present, planes, w + c * 9 + 3 * i + j, 4);
      __m512 r[6];
      weight_1d(column, r);
      for (int k = 0; k < 6; ++k) gg[k][j] = r[k];
    }
    for (int k = 0; k < 6; ++k) {
      __m512 r[6];
      weight_1d(gg[k], r);
      for (int l = 0; l < 6; ++l) _mm512_mask_storeu_ps(u + (6 * k + l) * xi_stride + c * mr, panel, r[l]);
    }
  }
}

uint16_t input_transform_avx512(float* v, int64_t xi_stride, int64_t c_stride, const float* x,
                                int64_t plane, int64_t width, int64_t channels, const InputGroup& tiles) {
  // An infinity or NaN anywhere in a tile's patch reaches some of its V (every pixel has a
  // non-zero coefficient), and sums keep it: inf + finite = inf, inf − inf = NaN.
  __m512 sums[6];
  for (int k = 0; k < 6; ++k) sums[k] = _mm512_setzero_ps();
  for (int64_t c = 0; c < channels; ++c) {
    // Integer arithmetic: a corner in the padding is before x, and masked loads never touch it.
    const uintptr_t xc = reinterpret_cast<uintptr_t>(x + c * plane);
    __m512 t[6][6];
    for (int i = 0; i < 6; ++i) {
      __m512 d[6];
      load_patch_row(xc, tiles, i, i * width, kPrefetchPlanes * plane, d);
      input_1d(d, t[i]);
    }
    float* vc = v + c * c_stride;
    for (int l = 0; l < 6; ++l) {
      const __m512 column[6] = {t[0][l], t[1][l], t[2][l], t[3][l], t[4][l], t[5][l]};
      __m512 r[6];
      input_1d(column, r);
      for (int k = 0; k < 6; ++k) {
        _mm512_store_ps(vc + (6 * k + l) * xi_stride, r[k]);
        sums[k] = _mm512_add_ps(sums[k], r[k]);
      }
    }
  }
  __mmask16 bad = 0;
  for (int k = 0; k < 6; ++k) bad |= _mm512_fpclass_ps_mask(sums[k], 0x99);  // NaN or ±inf
  return bad;
}

void output_transform_avx512(float* y, int64_t plane, int64_t width, const float* m, int64_t xi_stride,
                             int64_t o_stride, int64_t outputs, const float* b, const OutputGroup& tiles) {
  for (int64_t o = 0; o < outputs; ++o) {
    const float* mo = m + o * o_stride;
    __m512 t[6][4];  // t[k] = M[k][·] A
    for (int k = 0; k < 6; ++k) {
      __m512 row[6];
      for (int l = 0; l < 6; ++l) row[l] = _mm512_loadu_ps(mo + (6 * k + l) * xi_stride);
      output_1d(row, t[k]);
    }
    __m512 out[4][4];  // out[i][j] = (Aᵀ M A)[i][j]
    const __m512 bias = _mm512_set1_ps(b ? b[o] : 0.0f);
    for (int j = 0; j < 4; ++j) {
      const __m512 column[6] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]};
      __m512 s[4];
      output_1d(column, s);
      for (int i = 0; i < 4; ++i) out[i][j] = _mm512_add_ps(s[i], bias);
    }
    float* yo = y + o * plane;
    // The rows of the next channel, a plane further on: their lines are read for ownership
    // before the stores can complete, and the hardware prefetcher does not follow the stride.
    if (o + 1 < outputs)
      for (int tile = 0; tile < 16; tile += 4)
        for (int i = 0; i < 4; ++i)
          _mm_prefetch(reinterpret_cast<const char*>(yo + plane + tiles.y_offset[tile] + i * width), _MM_HINT_T0);
    for (int i = 0; i < 4; ++i) {
      __m512 rows[4];
      tiles_to_rows(out[i], rows);
      for (int q = 0; q < 4; ++q) {
        const __m128 lanes[4] = {_mm512_castps512_ps128(rows[q]), _mm512_extractf32x4_ps(rows[q], 1),
                                 _mm512_extractf32x4_ps(rows[q], 2), _mm512_extractf32x4_ps(rows[q], 3)};
        for (int lane = 0; lane < 4; ++lane) {
          const int tile = 4 * lane + q;
          _mm_mask_storeu_ps(yo + tiles.y_offset[tile] + i * width, tiles.store_mask[tile][i], lanes[lane]);
        }
      }
    }
  }
}

}  // namespace mdlfast::cpu::winograd
