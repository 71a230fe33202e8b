// The one-float vocabulary (simd_scalar.h) completed with the comparisons, selects, rounding and
// exponent scaling that vector_math.h uses, so that the templated math also gives the portable
// path. Each operation mirrors its x86 counterpart, NaN rules included.
#pragma once

#include <cmath>

#include "cpu/simd_scalar.h"

namespace mdlfast::cpu {

struct ScalarMath : Scalar {
  using M = bool;

  // As maxps / minps: b when either is NaN (pass the data as b).
  static F max(F a, F b) { return a > b ? a : b; }
  static F min(F a, F b) { return a < b ? a : b; }
  static F abs(F a) { return std::fabs(a); }
  static F round(F a) { return std::nearbyint(a); }  // to nearest, ties to even
  static M less_equal(F a, F b) { return a <= b; }
  static M greater_equal(F a, F b) { return a >= b; }
  static F select(M m, F if_true, F if_false) { return m ? if_true : if_false; }
  static F scale_pow2(F p, F n) { return std::ldexp(p, static_cast<int>(n)); }
};

}  // namespace mdlfast::cpu
