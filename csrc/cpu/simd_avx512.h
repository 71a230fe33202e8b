// A minimal SIMD vocabulary over AVX-512 for the templated vector math (vector_math.h).
// Include only from translation units compiled with AVX-512 flags.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace mdlfast::cpu {

struct Avx512 {
  using F = __m512;
  using M = __mmask16;
  static constexpr int kWidth = 16;

  static M first(int n) {
    if (n <= 0) return 0;
    return n >= 16 ? M(0xFFFF) : static_cast<M>((1u << n) - 1u);
  }
  static F load(const float* p, int n) { return _mm512_maskz_loadu_ps(first(n), p); }
  static void store(float* p, F v, int n) { _mm512_mask_storeu_ps(p, first(n), v); }
  static F set1(float x) { return _mm512_set1_ps(x); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  // 1/a to 14 bits: one Newton step a caller takes makes it nearly exact.
  static F reciprocal_estimate(F a) { return _mm512_rcp14_ps(a); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F sqrt(F a) { return _mm512_sqrt_ps(a); }
  static float reduce_add(F a) { return _mm512_reduce_add_ps(a); }
  // max/min return b when either is NaN, as the x86 instructions do: pass the data as b.
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F min(F a, F b) { return _mm512_min_ps(a, b); }
  static F abs(F a) { return _mm512_abs_ps(a); }
  static F round(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static M less_equal(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static M greater_equal(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static F select(M m, F if_true, F if_false) { return _mm512_mask_blend_ps(m, if_false, if_true); }
  // p * 2^n for integral n, with overflow to inf and gradual underflow.
  static F scale_pow2(F p, F n) { return _mm512_scalef_ps(p, n); }
};

}  // namespace mdlfast::cpu
