// The vectorised activation spans (pointwise_avx512.cpp, pointwise_avx2.cpp), chosen by
// pointwise.cpp from the active ISA. Same contracts as pointwise_math::Spans.
#pragma once

#include <cstdint>

#include "cpu/pointwise.h"

namespace mdlfast::cpu {

void activation_forward_span_avx512(float* y, const float* x, int64_t n, PointwiseKind kind, float alpha);
void activation_backward_span_avx512(float* dx, const float* dy, const float* v, bool is_output, int64_t n,
                                     PointwiseKind kind, float alpha);
void activation_forward_span_avx2(float* y, const float* x, int64_t n, PointwiseKind kind, float alpha);
void activation_backward_span_avx2(float* dx, const float* dy, const float* v, bool is_output, int64_t n,
                                   PointwiseKind kind, float alpha);

}  // namespace mdlfast::cpu
