#include "cuda/pool.cuh"

#include <algorithm>

#include "common/cuda_check.cuh"

namespace mdlfast::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65535;

// The rows (or columns) of the input under output position o: [begin, end), clipped to the input.
struct Span {
  int64_t begin, end;
};

__device__ __forceinline__ Span window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t in) {
  const int64_t start = o * stride - pad;
  return {start < 0 ? 0 : start, start + kernel < in ? start + kernel : in};
}

__global__ void max_pool_kernel(float* y, int64_t* indices, const float* x, int64_t planes, PoolGeometry g) {
  const int64_t out_hw = g.out_h * g.out_w, total = planes * out_hw;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t p = t / out_hw, o = t - p * out_hw, oh = o / g.out_w, ow = o - oh * g.out_w;
    const Span rows = window(oh, g.stride_h, g.pad_h, g.kernel_h, g.in_h);
    const Span cols = window(ow, g.stride_w, g.pad_w, g.kernel_w, g.in_w);
    const float* plane = x + p * g.in_h * g.in_w;
    float best = -INFINITY;
    int64_t best_index = rows.begin * g.in_w + cols.begin;
    for (int64_t h = rows.begin; h < rows.end; ++h)
      for (int64_t w = cols.begin; w < cols.end; ++w) {
        const float v = plane[h * g.in_w + w];
        if (v > best || isnan(v)) {
          best = v;
          best_index = h * g.in_w + w;
        }
      }
    y[t] = best;
    indices[t] = best_index;
  }
}

__global__ void max_pool_backward_kernel(float* dx, const float* dy, const int64_t* indices, int64_t planes,
                                         int64_t in_hw, int64_t out_hw) {
  const int64_t total = planes * out_hw;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t p = t / out_hw;
    atomicAdd(dx + p * in_hw + indices[t], dy[t]);
  }
}

__device__ __forceinline__ float divisor(const Span& rows, const Span& cols, const PoolGeometry& g,
                                         bool count_include_pad) {
  return count_include_pad ? static_cast<float>(g.kernel_h * g.kernel_w)
                           : static_cast<float>((rows.end - rows.begin) * (cols.end - cols.begin));
}

__global__ void avg_pool_kernel(float* y, const float* x, int64_t planes, PoolGeometry g, bool count_include_pad) {
  const int64_t out_hw = g.out_h * g.out_w, total = planes * out_hw;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t p = t / out_hw, o = t - p * out_hw, oh = o / g.out_w, ow = o - oh * g.out_w;
    const Span rows = window(oh, g.stride_h, g.pad_h, g.kernel_h, g.in_h);
    const Span cols = window(ow, g.stride_w, g.pad_w, g.kernel_w, g.in_w);
    const float* plane = x + p * g.in_h * g.in_w;
    float sum = 0.0f;
    for (int64_t h = rows.begin; h < rows.end; ++h)
      for (int64_t w = cols.begin; w < cols.end; ++w) sum += plane[h * g.in_w + w];
    y[t] = sum / divisor(rows, cols, g, count_include_pad);
  }
}

// The outputs whose window along one axis covers input position i: [first, last], possibly empty.
__device__ __forceinline__ Span covering(int64_t i, int64_t stride, int64_t pad, int64_t kernel, int64_t out) {
  // o·stride − pad <= i < o·stride − pad + kernel.
  const int64_t low = i + pad - kernel + 1;
  int64_t first = low <= 0 ? 0 : (low + stride - 1) / stride;
  int64_t last = (i + pad) / stride;  // i + pad >= 0
  if (last > out - 1) last = out - 1;
  return {first, last + 1};
}

__global__ void avg_pool_backward_kernel(float* dx, const float* dy, int64_t planes, PoolGeometry g,
                                         bool count_include_pad) {
  const int64_t in_hw = g.in_h * g.in_w, total = planes * in_hw;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t p = t / in_hw, i = t - p * in_hw, h = i / g.in_w, w = i - h * g.in_w;
    const Span out_rows = covering(h, g.stride_h, g.pad_h, g.kernel_h, g.out_h);
    const Span out_cols = covering(w, g.stride_w, g.pad_w, g.kernel_w, g.out_w);
    const float* grad = dy + p * g.out_h * g.out_w;
    float sum = 0.0f;
    for (int64_t oh = out_rows.begin; oh < out_rows.end; ++oh)
      for (int64_t ow = out_cols.begin; ow < out_cols.end; ++ow) {
        const Span rows = window(oh, g.stride_h, g.pad_h, g.kernel_h, g.in_h);
        const Span cols = window(ow, g.stride_w, g.pad_w, g.kernel_w, g.in_w);
        sum += grad[oh * g.out_w + ow] / divisor(rows, cols, g, count_include_pad);
      }
    dx[t] = sum;
  }
}

unsigned blocks_for(int64_t items) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min((items + kThreads - 1) / kThreads, kMaxBlocks)));
}

}  // namespace

void max_pool2d(float* y, int64_t* indices, const float* x, int64_t planes, const PoolGeometry& g,
                cudaStream_t stream) {
  const int64_t total = planes * g.out_h * g.out_w;
  if (total == 0) return;
  max_pool_kernel<<<blocks_for(total), kThreads, 0, stream>>>(y, indices, x, planes, g);
  MDLFAST_CUDA_CHECK_LAUNCH("max_pool_kernel");
}

void max_pool2d_backward(float* dx, const float* dy, const int64_t* indices, int64_t planes, int64_t in_hw,
                         int64_t out_hw, cudaStream_t stream) {
  if (planes * in_hw == 0) return;
  MDLFAST_CUDA_CHECK(cudaMemsetAsync(dx, 0, static_cast<size_t>(planes * in_hw) * sizeof(float), stream));
  if (out_hw == 0) return;
  max_pool_backward_kernel<<<blocks_for(planes * out_hw), kThreads, 0, stream>>>(dx, dy, indices, planes, in_hw,
                                                                                 out_hw);
  MDLFAST_CUDA_CHECK_LAUNCH("max_pool_backward_kernel");
}

void avg_pool2d(float* y, const float* x, int64_t planes, const PoolGeometry& g, bool count_include_pad,
                cudaStream_t stream) {
  const int64_t total = planes * g.out_h * g.out_w;
  if (total == 0) return;
  avg_pool_kernel<<<blocks_for(total), kThreads, 0, stream>>>(y, x, planes, g, count_include_pad);
  MDLFAST_CUDA_CHECK_LAUNCH("avg_pool_kernel");
}

void avg_pool2d_backward(float* dx, const float* dy, int64_t planes, const PoolGeometry& g, bool count_include_pad,
                         cudaStream_t stream) {
  const int64_t total = planes * g.in_h * g.in_w;
  if (total == 0) return;
  avg_pool_backward_kernel<<<blocks_for(total), kThreads, 0, stream>>>(dx, dy, planes, g, count_include_pad);
  MDLFAST_CUDA_CHECK_LAUNCH("avg_pool_backward_kernel");
}

}  // namespace mdlfast::cuda
