#include "cuda/batch_norm.cuh"

#include <algorithm>

#include "common/cuda_check.cuh"

namespace mdlfast::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int64_t kMaxBlocks = 65535;

struct Sums {
  double a, b;
};

// The block's sums, returned to every thread; scratch is free again when it returns.
__device__ Sums block_sum(Sums v, Sums* scratch) {
  for (int offset = 16; offset > 0; offset /= 2) {
    v.a += __shfl_down_sync(0xffffffffu, v.a, offset);
    v.b += __shfl_down_sync(0xffffffffu, v.b, offset);
  }
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  Sums total{0.0, 0.0};
  for (int w = 0; w < kWarps; ++w) {
    total.a += scratch[w].a;
    total.b += scratch[w].b;
  }
  __syncthreads();
  return total;
}

// Element k (of n·s) of channel ch: row k / s, position k % s.
__device__ __forceinline__ int64_t offset_of(int64_t k, int64_t ch, int64_t c, int64_t s) {
  const int64_t i = k / s;
  return (i * c + ch) * s + (k - i * s);
}

__global__ void __launch_bounds__(kThreads) training_kernel(float* y, float* save_mean, float* save_invstd,
                                                            float* running_mean, float* running_var, const float* x,
                                                            const float* gamma, const float* beta, int64_t n,
                                                            int64_t c, int64_t s, float momentum, float eps) {
  __shared__ Sums scratch[kWarps];
  const int64_t count = n * s;
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    Sums sum{0.0, 0.0};
    for (int64_t k = threadIdx.x; k < count; k += kThreads) sum.a += x[offset_of(k, ch, c, s)];
    const double mean = block_sum(sum, scratch).a / static_cast<double>(count);
    Sums dev{0.0, 0.0};  // the second pass: squared deviations from the mean, in double
    for (int64_t k = threadIdx.x; k < count; k += kThreads) {
      const double d = static_cast<double>(x[offset_of(k, ch, c, s)]) - mean;
      dev.a += d * d;
    }
    const double var = block_sum(dev, scratch).a / static_cast<double>(count);
    const float invstd = static_cast<float>(1.0 / sqrt(var + static_cast<double>(eps)));
    const float mean_f = static_cast<float>(mean);
    if (threadIdx.x == 0) {
      save_mean[ch] = mean_f;
      save_invstd[ch] = invstd;
      if (running_mean) {
        const double m = momentum;
        const double unbiased = var * static_cast<double>(count) / static_cast<double>(count - 1);
        running_mean[ch] = static_cast<float>((1.0 - m) * running_mean[ch] + m * mean);
        running_var[ch] = static_cast<float>((1.0 - m) * running_var[ch] + m * unbiased);
      }
    }
    const float scale = gamma ? gamma[ch] * invstd : invstd;
    const float shift = beta ? beta[ch] : 0.0f;
    for (int64_t k = threadIdx.x; k < count; k += kThreads) {
      const int64_t o = offset_of(k, ch, c, s);
      y[o] = (x[o] - mean_f) * scale + shift;
    }
  }
}

__global__ void inference_kernel(float* y, const float* x, const float* gamma, const float* beta,
                                 const float* running_mean, const float* running_var, int64_t n, int64_t c,
                                 int64_t s, float eps) {
  const int64_t total = n * c * s;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < total; o += step) {
    const int64_t ch = (o / s) % c;
    const float invstd = static_cast<float>(1.0 / sqrt(static_cast<double>(running_var[ch]) + eps));
    const float scale = gamma ? gamma[ch] * invstd : invstd;
    y[o] = (x[o] - running_mean[ch]) * scale + (beta ? beta[ch] : 0.0f);
  }
}

__global__ void inference_stats_kernel(float* save_mean, float* save_invstd, const float* running_mean,
                                       const float* running_var, int64_t c, float eps) {
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (ch < c) {
    save_mean[ch] = running_mean[ch];
    save_invstd[ch] = static_cast<float>(1.0 / sqrt(static_cast<double>(running_var[ch]) + eps));
  }
}

__global__ void __launch_bounds__(kThreads) backward_kernel(float* dx, float* dgamma, float* dbeta, const float* dy,
                                                            const float* x, const float* gamma, const float* mean,
                                                            const float* invstd, int64_t n, int64_t c, int64_t s,
                                                            bool training) {
  __shared__ Sums scratch[kWarps];
  const int64_t count = n * s;
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    const float m = mean[ch];
    Sums sums{0.0, 0.0};  // Σdy and Σdy·(x − mean)
    if (training || dgamma) {
      for (int64_t k = threadIdx.x; k < count; k += kThreads) {
        const int64_t o = offset_of(k, ch, c, s);
        sums.a += dy[o];
        sums.b += static_cast<double>(dy[o]) * static_cast<double>(x[o] - m);
      }
      sums = block_sum(sums, scratch);
    }
    const double inv = invstd[ch], g = gamma ? gamma[ch] : 1.0, total = static_cast<double>(count);
    if (dgamma && threadIdx.x == 0) {
      dgamma[ch] = static_cast<float>(sums.b * inv);
      dbeta[ch] = static_cast<float>(sums.a);
    }
    // dx = dy·g·inv − (x − mean)·g·inv³·Σdy(x − mean)/count − g·inv·Σdy/count, as the CPU kernel.
    const float k_dy = static_cast<float>(g * inv);
    const float k_x = static_cast<float>(training ? -g * inv * inv * inv * sums.b / total : 0.0);
    const float k = static_cast<float>(training ? -g * inv * sums.a / total : 0.0);
    for (int64_t e = threadIdx.x; e < count; e += kThreads) {
      const int64_t o = offset_of(e, ch, c, s);
      dx[o] = dy[o] * k_dy + (x[o] - m) * k_x + k;
    }
  }
}

unsigned channel_blocks(int64_t c) { return static_cast<unsigned>(std::max<int64_t>(1, std::min(c, kMaxBlocks))); }

}  // namespace

void batch_norm_training(float* y, float* save_mean, float* save_invstd, float* running_mean, float* running_var,
                         const float* x, const float* gamma, const float* beta, int64_t n, int64_t c, int64_t s,
                         float momentum, float eps, cudaStream_t stream) {
  if (c == 0) return;
  training_kernel<<<channel_blocks(c), kThreads, 0, stream>>>(y, save_mean, save_invstd, running_mean, running_var,
                                                              x, gamma, beta, n, c, s, momentum, eps);
  MDLFAST_CUDA_CHECK_LAUNCH("batch_norm training_kernel");
}

void batch_norm_inference(float* y, float* save_mean, float* save_invstd, const float* x, const float* gamma,
                          const float* beta, const float* running_mean, const float* running_var, int64_t n,
                          int64_t c, int64_t s, float eps, cudaStream_t stream) {
  if (c == 0) return;
  inference_stats_kernel<<<static_cast<unsigned>((c + kThreads - 1) / kThreads), kThreads, 0, stream>>>(
      save_mean, save_invstd, running_mean, running_var, c, eps);
  MDLFAST_CUDA_CHECK_LAUNCH("batch_norm inference_stats_kernel");
  const int64_t total = n * c * s;
  if (total == 0) return;
  inference_kernel<<<static_cast<unsigned>(std::min((total + kThreads - 1) / kThreads, kMaxBlocks)), kThreads, 0,
                     stream>>>(y, x, gamma, beta, running_mean, running_var, n, c, s, eps);
  MDLFAST_CUDA_CHECK_LAUNCH("batch_norm inference_kernel");
}

void batch_norm_backward(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x, const float* gamma,
                         const float* mean, const float* invstd, int64_t n, int64_t c, int64_t s, bool training,
                         cudaStream_t stream) {
  if (c == 0) return;
  backward_kernel<<<channel_blocks(c), kThreads, 0, stream>>>(dx, dgamma, dbeta, dy, x, gamma, mean, invstd, n, c,
                                                              s, training);
  MDLFAST_CUDA_CHECK_LAUNCH("batch_norm backward_kernel");
}

}  // namespace mdlfast::cuda
