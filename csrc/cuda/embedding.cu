#include "cuda/embedding.cuh"

#include <algorithm>

#include "common/cuda_check.cuh"

namespace mdlfast::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65535;

__global__ void embedding_kernel(float* y, const int64_t* indices, const float* weight, int64_t n,
                                 int64_t dim) {
  const int64_t total = n * dim;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t p = i / dim, j = i - p * dim;
    y[i] = weight[indices[p] * dim + j];
  }
}

// One block per output row (grid-stride over rows), its threads over the columns.
__global__ void embedding_backward_kernel(float* dweight, const float* dy, const int64_t* order,
                                          const int64_t* starts, int64_t num_embeddings, int64_t dim,
                                          int64_t padding_idx) {
  for (int64_t e = blockIdx.x; e < num_embeddings; e += gridDim.x) {
    const int64_t first = starts[e], last = e == padding_idx ? first : starts[e + 1];
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) {
      float sum = 0.0f;
      for (int64_t k = first; k < last; ++k) sum = __fadd_rn(sum, dy[order[k] * dim + j]);
      dweight[e * dim + j] = sum;
    }
  }
}

unsigned blocks_for(int64_t work) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min(work, kMaxBlocks)));
}

}  // namespace

void embedding(float* y, const int64_t* indices, const float* weight, int64_t n, int64_t dim,
               cudaStream_t stream) {
  if (n == 0 || dim == 0) return;
  embedding_kernel<<<blocks_for((n * dim + kThreads - 1) / kThreads), kThreads, 0, stream>>>(y, indices, weight,
                                                                                            n, dim);
  MDLFAST_CUDA_CHECK_LAUNCH("embedding_kernel");
}

void embedding_backward(float* dweight, const float* dy, const int64_t* order, const int64_t* starts,
                        int64_t num_embeddings, int64_t dim, int64_t padding_idx, cudaStream_t stream) {
  if (num_embeddings == 0 || dim == 0) return;
  const int threads = dim >= 128 ? 128 : 32;
  embedding_backward_kernel<<<blocks_for(num_embeddings), threads, 0, stream>>>(
      dweight, dy, order, starts, num_embeddings, dim, padding_idx);
  MDLFAST_CUDA_CHECK_LAUNCH("embedding_backward_kernel");
}

}  // namespace mdlfast::cuda
