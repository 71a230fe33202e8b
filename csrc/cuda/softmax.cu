#include "cuda/softmax.cuh"

#include <algorithm>

#include "common/cuda_check.cuh"

namespace mdlfast::cuda {
namespace {

constexpr int kRowThreads = 256;
constexpr int kWarps = kRowThreads / 32;
constexpr int kColumnThreads = 128;
constexpr int64_t kMaxBlocks = 65535;

struct Max {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }  // NaN is caught by the sum
};
struct Sum {
  __device__ float operator()(float a, float b) const { return a + b; }
};

// The block's reduction of v by op, returned to every thread; scratch (kWarps floats) is free again
// when it returns.
template <class Op>
__device__ float block_reduce(float v, float* scratch, Op op) {
  for (int offset = 16; offset > 0; offset /= 2) v = op(v, __shfl_down_sync(0xffffffffu, v, offset));
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  float total = scratch[0];
  for (int w = 1; w < kWarps; ++w) total = op(total, scratch[w]);
  __syncthreads();
  return total;
}

// inner == 1: one block per contiguous row of n.
__global__ void __launch_bounds__(kRowThreads) row_forward_kernel(float* y, const float* x, int64_t rows, int64_t n,
                                                                  bool log) {
  __shared__ float scratch[kWarps];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * n;
    float m = -INFINITY;
    for (int64_t j = threadIdx.x; j < n; j += kRowThreads) m = fmaxf(m, xr[j]);
    m = block_reduce(m, scratch, Max{});
    float s = 0.0f;
    for (int64_t j = threadIdx.x; j < n; j += kRowThreads) s += expf(xr[j] - m);
    s = block_reduce(s, scratch, Sum{});
    float* yr = y + r * n;
    if (log) {
      const float log_sum = logf(s);
      for (int64_t j = threadIdx.x; j < n; j += kRowThreads) yr[j] = (xr[j] - m) - log_sum;
    } else {
      const float inv = 1.0f / s;
      for (int64_t j = threadIdx.x; j < n; j += kRowThreads) yr[j] = expf(xr[j] - m) * inv;
    }
  }
}

__global__ void __launch_bounds__(kRowThreads) row_backward_kernel(float* dx, const float* dy, const float* y,
                                                                   int64_t rows, int64_t n, bool log) {
  __shared__ float scratch[kWarps];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* dyr = dy + r * n;
    const float* yr = y + r * n;
    float s = 0.0f;
    for (int64_t j = threadIdx.x; j < n; j += kRowThreads) s += log ? dyr[j] : dyr[j] * yr[j];
    s = block_reduce(s, scratch, Sum{});
    float* dxr = dx + r * n;
    for (int64_t j = threadIdx.x; j < n; j += kRowThreads)
      dxr[j] = log ? dyr[j] - expf(yr[j]) * s : yr[j] * (dyr[j] - s);
  }
}

// inner > 1: one thread per (outer, inner) slice, walking the axis with stride inner; neighbouring
// threads read neighbouring floats.
__global__ void column_forward_kernel(float* y, const float* x, int64_t outer, int64_t n, int64_t inner, bool log) {
  const int64_t slices = outer * inner;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < slices; t += step) {
    const int64_t o = t / inner, j = t - o * inner;
    const float* xs = x + o * n * inner + j;
    float* ys = y + o * n * inner + j;
    float m = -INFINITY;
    for (int64_t k = 0; k < n; ++k) m = fmaxf(m, xs[k * inner]);
    float s = 0.0f;
    for (int64_t k = 0; k < n; ++k) s += expf(xs[k * inner] - m);
    if (log) {
      const float log_sum = logf(s);
      for (int64_t k = 0; k < n; ++k) ys[k * inner] = (xs[k * inner] - m) - log_sum;
    } else {
      const float inv = 1.0f / s;
      for (int64_t k = 0; k < n; ++k) ys[k * inner] = expf(xs[k * inner] - m) * inv;
    }
  }
}

__global__ void column_backward_kernel(float* dx, const float* dy, const float* y, int64_t outer, int64_t n,
                                       int64_t inner, bool log) {
  const int64_t slices = outer * inner;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < slices; t += step) {
    const int64_t o = t / inner, j = t - o * inner;
    const int64_t base = o * n * inner + j;
    float s = 0.0f;
    for (int64_t k = 0; k < n; ++k) {
      const int64_t i = base + k * inner;
      s += log ? dy[i] : dy[i] * y[i];
    }
    for (int64_t k = 0; k < n; ++k) {
      const int64_t i = base + k * inner;
      dx[i] = log ? dy[i] - expf(y[i]) * s : y[i] * (dy[i] - s);
    }
  }
}

unsigned grid_for(int64_t items) { return static_cast<unsigned>(std::max<int64_t>(1, std::min(items, kMaxBlocks))); }

}  // namespace

void softmax_forward(float* y, const float* x, int64_t outer, int64_t n, int64_t inner, bool log,
                     cudaStream_t stream) {
  if (outer == 0 || n == 0 || inner == 0) return;
  if (inner == 1) {
    row_forward_kernel<<<grid_for(outer), kRowThreads, 0, stream>>>(y, x, outer, n, log);
    MDLFAST_CUDA_CHECK_LAUNCH("softmax row_forward_kernel");
  } else {
    const int64_t slices = outer * inner;
    column_forward_kernel<<<grid_for((slices + kColumnThreads - 1) / kColumnThreads), kColumnThreads, 0, stream>>>(
        y, x, outer, n, inner, log);
    MDLFAST_CUDA_CHECK_LAUNCH("softmax column_forward_kernel");
  }
}

void softmax_backward(float* dx, const float* dy, const float* y, int64_t outer, int64_t n, int64_t inner, bool log,
                      cudaStream_t stream) {
  if (outer == 0 || n == 0 || inner == 0) return;
  if (inner == 1) {
    row_backward_kernel<<<grid_for(outer), kRowThreads, 0, stream>>>(dx, dy, y, outer, n, log);
    MDLFAST_CUDA_CHECK_LAUNCH("softmax row_backward_kernel");
  } else {
    const int64_t slices = outer * inner;
    column_backward_kernel<<<grid_for((slices + kColumnThreads - 1) / kColumnThreads), kColumnThreads, 0,
                             stream>>>(dx, dy, y, outer, n, inner, log);
    MDLFAST_CUDA_CHECK_LAUNCH("softmax column_backward_kernel");
  }
}

}  // namespace mdlfast::cuda
