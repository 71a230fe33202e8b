// Pooling rows on AVX-512, 16 output columns at a time. For window column kw, lane l reads input
// column (ow0 + l)·stride + kw − pad: one load at stride 1, two loads split by a permute at
// stride 2 (every other column), a gather otherwise. Columns outside the input are masked off:
// they read -inf for max pooling (never taken, as padding never wins in PyTorch) and 0 for
// average pooling.
#include <immintrin.h>

#include <algorithm>
#include <limits>

#include "cpu/pool_isa.h"

namespace mdlfast::cpu {
namespace {

constexpr int kLanes = 16;

__mmask16 lanes_below(int64_t n) {
  if (n <= 0) return 0;
  return n >= kLanes ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
}

// Lanes whose input column col0 + l·step lies in [0, in_w).
__mmask16 inside(__m512i columns, int64_t in_w) {
  return _mm512_cmpge_epi32_mask(columns, _mm512_setzero_si512()) &
         _mm512_cmplt_epi32_mask(columns, _mm512_set1_epi32(static_cast<int>(in_w)));
}

// The 16 values of `row` at columns[l] = col0 + l·stride where `valid`, `fill` elsewhere.
__m512 load_columns(const float* row, int64_t col0, int64_t stride, __m512i columns, __mmask16 valid,
                    int64_t in_w, __m512 fill) {
  if (stride == 1) return _mm512_mask_loadu_ps(fill, valid, row + col0);
  if (stride == 2) {
    // Columns col0 .. col0 + 31, each loaded where it lies in the row; lane l keeps col0 + 2l.
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i even = _mm512_add_epi32(lane, lane);
    const __m512i low = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(col0)), lane);
    const __m512i high = _mm512_add_epi32(low, _mm512_set1_epi32(kLanes));
    const __m512 a = _mm512_mask_loadu_ps(fill, inside(low, in_w), row + col0);
    const __m512 b = _mm512_mask_loadu_ps(fill, inside(high, in_w), row + col0 + kLanes);
    return _mm512_permutex2var_ps(a, even, b);
  }
  return _mm512_mask_i32gather_ps(fill, valid, columns, row, 4);
}

// Each lane's divisor: the kernel's area, or the real elements under its window (rows · columns).
__m512 window_counts(__m512i starts, const PoolGeometry& g, int64_t rows, bool count_include_pad) {
  if (count_include_pad) return _mm512_set1_ps(static_cast<float>(g.kernel_h * g.kernel_w));
  // Real columns per lane: min(start + kernel, in_w) − max(start, 0).
  const __m512i ends = _mm512_min_epi32(_mm512_add_epi32(starts, _mm512_set1_epi32(static_cast<int>(g.kernel_w))),
                                        _mm512_set1_epi32(static_cast<int>(g.in_w)));
  const __m512i columns = _mm512_sub_epi32(ends, _mm512_max_epi32(starts, _mm512_setzero_si512()));
  return _mm512_mul_ps(_mm512_cvtepi32_ps(columns), _mm512_set1_ps(static_cast<float>(rows)));
}

// row[columns[l]] += add[l] where `valid` (columns = col0 + l·stride, distinct lanes).
void add_columns(float* row, int64_t col0, int64_t stride, __m512i columns, __mmask16 valid,
                 int64_t in_w, __m512 add) {
  add = _mm512_maskz_mov_ps(valid, add);
  if (stride == 1) {
    _mm512_mask_storeu_ps(row + col0, valid, _mm512_add_ps(_mm512_maskz_loadu_ps(valid, row + col0), add));
    return;
  }
  if (stride == 2) {
    // Columns col0 .. col0 + 31; lane l's addend goes to column col0 + 2l, odd columns get + 0.
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i low = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(col0)), lane);
    const __m512i high = _mm512_add_epi32(low, _mm512_set1_epi32(kLanes));
    const __mmask16 low_valid = inside(low, in_w), high_valid = inside(high, in_w);
    const __m512 add_low = _mm512_maskz_expand_ps(0x5555, add);
    const __m512 add_high = _mm512_maskz_expand_ps(0x5555, _mm512_castps256_ps512(_mm512_extractf32x8_ps(add, 1)));
    float* low_ptr = row + col0;
    float* high_ptr = row + col0 + kLanes;
    _mm512_mask_storeu_ps(low_ptr, low_valid, _mm512_add_ps(_mm512_maskz_loadu_ps(low_valid, low_ptr), add_low));
    _mm512_mask_storeu_ps(high_ptr, high_valid, _mm512_add_ps(_mm512_maskz_loadu_ps(high_valid, high_ptr), add_high));
    return;
  }
  const __m512 old = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, columns, row, 4);
  _mm512_mask_i32scatter_ps(row, valid, columns, _mm512_add_ps(old, add), 4);
}

}  // namespace

void max_pool_row_avx512(float* y, int64_t* indices, const float* x, const PoolGeometry& g,
                         int64_t oh) {
  const int64_t h_start = oh * g.stride_h - g.pad_h;
  const int64_t h0 = std::max<int64_t>(h_start, 0), h1 = std::min(h_start + g.kernel_h, g.in_h);
  const __m512 neg_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i lane_step = _mm512_mullo_epi32(lane, _mm512_set1_epi32(static_cast<int>(g.stride_w)));
  for (int64_t ow0 = 0; ow0 < g.out_w; ow0 += kLanes) {
    const __mmask16 out = lanes_below(g.out_w - ow0);
    const int64_t w_start = ow0 * g.stride_w - g.pad_w;  // lane 0's first window column
    const __m512i starts = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(w_start)), lane_step);
    // Each lane's first real element, where PyTorch's scan starts (and stays for all -inf).
    __m512i best_index = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(h0 * g.in_w)),
                                          _mm512_max_epi32(starts, _mm512_setzero_si512()));
    __m512 best = neg_inf;
    for (int64_t h = h0; h < h1; ++h) {
      const float* row = x + h * g.in_w;
      const __m512i row_base = _mm512_set1_epi32(static_cast<int>(h * g.in_w));
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const __m512i columns = _mm512_add_epi32(starts, _mm512_set1_epi32(static_cast<int>(kw)));
        const __mmask16 valid = inside(columns, g.in_w) & out;
        const __m512 v = load_columns(row, w_start + kw, g.stride_w, columns, valid, g.in_w, neg_inf);
        // v > best, or v is NaN (unordered with itself).
        const __mmask16 take =
            _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        best = _mm512_mask_blend_ps(take, best, v);
        best_index = _mm512_mask_blend_epi32(take, best_index, _mm512_add_epi32(row_base, columns));
      }
    }
    _mm512_mask_storeu_ps(y + ow0, out, best);
    _mm512_mask_storeu_epi64(indices + ow0, static_cast<__mmask8>(out),
                             _mm512_cvtepi32_epi64(_mm512_castsi512_si256(best_index)));
    _mm512_mask_storeu_epi64(indices + ow0 + 8, static_cast<__mmask8>(out >> 8),
                             _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(best_index, 1)));
  }
}

// 2×2 windows at stride 2 without padding, the CNN's usual pooling, get rows of their own: the
// two input rows are each loaded once and split into even and odd columns, where the general row
// reloads them for every window column.
void max_pool_2x2_row_avx512(float* y, int64_t* indices, const float* x, int64_t in_w, int64_t out_w,
                             int64_t oh) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i even = _mm512_add_epi32(lane, lane);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const float* top = x + 2 * oh * in_w;
  const float* bottom = top + in_w;
  // Window element k's offset from the window's first element, in PyTorch's scan order.
  const int offsets[3] = {1, static_cast<int>(in_w), static_cast<int>(in_w) + 1};
  for (int64_t ow0 = 0; ow0 < out_w; ow0 += kLanes) {
    const __mmask16 out = lanes_below(out_w - ow0);
    const int64_t col0 = 2 * ow0;
    const __mmask16 low = lanes_below(2 * out_w - col0), high = lanes_below(2 * out_w - col0 - kLanes);
    const __m512 a = _mm512_maskz_loadu_ps(low, top + col0), b = _mm512_maskz_loadu_ps(high, top + col0 + kLanes);
    const __m512 c = _mm512_maskz_loadu_ps(low, bottom + col0);
    const __m512 d = _mm512_maskz_loadu_ps(high, bottom + col0 + kLanes);
    const __m512 candidates[3] = {_mm512_permutex2var_ps(a, odd, b), _mm512_permutex2var_ps(c, even, d),
                                  _mm512_permutex2var_ps(c, odd, d)};
    __m512 best = _mm512_permutex2var_ps(a, even, b);
    __m512i offset = _mm512_setzero_si512();
    for (int k = 0; k < 3; ++k) {
      const __m512 v = candidates[k];
      const __mmask16 take = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      best = _mm512_mask_blend_ps(take, best, v);
      offset = _mm512_mask_blend_epi32(take, offset, _mm512_set1_epi32(offsets[k]));
    }
    const __m512i first = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(2 * oh * in_w + col0)), even);
    const __m512i best_index = _mm512_add_epi32(first, offset);
    _mm512_mask_storeu_ps(y + ow0, out, best);
    _mm512_mask_storeu_epi64(indices + ow0, static_cast<__mmask8>(out),
                             _mm512_cvtepi32_epi64(_mm512_castsi512_si256(best_index)));
    _mm512_mask_storeu_epi64(indices + ow0 + 8, static_cast<__mmask8>(out >> 8),
                             _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(best_index, 1)));
  }
}

bool max_pool_2x2_backward_row_avx512(float* dx, const float* dy, const int64_t* indices, int64_t in_w,
                                      int64_t out_w, int64_t oh) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i twice = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
  // Interleaves two vectors a, b into a0 b0 a1 b1 ... (low half) and a8 b8 ... (high half).
  const __m512i half = _mm512_srli_epi32(lane, 1);
  const __m512i from_b = _mm512_slli_epi32(_mm512_and_si512(lane, _mm512_set1_epi32(1)), 4);
  const __m512i interleave_low = _mm512_add_epi32(half, from_b);
  const __m512i interleave_high = _mm512_add_epi32(interleave_low, _mm512_set1_epi32(8));
  const __m512 zero = _mm512_setzero_ps();
  const int64_t offsets[4] = {0, 1, in_w, in_w + 1};
  float* top = dx + 2 * oh * in_w;
  float* bottom = top + in_w;
  for (int64_t ow0 = 0; ow0 < out_w; ow0 += kLanes) {
    const __mmask16 out = lanes_below(out_w - ow0);
    const int64_t col0 = 2 * ow0;
    const __m512i first_low = _mm512_add_epi64(_mm512_set1_epi64(2 * oh * in_w + col0), twice);
    const __m512i first_high = _mm512_add_epi64(first_low, _mm512_set1_epi64(2 * 8));
    const __m512i index_low = _mm512_maskz_loadu_epi64(static_cast<__mmask8>(out), indices + ow0);
    const __m512i index_high = _mm512_maskz_loadu_epi64(static_cast<__mmask8>(out >> 8), indices + ow0 + 8);
    const __m512i rel_low = _mm512_sub_epi64(index_low, first_low);
    const __m512i rel_high = _mm512_sub_epi64(index_high, first_high);
    const __m512 grad = _mm512_maskz_loadu_ps(out, dy + ow0);
    __m512 values[4];
    __mmask16 found = 0;
    for (int k = 0; k < 4; ++k) {
      const __m512i at = _mm512_set1_epi64(offsets[k]);
      const __mmask16 hit = out & static_cast<__mmask16>(_mm512_cmpeq_epi64_mask(rel_low, at) |
                                                         (_mm512_cmpeq_epi64_mask(rel_high, at) << 8));
      found |= hit;
      // grad + 0, as the scatter's 0 + grad: a −0 gradient lands as +0 there too.
      values[k] = _mm512_maskz_add_ps(hit, grad, zero);
    }
    if (found != out) return false;
    const __mmask16 low = lanes_below(2 * out_w - col0), high = lanes_below(2 * out_w - col0 - kLanes);
    _mm512_mask_storeu_ps(top + col0, low, _mm512_permutex2var_ps(values[0], interleave_low, values[1]));
    _mm512_mask_storeu_ps(top + col0 + kLanes, high, _mm512_permutex2var_ps(values[0], interleave_high, values[1]));
    _mm512_mask_storeu_ps(bottom + col0, low, _mm512_permutex2var_ps(values[2], interleave_low, values[3]));
    _mm512_mask_storeu_ps(bottom + col0 + kLanes, high,
                          _mm512_permutex2var_ps(values[2], interleave_high, values[3]));
  }
  return true;
}

void avg_pool_row_avx512(float* y, const float* x, const PoolGeometry& g, int64_t oh,
                         bool count_include_pad) {
  const int64_t h_start = oh * g.stride_h - g.pad_h;
  const int64_t h0 = std::max<int64_t>(h_start, 0), h1 = std::min(h_start + g.kernel_h, g.in_h);
  const __m512 zero = _mm512_setzero_ps();
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i lane_step = _mm512_mullo_epi32(lane, _mm512_set1_epi32(static_cast<int>(g.stride_w)));
  for (int64_t ow0 = 0; ow0 < g.out_w; ow0 += kLanes) {
    const __mmask16 out = lanes_below(g.out_w - ow0);
    const int64_t w_start = ow0 * g.stride_w - g.pad_w;
    const __m512i starts = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(w_start)), lane_step);
    __m512 sum = zero;
    for (int64_t h = h0; h < h1; ++h) {
      const float* row = x + h * g.in_w;
      __m512 row_sum = zero;  // summed per row, as the scalar path does
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const __m512i columns = _mm512_add_epi32(starts, _mm512_set1_epi32(static_cast<int>(kw)));
        const __mmask16 valid = inside(columns, g.in_w) & out;
        row_sum = _mm512_add_ps(row_sum, load_columns(row, w_start + kw, g.stride_w, columns, valid, g.in_w, zero));
      }
      sum = _mm512_add_ps(sum, row_sum);
    }
    const __m512 count = window_counts(starts, g, h1 - h0, count_include_pad);
    _mm512_mask_storeu_ps(y + ow0, out, _mm512_div_ps(sum, count));
  }
}

void avg_pool_backward_row_avx512(float* dx, const float* dy, const PoolGeometry& g, int64_t oh,
                                  bool count_include_pad) {
  const int64_t h_start = oh * g.stride_h - g.pad_h;
  const int64_t h0 = std::max<int64_t>(h_start, 0), h1 = std::min(h_start + g.kernel_h, g.in_h);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i lane_step = _mm512_mullo_epi32(lane, _mm512_set1_epi32(static_cast<int>(g.stride_w)));
  for (int64_t ow0 = 0; ow0 < g.out_w; ow0 += kLanes) {
    const __mmask16 out = lanes_below(g.out_w - ow0);
    const int64_t w_start = ow0 * g.stride_w - g.pad_w;
    const __m512i starts = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(w_start)), lane_step);
    const __m512 share = _mm512_div_ps(_mm512_maskz_loadu_ps(out, dy + ow0),
                                       window_counts(starts, g, h1 - h0, count_include_pad));
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const __m512i columns = _mm512_add_epi32(starts, _mm512_set1_epi32(static_cast<int>(kw)));
        add_columns(dx + h * g.in_w, w_start + kw, g.stride_w, columns, inside(columns, g.in_w) & out,
                    g.in_w, share);
      }
  }
}

float sum_avx512(const float* x, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += kLanes) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(lanes_below(n - i), x + i));
  return _mm512_reduce_add_ps(acc);
}

}  // namespace mdlfast::cpu
