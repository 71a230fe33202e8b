// 2×2 / stride-2 max pooling, 16 outputs at a time: two loads per input row hold 32 columns; a
// two-source permute splits them into the even and odd columns, which are the windows' left and
// right elements. The four window elements are then taken in PyTorch's scan order.
#include <immintrin.h>

#include "cpu/pool_isa.h"

namespace mdlfast::cpu {
namespace {

__mmask16 first(int64_t n) {
  if (n <= 0) return 0;
  return n >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u);
}

}  // namespace

void max_pool_2x2_row_avx512(float* y, int64_t* indices, const float* top, int64_t in_w,
                             int64_t out_w, int64_t base) {
  // Lane l picks column 2l (even) or 2l + 1 (odd) of the 32 loaded; 2l is also its offset.
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i offsets[4] = {_mm512_setzero_si512(), _mm512_set1_epi32(1),
                              _mm512_set1_epi32(static_cast<int>(in_w)),
                              _mm512_set1_epi32(static_cast<int>(in_w + 1))};
  const float* bottom = top + in_w;
  for (int64_t ow = 0; ow < out_w; ow += 16) {
    const int64_t n = out_w - ow;
    const __mmask16 lo = first(2 * n), hi = first(2 * n - 16), out = first(n);
    const int64_t col = 2 * ow;
    __m512 candidates[4];
    for (int r = 0; r < 2; ++r) {
      const float* row = r == 0 ? top : bottom;
      const __m512 a = _mm512_maskz_loadu_ps(lo, row + col);
      const __m512 b = _mm512_maskz_loadu_ps(hi, row + col + 16);
      candidates[2 * r] = _mm512_permutex2var_ps(a, even, b);
      candidates[2 * r + 1] = _mm512_permutex2var_ps(a, odd, b);
    }
    __m512 best = candidates[0];
    __m512i offset = offsets[0];
    for (int k = 1; k < 4; ++k) {
      const __m512 v = candidates[k];
      // v > best, or v is NaN (unordered with itself).
      const __mmask16 take = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      best = _mm512_mask_blend_ps(take, best, v);
      offset = _mm512_mask_blend_epi32(take, offset, offsets[k]);
    }
    const __m512i index32 = _mm512_add_epi32(
        _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(base + col)), even), offset);
    _mm512_mask_storeu_ps(y + ow, out, best);
    _mm512_mask_storeu_epi64(indices + ow, static_cast<__mmask8>(out),
                             _mm512_cvtepi32_epi64(_mm512_castsi512_si256(index32)));
    _mm512_mask_storeu_epi64(indices + ow + 8, static_cast<__mmask8>(out >> 8),
                             _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(index32, 1)));
  }
}

}  // namespace mdlfast::cpu
