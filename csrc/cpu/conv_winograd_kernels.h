// The Winograd F(4×4, 3×3) transforms for any vector width, one tile per lane: the arithmetic of
// the three transforms, written once over the SIMD vocabulary V (simd_avx2.h, simd_avx512.h);
// the ISA files add the pieces that depend on the instruction set (Ops: loading a row of patches,
// storing rows of outputs, gathering weights, spotting non-finite sums). Include only from
// translation units compiled with the matching ISA flags.
#pragma once

#include <cstdint>

#include "cpu/conv_winograd.h"

namespace mdlfast::cpu::winograd {

// r = Bᵀ z for the six values z of a patch row or column (Bᵀ rows: 4 0 -5 0 1 0 / 0 -4 -4 1 1 0 /
// 0 4 -4 -1 1 0 / 0 -2 -1 2 1 0 / 0 2 -1 -2 1 0 / 0 4 0 -5 0 1), sharing the common sums.
template <class V>
inline void input_1d(const typename V::F z[6], typename V::F r[6]) {
  using F = typename V::F;
  const F minus_four = V::set1(-4.0f), minus_five = V::set1(-5.0f), four = V::set1(4.0f);
  const F a = V::fmadd(minus_four, z[2], z[4]);
  const F b = V::fmadd(minus_four, z[1], z[3]);
  const F c = V::sub(z[4], z[2]);
  const F e = V::mul(V::set1(2.0f), V::sub(z[3], z[1]));
  r[0] = V::fmadd(four, z[0], V::fmadd(minus_five, z[2], z[4]));
  r[1] = V::add(a, b);
  r[2] = V::sub(a, b);
  r[3] = V::add(c, e);
  r[4] = V::sub(c, e);
  r[5] = V::fmadd(four, z[1], V::fmadd(minus_five, z[3], z[5]));
}

// s = Aᵀ m (Aᵀ rows: 1 1 1 1 1 0 / 0 1 -1 2 -2 0 / 0 1 1 4 4 0 / 0 1 -1 8 -8 1).
template <class V>
inline void output_1d(const typename V::F m[6], typename V::F s[4]) {
  using F = typename V::F;
  const F p = V::add(m[1], m[2]), q = V::sub(m[1], m[2]);
  const F u = V::add(m[3], m[4]), v = V::sub(m[3], m[4]);
  s[0] = V::add(V::add(m[0], p), u);
  s[1] = V::fmadd(V::set1(2.0f), v, q);
  s[2] = V::fmadd(V::set1(4.0f), u, p);
  s[3] = V::add(V::fmadd(V::set1(8.0f), v, q), m[5]);
}

// r = G z for the three values z of a weight row or column (G rows: 1/4 0 0 / -1/6 -1/6 -1/6 /
// -1/6 1/6 -1/6 / 1/24 1/12 1/6 / 1/24 -1/12 1/6 / 0 0 1).
template <class V>
inline void weight_1d(const typename V::F z[3], typename V::F r[6]) {
  using F = typename V::F;
  const F outer = V::add(z[0], z[2]);
  const F minus_sixth = V::set1(-1.0f / 6.0f);
  const F ends = V::fmadd(V::set1(1.0f / 24.0f), z[0], V::mul(V::set1(1.0f / 6.0f), z[2]));
  const F middle = V::mul(V::set1(1.0f / 12.0f), z[1]);
  r[0] = V::mul(V::set1(0.25f), z[0]);
  r[1] = V::mul(minus_sixth, V::add(outer, z[1]));
  r[2] = V::mul(minus_sixth, V::sub(outer, z[1]));
  r[3] = V::add(ends, middle);
  r[4] = V::sub(ends, middle);
  r[5] = z[2];
}

// Later channels' patch rows are fetched this many planes ahead: planes are too far apart for the
// hardware prefetcher to follow.
constexpr int64_t kPrefetchPlanes = 2;

// WeightTransformFn for V::kWidth output channels per vector; Ops::gather_weights(w, stride, rows)
// loads one tap of `rows` weight planes `stride` floats apart (zero beyond rows), and
// Ops::store_panel(p, v, mr) stores the first mr lanes.
template <class V, class Ops>
void weight_transform(float* u, int64_t xi_stride, const float* w, int64_t channels, int rows, int mr) {
  using F = typename V::F;
  for (int64_t c = 0; c < channels; ++c) {
    F gg[6][3];  // G g
    for (int j = 0; j < 3; ++j) {
      F column[3];
      for (int i = 0; i < 3; ++i) column[i] = Ops::gather_weights(w + c * 9 + 3 * i + j, channels * 9, rows);
      F r[6];
      weight_1d<V>(column, r);
      for (int k = 0; k < 6; ++k) gg[k][j] = r[k];
    }
    for (int k = 0; k < 6; ++k) {
      F r[6];
      weight_1d<V>(gg[k], r);
      for (int l = 0; l < 6; ++l) Ops::store_panel(u + (6 * k + l) * xi_stride + c * mr, r[l], mr);
    }
  }
}

// InputTransformFn: Ops::load_patch_row(xc, tiles, i, row offset, prefetch offset, d) loads column
// j of row i of the group's patches into d[j]; Ops::non_finite(sums) is the mask of lanes holding
// an infinity or NaN.
template <class V, class Ops>
uint16_t input_transform(float* v, int64_t xi_stride, int64_t c_stride, const float* x, int64_t plane,
                         int64_t width, int64_t channels, const InputGroup& tiles) {
  using F = typename V::F;
  // An infinity or NaN anywhere in a tile's patch reaches some of its V (every pixel has a
  // non-zero coefficient), and sums keep it: inf + finite = inf, inf − inf = NaN.
  F sums[6];
  for (int k = 0; k < 6; ++k) sums[k] = V::set1(0.0f);
  for (int64_t c = 0; c < channels; ++c) {
    // Integer arithmetic: a corner in the padding is before x, and masked loads never touch it.
    const uintptr_t xc = reinterpret_cast<uintptr_t>(x + c * plane);
    F t[6][6];
    for (int i = 0; i < 6; ++i) {
      F d[6];
      Ops::load_patch_row(xc, tiles, i, i * width, kPrefetchPlanes * plane, d);
      input_1d<V>(d, t[i]);
    }
    float* vc = v + c * c_stride;
    for (int l = 0; l < 6; ++l) {
      const F column[6] = {t[0][l], t[1][l], t[2][l], t[3][l], t[4][l], t[5][l]};
      F r[6];
      input_1d<V>(column, r);
      for (int k = 0; k < 6; ++k) {
        V::store(vc + (6 * k + l) * xi_stride, r[k], V::kWidth);
        sums[k] = V::add(sums[k], r[k]);
      }
    }
  }
  return Ops::non_finite(sums);
}

// OutputTransformFn: Ops::store_rows(y, out, tiles, row) writes row `row` of the group's output
// tiles, out[j] holding column j (lane: tile).
template <class V, class Ops>
void output_transform(float* y, int64_t plane, int64_t width, const float* m, int64_t xi_stride,
                      int64_t o_stride, int64_t outputs, const float* b, const OutputGroup& tiles) {
  using F = typename V::F;
  for (int64_t o = 0; o < outputs; ++o) {
    const float* mo = m + o * o_stride;
    F t[6][4];  // t[k] = M[k][·] A
    for (int k = 0; k < 6; ++k) {
      F row[6];
      for (int l = 0; l < 6; ++l) row[l] = V::load(mo + (6 * k + l) * xi_stride, V::kWidth);
      output_1d<V>(row, t[k]);
    }
    F out[4][4];  // out[i][j] = (Aᵀ M A)[i][j] + b
    const F bias = V::set1(b ? b[o] : 0.0f);
    for (int j = 0; j < 4; ++j) {
      const F column[6] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]};
      F s[4];
      output_1d<V>(column, s);
      for (int i = 0; i < 4; ++i) out[i][j] = V::add(s[i], bias);
    }
    float* yo = y + o * plane;
    // The next channel's rows, a plane further on: their lines are read for ownership before the
    // stores can complete, and the hardware prefetcher does not follow the stride.
    if (o + 1 < outputs) Ops::prefetch_rows(yo + plane, tiles, width);
    for (int i = 0; i < 4; ++i) Ops::store_rows(yo, out[i], tiles, i, width);
  }
}

}  // namespace mdlfast::cpu::winograd
