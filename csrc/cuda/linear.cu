#include "cuda/linear.cuh"

#include <algorithm>

#include "common/cuda_check.cuh"
#include "cuda/activation.cuh"
#include "cuda/gemm.cuh"

namespace mdlfast::cuda {
namespace {

constexpr int kPointwiseThreads = 256;
// Enough blocks to fill any current GPU; larger arrays are walked with a grid-stride loop.
constexpr int64_t kMaxPointwiseBlocks = 8192;

__global__ void activation_grad_kernel(float* dz, const float* dy, const float* y, const float* z,
                                       int64_t count, Activation activation) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t i = first; i < count; i += step) dz[i] = activation_grad(dy[i], y, z, i, activation);
}

void launch_activation_grad(float* dz, const float* dy, const float* y, const float* z,
                            int64_t count, Activation activation, cudaStream_t stream) {
  if (count == 0) return;
  const int64_t blocks =
      std::min((count + kPointwiseThreads - 1) / kPointwiseThreads, kMaxPointwiseBlocks);
  activation_grad_kernel<<<static_cast<unsigned>(blocks), kPointwiseThreads, 0, stream>>>(
      dz, dy, y, z, count, activation);
  MDLFAST_CUDA_CHECK_LAUNCH("activation_grad_kernel");
}

// Column sums in fixed-size row blocks: a pass turns `rows` rows into ceil(rows / kRowsPerPartial)
// rows of partial sums, and passes repeat until one row is left. Every addition order is fixed by
// the sizes alone (no atomics), so the sums are the same on every run and every GPU.
constexpr int64_t kRowsPerPartial = 256;
constexpr int kSumColumns = 32;  // a warp reads 32 consecutive floats of a row
constexpr int kSumLanes = 8;     // rows of a block summed side by side, then combined in order
constexpr int64_t kMaxGridY = 65535;

__host__ __device__ int64_t partial_rows(int64_t rows) {
  return rows <= kRowsPerPartial ? 1 : (rows + kRowsPerPartial - 1) / kRowsPerPartial;
}

// partial[p][j] = Σ matrix[i][j] over the rows i of row block p (zero for an empty matrix).
__global__ void column_partial_sums_kernel(float* partial, const float* matrix, int64_t rows,
                                           int64_t n) {
  __shared__ float lanes[kSumLanes][kSumColumns];
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kSumColumns + threadIdx.x;
  const int64_t blocks = partial_rows(rows);
  for (int64_t p = blockIdx.y; p < blocks; p += gridDim.y) {
    const int64_t end = rows < (p + 1) * kRowsPerPartial ? rows : (p + 1) * kRowsPerPartial;
    float sum = 0.0f;
    if (col < n)
      for (int64_t i = p * kRowsPerPartial + threadIdx.y; i < end; i += kSumLanes)
        sum += matrix[i * n + col];
    lanes[threadIdx.y][threadIdx.x] = sum;
    __syncthreads();
    if (threadIdx.y == 0 && col < n) {
      float total = 0.0f;
      for (int lane = 0; lane < kSumLanes; ++lane) total += lanes[lane][threadIdx.x];
      partial[p * n + col] = total;
    }
    __syncthreads();  // lanes is refilled by the next row block
  }
}

void launch_column_partial_sums(float* partial, const float* matrix, int64_t rows, int64_t n,
                                cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((n + kSumColumns - 1) / kSumColumns),
                  static_cast<unsigned>(std::min(partial_rows(rows), kMaxGridY)));
  column_partial_sums_kernel<<<grid, dim3(kSumColumns, kSumLanes), 0, stream>>>(partial, matrix,
                                                                                rows, n);
  MDLFAST_CUDA_CHECK_LAUNCH("column_partial_sums_kernel");
}

int64_t column_sums_workspace_size(int64_t rows, int64_t n) {
  int64_t floats = 0;
  for (; rows > kRowsPerPartial; rows = partial_rows(rows)) floats += partial_rows(rows) * n;
  return floats;
}

// sums[j] = Σ_i matrix[i][j] for a contiguous rows x n matrix; workspace holds
// column_sums_workspace_size(rows, n) floats.
void column_sums(float* sums, const float* matrix, int64_t rows, int64_t n, float* workspace,
                 cudaStream_t stream) {
  if (n == 0) return;
  for (; rows > kRowsPerPartial; rows = partial_rows(rows)) {
    launch_column_partial_sums(workspace, matrix, rows, n, stream);
    matrix = workspace;
    workspace += partial_rows(rows) * n;
  }
  launch_column_partial_sums(sums, matrix, rows, n, stream);
}

}  // namespace

void linear(float* y, float* z, const StridedMatrix& x, const StridedMatrix& w, const float* bias,
            int64_t m, int64_t in, int64_t out, Activation activation, cudaStream_t stream) {
  GemmEpilogue ep;
  ep.bias = bias;
  ep.activation = activation;
  ep.preactivation = z;
  gemm(y, x, transposed(w), 1, m, out, in, ep, stream);
}

int64_t linear_backward_workspace_size(int64_t m, int64_t out, Activation activation) {
  const int64_t dz = activation == Activation::none ? 0 : m * out;
  return dz + column_sums_workspace_size(m, out);
}

void linear_backward(float* dx, float* dw, float* db, float* workspace, const float* dy,
                     const StridedMatrix& x, const StridedMatrix& w, const float* y, const float* z,
                     int64_t m, int64_t in, int64_t out, Activation activation,
                     cudaStream_t stream) {
  const float* dz = dy;
  if (activation != Activation::none) {
    launch_activation_grad(workspace, dy, y, z, m * out, activation, stream);
    dz = workspace;
    workspace += m * out;
  }
  const StridedMatrix dz_view{dz, out, 1, 0};
  gemm(dx, dz_view, w, 1, m, in, out, GemmEpilogue{}, stream);              // dx = dz · w
  gemm(dw, transposed(dz_view), x, 1, out, in, m, GemmEpilogue{}, stream);  // dw = dzᵀ · x
  column_sums(db, dz, m, out, workspace, stream);                           // db = Σ_rows dz
}

}  // namespace mdlfast::cuda
