#include "cpu/norm.h"

#include <algorithm>
#include <vector>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/norm_isa.h"
#include "cpu/norm_row.h"
#include "cpu/parallel_for.h"
#include "cpu/simd_scalar.h"

namespace mdlfast::cpu {
namespace {

using ForwardRow = void (*)(float*, float*, float*, const float*, const float*, const float*,
                            int64_t, float);
using BackwardRow = void (*)(float*, float*, float*, const float*, const float*, const float*,
                             float, float, int64_t);

ForwardRow forward_row() {
  switch (active_isa()) {
    case Isa::avx512: return layer_norm_row_avx512;
    case Isa::avx2: return layer_norm_row_avx2;
    default: return norm_row::forward<Scalar>;
  }
}

BackwardRow backward_row() {
  switch (active_isa()) {
    case Isa::avx512: return layer_norm_backward_row_avx512;
    case Isa::avx2: return layer_norm_backward_row_avx2;
    default: return norm_row::backward<Scalar>;
  }
}

// The parameter gradients are summed over row blocks whose number depends on `rows` only, never
// on the thread count, so the rounding (and the result) is the same on any number of threads.
// Enough blocks to balance the threads; few enough that the partial sums stay in cache.
constexpr int64_t kMinRowsPerBlock = 16;
constexpr int64_t kMaxBlocks = 256;
// Columns of the final block-sum handed to one thread at a time.
constexpr int64_t kColumnsPerTask = 256;

// Rows are handed out dynamically, about this many elements at a time: on a machine shared with
// other processes, a thread that loses its core then delays the call by one task, not by a
// static half of the rows.
constexpr int64_t kElementsPerTask = 16384;

}  // namespace

void layer_norm(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                const float* beta, int64_t rows, int64_t d, float eps) {
  const ForwardRow row = forward_row();
  for_each_item<kElementsPerTask>(
      rows, d, [&](int64_t r) { row(y + r * d, mean + r, rstd + r, x + r * d, gamma, beta, d, eps); });
}

void layer_norm_backward(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                         const float* gamma, const float* mean, const float* rstd, int64_t rows,
                         int64_t d) {
  const BackwardRow row = backward_row();
  const int threads = num_threads();
  if (!dgamma) {
    for_each_item<kElementsPerTask>(rows, d, [&](int64_t r) {
      row(dx + r * d, nullptr, nullptr, dy + r * d, x + r * d, gamma, mean[r], rstd[r], d);
    });
    return;
  }

  const int64_t blocks = std::min(kMaxBlocks, (rows + kMinRowsPerBlock - 1) / kMinRowsPerBlock);
  const int64_t rows_per_block = blocks > 0 ? (rows + blocks - 1) / blocks : 0;
  // Block b's partial sums: dgamma at partial[2·b·d], dbeta right after it.
  std::vector<float> partial(static_cast<size_t>(blocks * 2 * d), 0.0f);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1 && blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    float* dgamma_acc = partial.data() + 2 * b * d;
    const int64_t end = std::min(rows, (b + 1) * rows_per_block);
    for (int64_t r = b * rows_per_block; r < end; ++r)
      row(dx + r * d, dgamma_acc, dgamma_acc + d, dy + r * d, x + r * d, gamma, mean[r], rstd[r], d);
  }

  const int64_t tasks = (d + kColumnsPerTask - 1) / kColumnsPerTask;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && tasks > 1)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t begin = t * kColumnsPerTask, end = std::min(d, begin + kColumnsPerTask);
    std::fill(dgamma + begin, dgamma + end, 0.0f);
    std::fill(dbeta + begin, dbeta + end, 0.0f);
    for (int64_t b = 0; b < blocks; ++b) {
      const float* block = partial.data() + 2 * b * d;
      for (int64_t j = begin; j < end; ++j) {
        dgamma[j] += block[j];
        dbeta[j] += block[d + j];
      }
    }
  }
}

}  // namespace mdlfast::cpu
