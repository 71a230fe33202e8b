// The one-lane SIMD vocabulary: the portable path of the templated optimizer math (optim_math.h).
#pragma once

#include <cmath>

namespace mdlfast::cpu {

struct Scalar {
  using F = float;
  static constexpr int kWidth = 1;

  static F load(const float* p, int) { return *p; }
  static void store(float* p, F v, int) { *p = v; }
  static F set1(float x) { return x; }
  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F mul(F a, F b) { return a * b; }
  static F div(F a, F b) { return a / b; }
  static F fmadd(F a, F b, F c) { return a * b + c; }
  static F sqrt(F a) { return std::sqrt(a); }
};

}  // namespace mdlfast::cpu
