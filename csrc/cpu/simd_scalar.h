// The SIMD vocabulary of simd_avx512.h / simd_avx2.h one float wide, so that a kernel written once
// over a vocabulary also gives the portable path (baseline x86-64, no extra flags).
#pragma once

#include <cmath>

namespace mdlfast::cpu {

struct Scalar {
  using F = float;
  static constexpr int kWidth = 1;

  static F load(const float* p, int n) { return n > 0 ? *p : 0.0f; }
  static void store(float* p, F v, int n) {
    if (n > 0) *p = v;
  }
  static F set1(float x) { return x; }
  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F mul(F a, F b) { return a * b; }
  static F div(F a, F b) { return a / b; }
  static F reciprocal_estimate(F a) { return 1.0f / a; }
  // a * b + c rounded twice: std::fma is a slow library call without FMA hardware.
  static F fmadd(F a, F b, F c) { return a * b + c; }
  static F sqrt(F a) { return std::sqrt(a); }
  static float reduce_add(F a) { return a; }
};

}  // namespace mdlfast::cpu
