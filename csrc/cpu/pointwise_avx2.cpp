// Activation spans compiled for avx2: the templated pointwise math on the Avx2 vocabulary.
#include "cpu/pointwise_isa.h"
#include "cpu/pointwise_math.h"
#include "cpu/simd_avx2.h"

namespace mdlfast::cpu {

void activation_forward_span_avx2(float* y, const float* x, int64_t n, PointwiseKind kind, float alpha) {
  pointwise_math::Spans<Avx2>::forward(y, x, n, kind, alpha);
}

void activation_backward_span_avx2(float* dx, const float* dy, const float* v, bool is_output, int64_t n,
                                   PointwiseKind kind, float alpha) {
  pointwise_math::Spans<Avx2>::backward(dx, dy, v, is_output, n, kind, alpha);
}

}  // namespace mdlfast::cpu
