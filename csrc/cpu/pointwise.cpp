#include "cpu/pointwise.h"

#include <algorithm>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/pointwise_isa.h"
#include "cpu/pointwise_math.h"
#include "cpu/simd_scalar_math.h"

namespace mdlfast::cpu {
namespace {

using ForwardSpan = void (*)(float*, const float*, int64_t, PointwiseKind, float);
using BackwardSpan = void (*)(float*, const float*, const float*, bool, int64_t, PointwiseKind, float);

ForwardSpan forward_span() {
  switch (active_isa()) {
    case Isa::avx512: return activation_forward_span_avx512;
    case Isa::avx2: return activation_forward_span_avx2;
    default: return pointwise_math::Spans<ScalarMath>::forward;
  }
}

BackwardSpan backward_span() {
  switch (active_isa()) {
    case Isa::avx512: return activation_backward_span_avx512;
    case Isa::avx2: return activation_backward_span_avx2;
    default: return pointwise_math::Spans<ScalarMath>::backward;
  }
}

// Elements per task: large enough to amortise the scheduling, small enough that a thread which
// loses its core on a shared machine delays the call by one task only. A multiple of 16 keeps
// every task but the last on whole vectors.
constexpr int64_t kElementsPerTask = 1 << 15;

template <class Body>
void for_each_task(int64_t n, Body body) {
  const int64_t tasks = (n + kElementsPerTask - 1) / kElementsPerTask;
  const int threads = num_threads();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1 && tasks > 1)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t begin = t * kElementsPerTask;
    body(begin, std::min(n, begin + kElementsPerTask) - begin);
  }
}

}  // namespace

void activation_forward(float* y, const float* x, int64_t n, PointwiseKind kind, float alpha) {
  const ForwardSpan span = forward_span();
  for_each_task(n, [&](int64_t begin, int64_t count) { span(y + begin, x + begin, count, kind, alpha); });
}

void activation_backward(float* dx, const float* dy, const float* input_or_output, bool is_output,
                         int64_t n, PointwiseKind kind, float alpha) {
  const BackwardSpan span = backward_span();
  for_each_task(n, [&](int64_t begin, int64_t count) {
    span(dx + begin, dy + begin, input_or_output + begin, is_output, count, kind, alpha);
  });
}

}  // namespace mdlfast::cpu
