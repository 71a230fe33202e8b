// The tile products of the attention kernels, over a SIMD vocabulary V.
//
// Every product of a tile is C (+)= A·B with B row-major and A addressed through a row and a column
// stride: a transposed operand (Pᵀ, dSᵀ) is then just a swap of A's strides, and A's elements are
// broadcast one at a time anyway. The register block holds up to Tile<V>::kRows rows of C by
// Tile<V>::kVectors vectors. Tiles are small (64 x 64 x d), so nothing is packed.
#pragma once

#include <algorithm>
#include <cstdint>

namespace mdlfast::cpu::attention_tile {

// Register blocking per vocabulary (AVX-512 has 32 vector registers, AVX2 16). On AVX-512, 4 rows
// (16 accumulators) measured a little faster than 6: they divide the 64-row tiles evenly.
template <class V>
struct Tile {
  static constexpr int kRows = V::kWidth >= 16 ? 4 : (V::kWidth >= 8 ? 6 : 4);
  static constexpr int kVectors = V::kWidth >= 16 ? 4 : (V::kWidth >= 8 ? 2 : 4);
};

// C[m x n] (+)= A[m x k] · B[k x n] for m = MR rows and n <= NV vectors: the register block.
// Full (n == NV vectors exactly) loads and stores whole vectors; otherwise the last ones are
// partial. The accumulators start at zero and C is added at the end: with C loaded up front,
// or with loops left rolled, GCC keeps the accumulators on the stack.
template <class V, int MR, int NV, bool Full>
void block(float* __restrict c, int64_t ldc, const float* __restrict a, int64_t ars, int64_t acs,
           const float* __restrict b, int64_t ldb, int64_t k, int64_t n, bool accumulate) {
  using F = typename V::F;
  constexpr int W = V::kWidth;
  int counts[NV];
  for (int v = 0; v < NV; ++v)
    counts[v] = Full ? W : static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(W, n - v * W)));
  F acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = V::set1(0.0f);
  for (int64_t p = 0; p < k; ++p) {
    F bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = V::load(b + p * ldb + v * W, Full ? W : counts[v]);
    const float* ap = a + p * acs;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const F ar = V::set1(ap[r * ars]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = V::fmadd(ar, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      float* cv = c + r * ldc + v * W;
      const int count = Full ? W : counts[v];
      F x = acc[r][v];
      if (accumulate) x = V::add(x, V::load(cv, count));
      V::store(cv, x, count);
    }
}

template <class V, int MR, int NV>
void block_columns(float* c, int64_t ldc, const float* a, int64_t ars, int64_t acs, const float* b,
                   int64_t ldb, int64_t k, int64_t n, bool accumulate) {
  if (n == NV * V::kWidth)
    block<V, MR, NV, true>(c, ldc, a, ars, acs, b, ldb, k, n, accumulate);
  else
    block<V, MR, NV, false>(c, ldc, a, ars, acs, b, ldb, k, n, accumulate);
}

template <class V, int MR>
void block_rows(int nv, float* c, int64_t ldc, const float* a, int64_t ars, int64_t acs,
                const float* b, int64_t ldb, int64_t k, int64_t n, bool accumulate) {
  constexpr int NV = Tile<V>::kVectors;
  switch (nv) {
    case 1: return block_columns<V, MR, 1>(c, ldc, a, ars, acs, b, ldb, k, n, accumulate);
    case 2: if constexpr (NV >= 2) return block_columns<V, MR, 2>(c, ldc, a, ars, acs, b, ldb, k, n, accumulate); break;
    case 3: if constexpr (NV >= 3) return block_columns<V, MR, 3>(c, ldc, a, ars, acs, b, ldb, k, n, accumulate); break;
    case 4: if constexpr (NV >= 4) return block_columns<V, MR, 4>(c, ldc, a, ars, acs, b, ldb, k, n, accumulate); break;
    default: break;
  }
}

// The part of a tile product that the causal mask leaves, for a tile on the diagonal. With
// offset = (first query) − (first key) of the tile, query i sees key j when j <= i + offset:
//   columns:     C's rows are queries, its columns keys; row i needs columns j < i + 1 + offset
//   inner_end:   C's rows are queries, the inner index keys; row i needs p < i + 1 + offset
//   inner_begin: C's rows are keys, the inner index queries; row j needs p >= j − offset
// Columns a row group does not need are left unwritten.
struct Band {
  enum Kind { none, columns, inner_end, inner_begin } kind = none;
  int64_t offset = 0;
};

// C[m x n] (+)= A·B, with A[i][p] = a[i·ars + p·acs] and B[p][j] = b[p·ldb + j], restricted to
// the band.
template <class V>
void product(float* c, int64_t ldc, const float* a, int64_t ars, int64_t acs, const float* b,
             int64_t ldb, int64_t m, int64_t n, int64_t k, bool accumulate, Band band = {}) {
  constexpr int MR = Tile<V>::kRows;
  constexpr int W = V::kWidth;
  constexpr int64_t chunk = static_cast<int64_t>(Tile<V>::kVectors) * W;
  for (int64_t i0 = 0; i0 < m; i0 += MR) {
    const int rows = static_cast<int>(std::min<int64_t>(MR, m - i0));
    const int64_t reach = std::clamp<int64_t>(i0 + rows + band.offset, 0, std::max(n, k));
    const int64_t n_end = band.kind == Band::columns ? std::min(n, reach) : n;
    const int64_t p_end = band.kind == Band::inner_end ? std::min(k, reach) : k;
    const int64_t p_begin =
        band.kind == Band::inner_begin ? std::clamp<int64_t>(i0 - band.offset, 0, k) : 0;
    if (accumulate && p_begin >= p_end) continue;
    const int64_t depth = std::max<int64_t>(p_end - p_begin, 0);
    const float* at = a + i0 * ars + p_begin * acs;
    for (int64_t j0 = 0; j0 < n_end; j0 += chunk) {
      const int64_t cols = std::min(chunk, n_end - j0);
      const int nv = static_cast<int>((cols + W - 1) / W);
      float* ct = c + i0 * ldc + j0;
      const float* bt = b + p_begin * ldb + j0;
      switch (rows) {
        case 1: block_rows<V, 1>(nv, ct, ldc, at, ars, acs, bt, ldb, depth, cols, accumulate); break;
        case 2: block_rows<V, 2>(nv, ct, ldc, at, ars, acs, bt, ldb, depth, cols, accumulate); break;
        case 3: block_rows<V, 3>(nv, ct, ldc, at, ars, acs, bt, ldb, depth, cols, accumulate); break;
        case 4: block_rows<V, 4>(nv, ct, ldc, at, ars, acs, bt, ldb, depth, cols, accumulate); break;
        case 5: if constexpr (MR >= 5) block_rows<V, 5>(nv, ct, ldc, at, ars, acs, bt, ldb, depth, cols, accumulate); break;
        case 6: if constexpr (MR >= 6) block_rows<V, 6>(nv, ct, ldc, at, ars, acs, bt, ldb, depth, cols, accumulate); break;
        default: break;
      }
    }
  }
}

}  // namespace mdlfast::cpu::attention_tile
