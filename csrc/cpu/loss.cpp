#include "cpu/loss.h"

#include <algorithm>
#include <vector>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/loss_isa.h"
#include "cpu/simd_scalar_math.h"
#include "cpu/softmax_isa.h"

namespace mdlfast::cpu {
namespace {

LossKernels loss_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return loss_kernels_avx512();
    case Isa::avx2: return loss_kernels_avx2();
    default: return loss_kernels_for<ScalarMath>();
  }
}

// Elementwise work is cut into tasks of this many elements, fixed by n alone: each task's loss sum
// is kept and the sums are added in order, so the result does not depend on the thread count.
constexpr int64_t kElementsPerTask = 16384;

// Runs body(task, begin, count) over the tasks of n elements; returns Σ of what the bodies return.
template <class Body>
double sum_over_tasks(int64_t n, Body body) {
  const int64_t tasks = (n + kElementsPerTask - 1) / kElementsPerTask;
  std::vector<double> partial(static_cast<size_t>(tasks), 0.0);
  const int threads = num_threads();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1 && tasks > 1)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t begin = t * kElementsPerTask;
    partial[t] = body(begin, std::min(n, begin + kElementsPerTask) - begin);
  }
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

// Calls span(begin, count, column) on the pieces of [begin, begin + count) cut at the ends of rows
// of `classes` elements, column being the first piece element's position within its row.
template <class Span>
double by_row_pieces(int64_t begin, int64_t count, int64_t classes, Span span) {
  double total = 0.0;
  for (int64_t at = begin, end = begin + count; at < end;) {
    const int64_t column = at % classes;
    const int64_t piece = std::min(end - at, classes - column);
    total += span(at, piece, column);
    at += piece;
  }
  return total;
}

}  // namespace

double cross_entropy(float* probs, float* row_loss, const float* logits, const int64_t* labels,
                     int64_t rows, int64_t classes, int64_t ignore_index, float label_smoothing) {
  const SoftmaxKernels softmax = softmax_kernels();
  const LossKernels loss = loss_kernels();
  const int threads = num_threads();
  const int64_t chunk = std::max<int64_t>(1, kElementsPerTask / classes);
  const float on_label = 1.0f - label_smoothing, uniform = label_smoothing / static_cast<float>(classes);
#pragma omp parallel for num_threads(threads) schedule(dynamic, chunk) if (threads > 1 && rows > chunk)
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = logits + r * classes;
    const softmax_row::RowStats stats = softmax.forward_row(probs + r * classes, x, classes, false);
    const int64_t label = labels[r];
    if (label == ignore_index) {
      row_loss[r] = 0.0f;
      continue;
    }
    // -log p[c] = (max - x[c]) + log Σ: the difference first, exact where the logits are huge.
    float value = on_label * ((stats.max - x[label]) + stats.log_sum);
    if (label_smoothing != 0.0f) {
      const float sum_x = loss.row_sum(x, classes);
      value += uniform * (static_cast<float>(classes) * (stats.max + stats.log_sum) - sum_x);
    }
    row_loss[r] = value;
  }
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r) total += row_loss[r];
  return total;
}

void cross_entropy_backward(float* dlogits, const float* probs, const int64_t* labels,
                            const float* dloss, float scale, int64_t rows, int64_t classes,
                            int64_t ignore_index, float label_smoothing) {
  const LossKernels loss = loss_kernels();
  const int threads = num_threads();
  const int64_t chunk = std::max<int64_t>(1, kElementsPerTask / classes);
  const float on_label = 1.0f - label_smoothing, uniform = label_smoothing / static_cast<float>(classes);
#pragma omp parallel for num_threads(threads) schedule(dynamic, chunk) if (threads > 1 && rows > chunk)
  for (int64_t r = 0; r < rows; ++r) {
    float* out = dlogits + r * classes;
    if (labels[r] == ignore_index) {
      std::fill(out, out + classes, 0.0f);
      continue;
    }
    loss.cross_entropy_backward_row(out, probs + r * classes, classes, labels[r], uniform, on_label,
                                    dloss ? dloss[r] : scale);
  }
}

double mse(float* loss, const float* pred, const float* target, int64_t n) {
  const LossKernels k = loss_kernels();
  return sum_over_tasks(n, [&](int64_t begin, int64_t count) {
    return static_cast<double>(k.mse(loss ? loss + begin : nullptr, pred + begin, target + begin, count));
  });
}

void mse_backward(float* dpred, const float* pred, const float* target, const float* dloss,
                  float scale, int64_t n) {
  const LossKernels k = loss_kernels();
  sum_over_tasks(n, [&](int64_t begin, int64_t count) {
    k.mse_backward(dpred + begin, pred + begin, target + begin, dloss ? dloss + begin : nullptr, scale, count);
    return 0.0;
  });
}

double bce_with_logits(float* loss, const float* logits, const float* target, const float* pos_weight,
                       int64_t n, int64_t classes) {
  const LossKernels k = loss_kernels();
  return sum_over_tasks(n, [&](int64_t begin, int64_t count) {
    if (!pos_weight)
      return static_cast<double>(k.bce(loss ? loss + begin : nullptr, logits + begin, target + begin, nullptr, count));
    return by_row_pieces(begin, count, classes, [&](int64_t at, int64_t piece, int64_t column) {
      return static_cast<double>(k.bce(loss ? loss + at : nullptr, logits + at, target + at, pos_weight + column, piece));
    });
  });
}

void bce_with_logits_backward(float* dlogits, const float* logits, const float* target,
                              const float* pos_weight, const float* dloss, float scale, int64_t n,
                              int64_t classes) {
  const LossKernels k = loss_kernels();
  sum_over_tasks(n, [&](int64_t begin, int64_t count) {
    if (!pos_weight) {
      k.bce_backward(dlogits + begin, logits + begin, target + begin, nullptr,
                     dloss ? dloss + begin : nullptr, scale, count);
      return 0.0;
    }
    return by_row_pieces(begin, count, classes, [&](int64_t at, int64_t piece, int64_t column) {
      k.bce_backward(dlogits + at, logits + at, target + at, pos_weight + column, dloss ? dloss + at : nullptr,
                     scale, piece);
      return 0.0;
    });
  });
}

}  // namespace mdlfast::cpu
