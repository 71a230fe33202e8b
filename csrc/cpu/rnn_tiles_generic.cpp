// Recurrent gate tiles for any x86-64 CPU: the templates of rnn_gates.h one float wide. The
// vector math needs a few operations beyond simd_scalar.h's, added here for this path alone.
#include <cmath>

#include "cpu/rnn_gates.h"
#include "cpu/simd_scalar.h"

namespace mdlfast::cpu {
namespace {

struct ScalarMath : Scalar {
  using M = bool;
  // max/min return b when either is NaN, as the vector instructions do.
  static F max(F a, F b) { return a > b ? a : b; }
  static F min(F a, F b) { return a < b ? a : b; }
  static F abs(F a) { return std::fabs(a); }
  static F round(F a) { return std::nearbyint(a); }
  static M less_equal(F a, F b) { return a <= b; }
  static M greater_equal(F a, F b) { return a >= b; }
  static F select(M m, F if_true, F if_false) { return m ? if_true : if_false; }
  // n is integral and clamped by exp, or NaN (which must not reach the int conversion).
  static F scale_pow2(F p, F n) { return std::isnan(n) ? n : std::ldexp(p, static_cast<int>(n)); }
};

}  // namespace

RecurrentTileFns recurrent_tiles_generic(RecurrentKind kind) { return rnn_gates::tiles_for<ScalarMath>(kind); }

}  // namespace mdlfast::cpu
