#include "cpu/batch_norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/batch_norm_isa.h"
#include "cpu/simd_scalar.h"

namespace mdlfast::cpu {
namespace {

using batch_norm_plane::Loops;

Loops active_loops() {
  switch (active_isa()) {
    case Isa::avx512: return batch_norm_loops_avx512();
    case Isa::avx2: return batch_norm_loops_avx2();
    default: return batch_norm_plane::loops<Scalar>();
  }
}

// Planes shorter than this are too short to vectorise one at a time ([N, C] has s = 1): those
// shapes are handled as an [n, c·s] matrix whose columns are summed row by row instead.
constexpr int64_t kMinPlane = 32;

// The planes (n·c runs of s values) are visited in memory order, whole tensor by whole tensor:
// one pass for the statistics, one for the output. A channel's planes lie n·s·4 bytes apart, often
// a power of two, so passes over one channel at a time would map them all onto the same cache sets
// and find none of them in cache the second time.
//
// The statistics pass is split into row blocks, fixed by n alone, whose per-channel partial sums
// are added in order: the result is the same on any thread count.
constexpr int64_t kMaxBlocks = 64;
// About this many elements per task, so that dynamic scheduling balances a shared machine.
constexpr int64_t kElementsPerTask = 16384;

struct Blocks {
  int64_t count, rows;  // number of row blocks, rows per block
};

// Blocks of about kElementsPerTask elements or more, at most kMaxBlocks of them unless that
// would put more than max_rows rows in a block.
Blocks row_blocks(int64_t n, int64_t row_elements, int64_t max_rows) {
  const int64_t wanted = n * row_elements / kElementsPerTask;
  const int64_t count = std::max<int64_t>({1, std::min({kMaxBlocks, n, wanted}), (n + max_rows - 1) / max_rows});
  return {count, (n + count - 1) / count};
}

// Runs plane_sums(i, ch, &a, &b) for every plane and returns Σa and Σb per channel, in double:
// sums[2·ch] and sums[2·ch + 1]. Tasks are (row block, channel) pairs, each owning its partials.
template <class PlaneSums>
std::vector<double> channel_sums(int64_t n, int64_t c, int64_t s, PlaneSums plane_sums) {
  const Blocks blocks = row_blocks(n, c * s, std::max<int64_t>(n, 1));
  std::vector<double> partial(static_cast<size_t>(blocks.count * c * 2), 0.0);
  const int threads = num_threads();
  const int64_t tasks = blocks.count * c;
  const int64_t chunk = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(1, blocks.rows * s));
#pragma omp parallel for num_threads(threads) schedule(dynamic, chunk) if (threads > 1 && tasks > chunk)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t block = t / c, ch = t % c;
    const int64_t end = std::min(n, (block + 1) * blocks.rows);
    double a = 0.0, b = 0.0;
    for (int64_t i = block * blocks.rows; i < end; ++i) {
      float pa, pb;
      plane_sums(i, ch, &pa, &pb);
      a += pa;
      b += pb;
    }
    partial[2 * t] = a;
    partial[2 * t + 1] = b;
  }
  std::vector<double> sums(static_cast<size_t>(2 * c), 0.0);
  for (int64_t block = 0; block < blocks.count; ++block)
    for (int64_t j = 0; j < 2 * c; ++j) sums[j] += partial[2 * block * c + j];
  return sums;
}

constexpr int64_t kMaxFloatRows = 256;

// Runs body(p) for every plane p = i·c + ch, in parallel.
template <class Body>
void for_each_plane(int64_t planes, int64_t s, Body body) {
  const int threads = num_threads();
  const int64_t chunk = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(1, s));
#pragma omp parallel for num_threads(threads) schedule(dynamic, chunk) if (threads > 1 && planes > chunk)
  for (int64_t p = 0; p < planes; ++p) body(p);
}

// PyTorch's running-statistics update, in double as its CPU kernel computes it.
void update_running(float* running_mean, float* running_var, int64_t ch, double mean, double var,
                    int64_t count, float momentum) {
  if (!running_mean) return;
  const double m = momentum;
  const double unbiased = var * static_cast<double>(count) / static_cast<double>(count - 1);
  running_mean[ch] = static_cast<float>((1.0 - m) * running_mean[ch] + m * mean);
  running_var[ch] = static_cast<float>((1.0 - m) * running_var[ch] + m * unbiased);
}

// y = (x − mean)·scale + shift per channel: scale = gamma·invstd, shift = beta.
float scale_of(const float* gamma, int64_t ch, float invstd) { return gamma ? gamma[ch] * invstd : invstd; }
float shift_of(const float* beta, int64_t ch) { return beta ? beta[ch] : 0.0f; }

// The [n, c·s] matrix form for short planes. Σa and Σb per column over row blocks fixed by n
// (each block summed in float, the blocks added in order in double), folded into channels:
// sums[2·ch] and sums[2·ch + 1]. row_sums(i, a, b) adds row i's terms to the block's a and b.
template <class RowSums>
std::vector<double> column_sums(int64_t n, int64_t c, int64_t s, RowSums row_sums) {
  const int64_t cols = c * s;
  // A block sums its rows in float: at most kMaxFloatRows of them, to bound the rounding.
  const Blocks blocks = row_blocks(n, cols, kMaxFloatRows);
  std::vector<float> partial(static_cast<size_t>(blocks.count * 2 * cols), 0.0f);
  const int threads = num_threads();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1 && blocks.count > 1 && n * cols > 32768)
  for (int64_t block = 0; block < blocks.count; ++block) {
    float* a = partial.data() + 2 * block * cols;
    const int64_t end = std::min(n, (block + 1) * blocks.rows);
    for (int64_t i = block * blocks.rows; i < end; ++i) row_sums(i, a, a + cols);
  }
  std::vector<double> sums(static_cast<size_t>(2 * c), 0.0);
  for (int64_t block = 0; block < blocks.count; ++block) {
    const float* a = partial.data() + 2 * block * cols;
    for (int64_t j = 0; j < cols; ++j) {
      sums[2 * (j / s)] += a[j];
      sums[2 * (j / s) + 1] += a[cols + j];
    }
  }
  return sums;
}

// Runs body(i) for every row of the [n, c·s] matrix, in parallel.
template <class Body>
void for_each_row(int64_t n, int64_t cols, Body body) {
  const int threads = num_threads();
  const int64_t chunk = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(1, cols));
#pragma omp parallel for num_threads(threads) schedule(dynamic, chunk) if (threads > 1 && n > chunk)
  for (int64_t i = 0; i < n; ++i) body(i);
}

// A channel's value per column of the [n, c·s] matrix.
std::vector<float> per_column(const std::vector<float>& per_channel, int64_t s) {
  std::vector<float> out(per_channel.size() * static_cast<size_t>(s));
  for (size_t j = 0; j < out.size(); ++j) out[j] = per_channel[j / static_cast<size_t>(s)];
  return out;
}

void training_by_columns(float* y, float* save_mean, float* save_invstd, float* running_mean,
                         float* running_var, const float* x, const float* gamma, const float* beta,
                         int64_t n, int64_t c, int64_t s, float momentum, float eps) {
  const int64_t cols = c * s, count = n * s;
  // Deviations from a pivot near the mean (the channel's mean over the first rows), as in the
  // per-plane form: one pass gives Σc and Σc² without cancellation.
  const int64_t pivot_rows = std::min<int64_t>(n, 16);
  std::vector<float> pivot(static_cast<size_t>(c), 0.0f);
  for (int64_t i = 0; i < pivot_rows; ++i)
    for (int64_t j = 0; j < cols; ++j) pivot[j / s] += x[i * cols + j];
  for (int64_t ch = 0; ch < c; ++ch) pivot[ch] /= static_cast<float>(pivot_rows * s);
  const std::vector<float> column_pivot = per_column(pivot, s);
  const std::vector<double> sums = column_sums(n, c, s, [&](int64_t i, float* a, float* b) {
    const float* row = x + i * cols;
    for (int64_t j = 0; j < cols; ++j) {
      const float d = row[j] - column_pivot[j];
      a[j] += d;
      b[j] += d * d;
    }
  });
  std::vector<float> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const double sum_c = sums[2 * ch], sum_c2 = sums[2 * ch + 1];
    const double mean = pivot[ch] + sum_c / static_cast<double>(count);
    const double var = std::max(0.0, (sum_c2 - sum_c * sum_c / static_cast<double>(count)) /
                                         static_cast<double>(count));
    const float invstd = static_cast<float>(1.0 / std::sqrt(var + eps));
    save_mean[ch] = static_cast<float>(mean);
    save_invstd[ch] = invstd;
    update_running(running_mean, running_var, ch, mean, var, count, momentum);
    scale[ch] = scale_of(gamma, ch, invstd);
    shift[ch] = shift_of(beta, ch);
  }
  const std::vector<float> column_mean = per_column(std::vector<float>(save_mean, save_mean + c), s);
  const std::vector<float> column_scale = per_column(scale, s), column_shift = per_column(shift, s);
  for_each_row(n, cols, [&](int64_t i) {
    const float* in = x + i * cols;
    float* out = y + i * cols;
    for (int64_t j = 0; j < cols; ++j) out[j] = (in[j] - column_mean[j]) * column_scale[j] + column_shift[j];
  });
}

void backward_by_columns(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                         const float* gamma, const float* mean, const float* invstd, int64_t n,
                         int64_t c, int64_t s, bool training) {
  const int64_t cols = c * s;
  const std::vector<float> column_mean = per_column(std::vector<float>(mean, mean + c), s);
  std::vector<double> sums(static_cast<size_t>(2 * c), 0.0);  // Σdy, Σdy·(x − mean) per channel
  if (training || dgamma)
    sums = column_sums(n, c, s, [&](int64_t i, float* a, float* b) {
      const float* g = dy + i * cols;
      const float* in = x + i * cols;
      for (int64_t j = 0; j < cols; ++j) {
        a[j] += g[j];
        b[j] += g[j] * (in[j] - column_mean[j]);
      }
    });
  const double count = static_cast<double>(n * s);
  // dx = g·inv·(dy − Σdy/count − (x − mean)·inv²·Σdy(x − mean)/count) in training.
  std::vector<float> k_dy(static_cast<size_t>(c)), k_x(static_cast<size_t>(c)), k(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const double a = sums[2 * ch], b = sums[2 * ch + 1];
    const double inv = invstd[ch], g = gamma ? gamma[ch] : 1.0;
    if (dgamma) {
      dgamma[ch] = static_cast<float>(b * inv);
      dbeta[ch] = static_cast<float>(a);
    }
    k_dy[ch] = static_cast<float>(g * inv);
    k_x[ch] = static_cast<float>(training ? -g * inv * inv * inv * b / count : 0.0);
    k[ch] = static_cast<float>(training ? -g * inv * a / count : 0.0);
  }
  const std::vector<float> column_k_dy = per_column(k_dy, s), column_k_x = per_column(k_x, s),
                           column_k = per_column(k, s);
  for_each_row(n, cols, [&](int64_t i) {
    const float* g = dy + i * cols;
    const float* in = x + i * cols;
    float* out = dx + i * cols;
    for (int64_t j = 0; j < cols; ++j)
      out[j] = g[j] * column_k_dy[j] + (in[j] - column_mean[j]) * column_k_x[j] + column_k[j];
  });
}

}  // namespace

void batch_norm_training(float* y, float* save_mean, float* save_invstd, float* running_mean,
                         float* running_var, const float* x, const float* gamma, const float* beta,
                         int64_t n, int64_t c, int64_t s, float momentum, float eps) {
  if (s < kMinPlane) {
    training_by_columns(y, save_mean, save_invstd, running_mean, running_var, x, gamma, beta, n, c,
                        s, momentum, eps);
    return;
  }
  const Loops loops = active_loops();
  const int64_t count = n * s;
  // Deviations from a pivot near the mean (the mean of the channel's first plane): their
  // one-pass Σc and Σc² give the variance without the cancellation of Σx² − (Σx)²/count where
  // |mean| >> std.
  std::vector<float> pivot(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) pivot[ch] = loops.sum(x + ch * s, s) / static_cast<float>(s);
  const std::vector<double> sums = channel_sums(n, c, s, [&](int64_t i, int64_t ch, float* a, float* b) {
    loops.centred_sums(x + (i * c + ch) * s, s, pivot[ch], a, b);
  });
  std::vector<float> scale(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const double sum_c = sums[2 * ch], sum_c2 = sums[2 * ch + 1];
    const double mean = pivot[ch] + sum_c / static_cast<double>(count);
    const double var = std::max(0.0, (sum_c2 - sum_c * sum_c / static_cast<double>(count)) /
                                         static_cast<double>(count));
    const float invstd = static_cast<float>(1.0 / std::sqrt(var + eps));
    save_mean[ch] = static_cast<float>(mean);
    save_invstd[ch] = invstd;
    update_running(running_mean, running_var, ch, mean, var, count, momentum);
    scale[ch] = scale_of(gamma, ch, invstd);
  }
  for_each_plane(n * c, s, [&](int64_t p) {
    const int64_t ch = p % c;
    loops.affine(y + p * s, x + p * s, s, save_mean[ch], scale[ch], shift_of(beta, ch));
  });
}

void batch_norm_inference(float* y, float* save_mean, float* save_invstd, const float* x,
                          const float* gamma, const float* beta, const float* running_mean,
                          const float* running_var, int64_t n, int64_t c, int64_t s, float eps) {
  std::vector<float> scale(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    save_mean[ch] = running_mean[ch];
    save_invstd[ch] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(running_var[ch]) + eps));
    scale[ch] = scale_of(gamma, ch, save_invstd[ch]);
  }
  const Loops loops = active_loops();
  for_each_plane(n * c, s, [&](int64_t p) {
    const int64_t ch = p % c;
    loops.affine(y + p * s, x + p * s, s, save_mean[ch], scale[ch], shift_of(beta, ch));
  });
}

void batch_norm_backward(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                         const float* gamma, const float* mean, const float* invstd, int64_t n,
                         int64_t c, int64_t s, bool training) {
  if (s < kMinPlane) {
    backward_by_columns(dx, dgamma, dbeta, dy, x, gamma, mean, invstd, n, c, s, training);
    return;
  }
  const Loops loops = active_loops();
  const double count = static_cast<double>(n * s);
  std::vector<double> sums(static_cast<size_t>(2 * c), 0.0);  // Σdy, Σdy·(x − mean) per channel
  if (training || dgamma)
    sums = channel_sums(n, c, s, [&](int64_t i, int64_t ch, float* a, float* b) {
      loops.gradient_sums(dy + (i * c + ch) * s, x + (i * c + ch) * s, s, mean[ch], a, b);
    });
  // dx = g·inv·(dy − Σdy/count − (x − mean)·inv²·Σdy(x − mean)/count) in training.
  std::vector<float> k_dy(static_cast<size_t>(c)), k_x(static_cast<size_t>(c)), k(static_cast<size_t>(c));
  for (int64_t ch = 0; ch < c; ++ch) {
    const double a = sums[2 * ch], b = sums[2 * ch + 1];
    const double inv = invstd[ch], g = gamma ? gamma[ch] : 1.0;
    if (dgamma) {
      dgamma[ch] = static_cast<float>(b * inv);
      dbeta[ch] = static_cast<float>(a);
    }
    k_dy[ch] = static_cast<float>(g * inv);
    k_x[ch] = static_cast<float>(training ? -g * inv * inv * inv * b / count : 0.0);
    k[ch] = static_cast<float>(training ? -g * inv * a / count : 0.0);
  }
  for_each_plane(n * c, s, [&](int64_t p) {
    const int64_t ch = p % c;
    loops.combine(dx + p * s, dy + p * s, x + p * s, s, mean[ch], k_dy[ch], k_x[ch], k[ch]);
  });
}

}  // namespace mdlfast::cpu
