#include "cpu/softmax.h"

#include <algorithm>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/simd_scalar_math.h"
#include "cpu/softmax_isa.h"

namespace mdlfast::cpu {

SoftmaxKernels softmax_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return softmax_kernels_avx512();
    case Isa::avx2: return softmax_kernels_avx2();
    default: return softmax_kernels_for<ScalarMath>();
  }
}

namespace {

// Work is handed out dynamically about this many elements at a time (see norm.cpp: on a shared
// machine a thread that loses its core then delays the call by one task only).
constexpr int64_t kElementsPerTask = 16384;
// Columns per task when the axis is not the last one: a few cache lines of each of the n rows.
constexpr int64_t kColumnsPerTask = 64;

// Runs row(r) for r < rows, or columns(o, j, width) over the column blocks of each outer slab.
template <class Row, class Columns>
void for_each_slice(int64_t outer, int64_t n, int64_t inner, Row row, Columns columns) {
  const int threads = num_threads();
  if (inner == 1) {
    const int64_t chunk = std::max<int64_t>(1, kElementsPerTask / n);
#pragma omp parallel for num_threads(threads) schedule(dynamic, chunk) if (threads > 1 && outer > chunk)
    for (int64_t r = 0; r < outer; ++r) row(r);
    return;
  }
  const int64_t blocks = (inner + kColumnsPerTask - 1) / kColumnsPerTask;
  const int64_t tasks = outer * blocks;
  // Threads only for work worth waking them: small slabs run on the calling thread.
  const bool parallel = threads > 1 && tasks > 1 && outer * n * inner > kElementsPerTask;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (parallel)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t o = t / blocks, j = (t % blocks) * kColumnsPerTask;
    columns(o * n * inner + j, std::min(kColumnsPerTask, inner - j));
  }
}

}  // namespace

void softmax_forward(float* y, const float* x, int64_t outer, int64_t n, int64_t inner, bool log) {
  const SoftmaxKernels k = softmax_kernels();
  for_each_slice(
      outer, n, inner, [&](int64_t r) { k.forward_row(y + r * n, x + r * n, n, log); },
      [&](int64_t at, int64_t width) { k.forward_columns(y + at, x + at, n, inner, width, log); });
}

void softmax_backward(float* dx, const float* dy, const float* y, int64_t outer, int64_t n,
                      int64_t inner, bool log) {
  const SoftmaxKernels k = softmax_kernels();
  for_each_slice(
      outer, n, inner, [&](int64_t r) { k.backward_row(dx + r * n, dy + r * n, y + r * n, n, log); },
      [&](int64_t at, int64_t width) { k.backward_columns(dx + at, dy + at, y + at, n, inner, width, log); });
}

}  // namespace mdlfast::cpu
