// Activation spans compiled for avx512: the templated pointwise math on the Avx512 vocabulary.
#include "cpu/pointwise_isa.h"
#include "cpu/pointwise_math.h"
#include "cpu/simd_avx512.h"

namespace mdlfast::cpu {

void activation_forward_span_avx512(float* y, const float* x, int64_t n, PointwiseKind kind, float alpha) {
  pointwise_math::Spans<Avx512>::forward(y, x, n, kind, alpha);
}

void activation_backward_span_avx512(float* dx, const float* dy, const float* v, bool is_output, int64_t n,
                                   PointwiseKind kind, float alpha) {
  pointwise_math::Spans<Avx512>::backward(dx, dy, v, is_output, n, kind, alpha);
}

}  // namespace mdlfast::cpu
