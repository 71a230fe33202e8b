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

Blocks row_blocks(int64_t n) {
  const int64_t count = std::max<int64_t>(1, std::min(kMaxBlocks, n));
  return {count, (n + count - 1) / count};
}

// Runs plane_sums(i, ch, &a, &b) for every plane and returns Σa and Σb per channel, in double:
// sums[2·ch] and sums[2·ch + 1]. Tasks are (row block, channel) pairs, each owning its partials.
template <class PlaneSums>
std::vector<double> channel_sums(int64_t n, int64_t c, int64_t s, PlaneSums plane_sums) {
  const Blocks blocks = row_blocks(n);
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

// The [n, c·s] matrix form for short planes: statistics from column sums in double, then rows
// transformed with per-column coefficients. Single-threaded: such tensors are small.
void training_by_columns(float* y, float* save_mean, float* save_invstd, float* running_mean,
                         float* running_var, const float* x, const float* gamma, const float* beta,
                         int64_t n, int64_t c, int64_t s, float momentum, float eps) {
  const int64_t cols = c * s, count = n * s;
  std::vector<double> column(static_cast<size_t>(cols), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < cols; ++j) column[j] += x[i * cols + j];
  std::vector<double> mean(static_cast<size_t>(c), 0.0);
  for (int64_t j = 0; j < cols; ++j) mean[j / s] += column[j];
  for (int64_t ch = 0; ch < c; ++ch) mean[ch] /= static_cast<double>(count);
  std::vector<float> column_mean(static_cast<size_t>(cols));
  std::vector<double> exact_mean(static_cast<size_t>(cols));
  for (int64_t j = 0; j < cols; ++j) exact_mean[j] = mean[j / s];
  std::fill(column.begin(), column.end(), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      const double d = x[i * cols + j] - exact_mean[j];
      column[j] += d * d;
    }
  std::vector<float> column_scale(static_cast<size_t>(cols)), column_shift(static_cast<size_t>(cols));
  for (int64_t ch = 0; ch < c; ++ch) {
    double var = 0.0;
    for (int64_t k = 0; k < s; ++k) var += column[ch * s + k];
    var /= static_cast<double>(count);
    const float invstd = static_cast<float>(1.0 / std::sqrt(var + eps));
    save_mean[ch] = static_cast<float>(mean[ch]);
    save_invstd[ch] = invstd;
    update_running(running_mean, running_var, ch, mean[ch], var, count, momentum);
    for (int64_t q = 0; q < s; ++q) {
      column_mean[ch * s + q] = static_cast<float>(mean[ch]);
      column_scale[ch * s + q] = scale_of(gamma, ch, invstd);
      column_shift[ch * s + q] = shift_of(beta, ch);
    }
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < cols; ++j)
      y[i * cols + j] = (x[i * cols + j] - column_mean[j]) * column_scale[j] + column_shift[j];
}

void backward_by_columns(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                         const float* gamma, const float* mean, const float* invstd, int64_t n,
                         int64_t c, int64_t s, bool training) {
  const int64_t cols = c * s;
  std::vector<float> column_mean(static_cast<size_t>(cols));
  for (int64_t j = 0; j < cols; ++j) column_mean[j] = mean[j / s];
  std::vector<double> sum_dy(static_cast<size_t>(cols), 0.0), sum_dy_xc(static_cast<size_t>(cols), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      const double g = dy[i * cols + j];
      sum_dy[j] += g;
      sum_dy_xc[j] += g * (x[i * cols + j] - column_mean[j]);
    }
  std::vector<float> k_dy(static_cast<size_t>(cols)), k_x(static_cast<size_t>(cols)), k(static_cast<size_t>(cols));
  for (int64_t ch = 0; ch < c; ++ch) {
    double a = 0.0, b = 0.0;
    for (int64_t q = 0; q < s; ++q) {
      a += sum_dy[ch * s + q];
      b += sum_dy_xc[ch * s + q];
    }
    const double count = static_cast<double>(n * s), inv = invstd[ch], g = gamma ? gamma[ch] : 1.0;
    if (dgamma) {
      dgamma[ch] = static_cast<float>(b * inv);
      dbeta[ch] = static_cast<float>(a);
    }
    // dx = g·inv·(dy − Σdy/count − (x − mean)·inv²·Σdy(x − mean)/count) in training.
    const double slope = training ? -g * inv * inv * inv * b / count : 0.0;
    const double offset = training ? -g * inv * a / count : 0.0;
    for (int64_t q = 0; q < s; ++q) {
      k_dy[ch * s + q] = static_cast<float>(g * inv);
      k_x[ch * s + q] = static_cast<float>(slope);
      k[ch * s + q] = static_cast<float>(offset);
    }
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < cols; ++j)
      dx[i * cols + j] = dy[i * cols + j] * k_dy[j] + (x[i * cols + j] - column_mean[j]) * k_x[j] + k[j];
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
