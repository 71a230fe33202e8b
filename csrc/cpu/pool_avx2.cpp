// Pooling rows on AVX2, 8 output columns at a time, as pool_avx512.cpp does on 16: for window
// column kw, lane l reads input column (ow0 + l)·stride + kw − pad, by one masked load at stride 1,
// two loads and a shuffle at stride 2, a gather otherwise; columns outside the input read -inf
// (max pooling: never taken) or 0 (average pooling). Masks are all-ones/all-zeros lanes.
#include <immintrin.h>

#include <algorithm>
#include <limits>

#include "cpu/pool_isa.h"

namespace mdlfast::cpu {
namespace {

constexpr int kLanes = 8;

__m256i lane_numbers() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }

__m256i lanes_below(int64_t n) {
  const int count = static_cast<int>(std::min<int64_t>(n, kLanes));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), lane_numbers());
}

// Lanes whose column lies in [0, in_w).
__m256i inside(__m256i columns, int64_t in_w) {
  return _mm256_and_si256(_mm256_cmpgt_epi32(columns, _mm256_set1_epi32(-1)),
                          _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(in_w)), columns));
}

// The 8 values from column col0 of a row of in_w, `fill` outside it. Plain loads where the 8
// columns all lie inside: the common case, and cheaper than a masked load.
__m256 load_run(const float* row, int64_t col0, int64_t in_w, __m256 fill) {
  if (col0 >= 0 && col0 + kLanes <= in_w) return _mm256_loadu_ps(row + col0);
  const __m256i mask = inside(_mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(col0)), lane_numbers()), in_w);
  return _mm256_blendv_ps(fill, _mm256_maskload_ps(row + col0, mask), _mm256_castsi256_ps(mask));
}

// Stores the lanes below n; masked stores are slow on some CPUs, so only for a ragged end.
void store_lanes(float* p, __m256 v, __m256i out, int64_t n) {
  if (n >= kLanes)
    _mm256_storeu_ps(p, v);
  else
    _mm256_maskstore_ps(p, out, v);
}

void store_indices(int64_t* p, __m256i index, __m256i out, int64_t n) {
  const __m256i low = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(index));
  const __m256i high = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(index, 1));
  if (n >= kLanes) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), low);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p + 4), high);
    return;
  }
  _mm256_maskstore_epi64(reinterpret_cast<long long*>(p), _mm256_cvtepi32_epi64(_mm256_castsi256_si128(out)), low);
  _mm256_maskstore_epi64(reinterpret_cast<long long*>(p + 4),
                         _mm256_cvtepi32_epi64(_mm256_extracti128_si256(out, 1)), high);
}

// The 8 values of `row` at columns[l] = col0 + l·stride where they lie inside it (`valid`), `fill`
// elsewhere.
__m256 load_columns(const float* row, int64_t col0, int64_t stride, __m256i columns, __m256i valid,
                    int64_t in_w, __m256 fill) {
  if (stride == 1) return load_run(row, col0, in_w, fill);
  if (stride == 2) {
    // Columns col0 .. col0 + 15, each loaded where it lies in the row; lane l keeps col0 + 2l.
    const __m256 a = load_run(row, col0, in_w, fill);
    const __m256 b = load_run(row, col0 + kLanes, in_w, fill);
    // [a0 a2 b0 b2 | a4 a6 b4 b6], then the middle quarters swapped.
    const __m256 even = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  return _mm256_mask_i32gather_ps(fill, row, columns, _mm256_castsi256_ps(valid), 4);
}

}  // namespace

void max_pool_row_avx2(float* y, int64_t* indices, const float* x, const PoolGeometry& g,
                       int64_t oh) {
  const int64_t h_start = oh * g.stride_h - g.pad_h;
  const int64_t h0 = std::max<int64_t>(h_start, 0), h1 = std::min(h_start + g.kernel_h, g.in_h);
  const __m256 neg_inf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  const __m256i lane_step = _mm256_mullo_epi32(lane_numbers(), _mm256_set1_epi32(static_cast<int>(g.stride_w)));
  for (int64_t ow0 = 0; ow0 < g.out_w; ow0 += kLanes) {
    const __m256i out = lanes_below(g.out_w - ow0);
    const int64_t w_start = ow0 * g.stride_w - g.pad_w;
    const __m256i starts = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(w_start)), lane_step);
    // Each lane's first real element, where PyTorch's scan starts (and stays for all -inf).
    __m256i best_index = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(h0 * g.in_w)),
                                          _mm256_max_epi32(starts, _mm256_setzero_si256()));
    __m256 best = neg_inf;
    for (int64_t h = h0; h < h1; ++h) {
      const float* row = x + h * g.in_w;
      const __m256i row_base = _mm256_set1_epi32(static_cast<int>(h * g.in_w));
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const __m256i columns = _mm256_add_epi32(starts, _mm256_set1_epi32(static_cast<int>(kw)));
        const __m256i valid = inside(columns, g.in_w);
        const __m256 v = load_columns(row, w_start + kw, g.stride_w, columns, valid, g.in_w, neg_inf);
        // v > best, or v is NaN (unordered with itself).
        const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        best = _mm256_blendv_ps(best, v, take);
        best_index = _mm256_castps_si256(_mm256_blendv_ps(
            _mm256_castsi256_ps(best_index), _mm256_castsi256_ps(_mm256_add_epi32(row_base, columns)), take));
      }
    }
    store_lanes(y + ow0, best, out, g.out_w - ow0);
    store_indices(indices + ow0, best_index, out, g.out_w - ow0);
  }
}

void avg_pool_row_avx2(float* y, const float* x, const PoolGeometry& g, int64_t oh,
                       bool count_include_pad) {
  const int64_t h_start = oh * g.stride_h - g.pad_h;
  const int64_t h0 = std::max<int64_t>(h_start, 0), h1 = std::min(h_start + g.kernel_h, g.in_h);
  const __m256 zero = _mm256_setzero_ps();
  const __m256i lane_step = _mm256_mullo_epi32(lane_numbers(), _mm256_set1_epi32(static_cast<int>(g.stride_w)));
  for (int64_t ow0 = 0; ow0 < g.out_w; ow0 += kLanes) {
    const __m256i out = lanes_below(g.out_w - ow0);
    const int64_t w_start = ow0 * g.stride_w - g.pad_w;
    const __m256i starts = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(w_start)), lane_step);
    __m256 sum = zero;
    for (int64_t h = h0; h < h1; ++h) {
      const float* row = x + h * g.in_w;
      __m256 row_sum = zero;  // summed per row, as the scalar path does
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const __m256i columns = _mm256_add_epi32(starts, _mm256_set1_epi32(static_cast<int>(kw)));
        const __m256i valid = inside(columns, g.in_w);
        row_sum = _mm256_add_ps(row_sum, load_columns(row, w_start + kw, g.stride_w, columns, valid, g.in_w, zero));
      }
      sum = _mm256_add_ps(sum, row_sum);
    }
    __m256 count = _mm256_set1_ps(static_cast<float>(g.kernel_h * g.kernel_w));
    if (!count_include_pad) {
      // Real columns per lane: min(start + kernel, in_w) − max(start, 0), times the real rows.
      const __m256i ends = _mm256_min_epi32(_mm256_add_epi32(starts, _mm256_set1_epi32(static_cast<int>(g.kernel_w))),
                                            _mm256_set1_epi32(static_cast<int>(g.in_w)));
      const __m256i columns = _mm256_sub_epi32(ends, _mm256_max_epi32(starts, _mm256_setzero_si256()));
      count = _mm256_mul_ps(_mm256_cvtepi32_ps(columns), _mm256_set1_ps(static_cast<float>(h1 - h0)));
    }
    store_lanes(y + ow0, _mm256_div_ps(sum, count), out, g.out_w - ow0);
  }
}

}  // namespace mdlfast::cpu
