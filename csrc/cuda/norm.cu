#include "cuda/norm.cuh"

#include <algorithm>

#include "common/cuda_check.cuh"

namespace mdlfast::cuda {
namespace {

constexpr int kRowThreads = 256;  // one block per row
constexpr int kWarps = kRowThreads / 32;
constexpr int64_t kMaxBlocks = 65535;

struct Pair {
  float a, b;
};

__device__ __forceinline__ Pair warp_sum(Pair v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) {
    v.a += __shfl_down_sync(0xffffffffu, v.a, offset);
    v.b += __shfl_down_sync(0xffffffffu, v.b, offset);
  }
  return v;
}

// The block's sum of v, returned to every thread. `scratch` holds kWarps pairs and may be reused
// right after the call returns (the final barrier is inside).
__device__ Pair block_sum(Pair v, Pair* scratch) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  v = warp_sum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  Pair total{0.0f, 0.0f};
  for (int w = 0; w < kWarps; ++w) {  // every thread adds the warp sums in the same order
    total.a += scratch[w].a;
    total.b += scratch[w].b;
  }
  __syncthreads();  // scratch is free again
  return total;
}

__global__ void __launch_bounds__(kRowThreads) layer_norm_kernel(float* y, float* mean_out, float* rstd_out,
                                                                 const float* x, const float* gamma,
                                                                 const float* beta, int64_t rows, int64_t d,
                                                                 float eps) {
  __shared__ Pair scratch[kWarps];
  const float inv_d = 1.0f / static_cast<float>(d);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * d;
    Pair s{0.0f, 0.0f};
    for (int64_t j = threadIdx.x; j < d; j += kRowThreads) s.a += xr[j];
    const float estimate = block_sum(s, scratch).a / static_cast<float>(d);
    // Deviations from the estimate correct it (the corrected two-pass algorithm of norm_row.h).
    Pair c{0.0f, 0.0f};
    for (int64_t j = threadIdx.x; j < d; j += kRowThreads) {
      const float dev = xr[j] - estimate;
      c.a += dev;
      c.b = fmaf(dev, dev, c.b);
    }
    c = block_sum(c, scratch);
    const float mean = estimate + c.a / static_cast<float>(d);
    const float spread = (c.b - c.a * c.a * inv_d) * inv_d;
    const float var = spread < 0.0f ? 0.0f : spread;  // rounding may dip below 0; NaN passes
    const float rstd = 1.0f / sqrtf(var + eps);
    if (threadIdx.x == 0) {
      mean_out[r] = mean;
      rstd_out[r] = rstd;
    }
    float* yr = y + r * d;
    for (int64_t j = threadIdx.x; j < d; j += kRowThreads) {
      float v = (xr[j] - mean) * rstd;
      if (gamma) v *= gamma[j];
      if (beta) v += beta[j];
      yr[j] = v;
    }
  }
}

__global__ void __launch_bounds__(kRowThreads) layer_norm_dx_kernel(float* dx, const float* dy, const float* x,
                                                                    const float* gamma, const float* mean,
                                                                    const float* rstd, int64_t rows, int64_t d) {
  __shared__ Pair scratch[kWarps];
  const float inv_d = 1.0f / static_cast<float>(d);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* dyr = dy + r * d;
    const float* xr = x + r * d;
    const float m = mean[r], s = rstd[r];
    Pair sums{0.0f, 0.0f};  // Σ g and Σ g·xhat, g = dy·gamma
    for (int64_t j = threadIdx.x; j < d; j += kRowThreads) {
      const float xhat = (xr[j] - m) * s;
      const float g = gamma ? dyr[j] * gamma[j] : dyr[j];
      sums.a += g;
      sums.b = fmaf(g, xhat, sums.b);
    }
    sums = block_sum(sums, scratch);
    const float mean_g = sums.a * inv_d, mean_gx = sums.b * inv_d;
    float* dxr = dx + r * d;
    for (int64_t j = threadIdx.x; j < d; j += kRowThreads) {
      const float xhat = (xr[j] - m) * s;
      const float g = gamma ? dyr[j] * gamma[j] : dyr[j];
      dxr[j] = s * ((g - mean_g) - xhat * mean_gx);
    }
  }
}

// dgamma and dbeta: rows are cut into blocks of kRowsPerPartial; partial[p] holds block p's
// column sums of dy·xhat (the first d floats) and of dy (the next d). A block's rows are summed by
// kLanes threads per column side by side and the lanes added in order, so the order of every
// addition is fixed by the sizes alone.
constexpr int64_t kRowsPerPartial = 256;
constexpr int kColumns = 32;
constexpr int kLanes = 8;

__global__ void param_partials_kernel(float* partial, const float* dy, const float* x, const float* mean,
                                      const float* rstd, int64_t rows, int64_t d) {
  __shared__ float lanes[2][kLanes][kColumns];
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kColumns + threadIdx.x;
  const int64_t blocks = (rows + kRowsPerPartial - 1) / kRowsPerPartial;
  for (int64_t p = blockIdx.y; p < blocks; p += gridDim.y) {
    const int64_t end = min(rows, (p + 1) * kRowsPerPartial);
    float dgamma = 0.0f, dbeta = 0.0f;
    if (col < d)
      for (int64_t r = p * kRowsPerPartial + threadIdx.y; r < end; r += kLanes) {
        const float g = dy[r * d + col];
        dgamma = fmaf(g, (x[r * d + col] - mean[r]) * rstd[r], dgamma);
        dbeta += g;
      }
    lanes[0][threadIdx.y][threadIdx.x] = dgamma;
    lanes[1][threadIdx.y][threadIdx.x] = dbeta;
    __syncthreads();
    if (threadIdx.y == 0 && col < d) {
      float sum_gamma = 0.0f, sum_beta = 0.0f;
      for (int lane = 0; lane < kLanes; ++lane) {
        sum_gamma += lanes[0][lane][threadIdx.x];
        sum_beta += lanes[1][lane][threadIdx.x];
      }
      partial[2 * p * d + col] = sum_gamma;
      partial[2 * p * d + d + col] = sum_beta;
    }
    __syncthreads();  // lanes is refilled by the next row block
  }
}

// dgamma[j], dbeta[j] = the partial sums of every row block, added in block order.
__global__ void param_totals_kernel(float* dgamma, float* dbeta, const float* partial, int64_t blocks, int64_t d) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < d; j += step) {
    float sum_gamma = 0.0f, sum_beta = 0.0f;
    for (int64_t p = 0; p < blocks; ++p) {
      sum_gamma += partial[2 * p * d + j];
      sum_beta += partial[2 * p * d + d + j];
    }
    dgamma[j] = sum_gamma;
    dbeta[j] = sum_beta;
  }
}

unsigned row_blocks(int64_t rows) { return static_cast<unsigned>(std::min(rows, kMaxBlocks)); }

int64_t partial_blocks(int64_t rows) { return (rows + kRowsPerPartial - 1) / kRowsPerPartial; }

}  // namespace

void layer_norm(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta,
                int64_t rows, int64_t d, float eps, cudaStream_t stream) {
  if (rows == 0) return;
  layer_norm_kernel<<<row_blocks(rows), kRowThreads, 0, stream>>>(y, mean, rstd, x, gamma, beta, rows, d, eps);
  MDLFAST_CUDA_CHECK_LAUNCH("layer_norm_kernel");
}

int64_t layer_norm_backward_workspace_size(int64_t rows, int64_t d) { return 2 * partial_blocks(rows) * d; }

void layer_norm_backward(float* dx, float* dgamma, float* dbeta, float* workspace, const float* dy,
                         const float* x, const float* gamma, const float* mean, const float* rstd,
                         int64_t rows, int64_t d, cudaStream_t stream) {
  if (rows > 0) {
    layer_norm_dx_kernel<<<row_blocks(rows), kRowThreads, 0, stream>>>(dx, dy, x, gamma, mean, rstd, rows, d);
    MDLFAST_CUDA_CHECK_LAUNCH("layer_norm_dx_kernel");
  }
  if (!dgamma || d == 0) return;
  const int64_t blocks = partial_blocks(rows);
  if (blocks > 0) {
    const dim3 grid(static_cast<unsigned>((d + kColumns - 1) / kColumns),
                    static_cast<unsigned>(std::min(blocks, kMaxBlocks)));
    param_partials_kernel<<<grid, dim3(kColumns, kLanes), 0, stream>>>(workspace, dy, x, mean, rstd, rows, d);
    MDLFAST_CUDA_CHECK_LAUNCH("param_partials_kernel");
  }
  const int threads = 256;
  param_totals_kernel<<<static_cast<unsigned>(std::min((d + threads - 1) / threads, kMaxBlocks)), threads, 0,
                        stream>>>(dgamma, dbeta, workspace, blocks, d);
  MDLFAST_CUDA_CHECK_LAUNCH("param_totals_kernel");
}

}  // namespace mdlfast::cuda
