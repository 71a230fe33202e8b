#include "cuda/dropout.cuh"

#include <algorithm>

#include "common/cuda_check.cuh"

namespace mdlfast::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65535;

// The constants of csrc/cpu/philox.h.
constexpr uint32_t kMultiplier0 = 0xD2511F53u;
constexpr uint32_t kMultiplier1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u;
constexpr uint32_t kWeyl1 = 0xBB67AE85u;
constexpr int kRounds = 10;

// The four words of Philox-4x32-10 block `block` under key (key0, key1).
__device__ __forceinline__ uint4 philox_block(uint64_t block, uint32_t key0, uint32_t key1) {
  uint32_t c0 = static_cast<uint32_t>(block), c1 = static_cast<uint32_t>(block >> 32), c2 = 0u, c3 = 0u;
#pragma unroll
  for (int round = 0; round < kRounds; ++round) {
    const uint32_t high0 = __umulhi(kMultiplier0, c0), low0 = kMultiplier0 * c0;
    const uint32_t high1 = __umulhi(kMultiplier1, c2), low1 = kMultiplier1 * c2;
    c0 = high1 ^ c1 ^ key0;
    c2 = high0 ^ c3 ^ key1;
    c1 = low1;
    c3 = low0;
    key0 += kWeyl0;
    key1 += kWeyl1;
  }
  return make_uint4(c0, c1, c2, c3);
}

// One thread per Philox block, i.e. per 4 consecutive elements.
__global__ void dropout_kernel(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t offset, uint32_t key0,
                               uint32_t key1, uint32_t threshold, float scale) {
  const int64_t blocks = (n + 3) / 4;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += step) {
    const uint4 words4 = philox_block(offset + static_cast<uint64_t>(b), key0, key1);  // wraps mod 2^64
    const uint32_t words[4] = {words4.x, words4.y, words4.z, words4.w};
#pragma unroll
    for (int w = 0; w < 4; ++w) {
      const int64_t i = 4 * b + w;
      if (i < n) {
        const uint32_t keep = (words[w] >> 8) >= threshold ? 1u : 0u;
        mask[i] = static_cast<uint8_t>(keep);
        // The CPU kernel's arithmetic: one rounded product of x and (scale or 0).
        y[i] = __fmul_rn(x[i], scale * static_cast<float>(keep));
      }
    }
  }
}

__global__ void dropout_backward_kernel(float* dx, const float* dy, const uint8_t* mask, int64_t n, float scale) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    dx[i] = __fmul_rn(dy[i], scale * static_cast<float>(mask[i] != 0));
}

unsigned blocks_for(int64_t items) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min((items + kThreads - 1) / kThreads, kMaxBlocks)));
}

}  // namespace

void dropout(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t seed, uint64_t offset,
             uint32_t threshold, float scale, cudaStream_t stream) {
  if (n == 0) return;
  dropout_kernel<<<blocks_for((n + 3) / 4), kThreads, 0, stream>>>(
      y, mask, x, n, offset, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), threshold, scale);
  MDLFAST_CUDA_CHECK_LAUNCH("dropout_kernel");
}

void dropout_backward(float* dx, const float* dy, const uint8_t* mask, int64_t n, float scale,
                      cudaStream_t stream) {
  if (n == 0) return;
  dropout_backward_kernel<<<blocks_for(n), kThreads, 0, stream>>>(dx, dy, mask, n, scale);
  MDLFAST_CUDA_CHECK_LAUNCH("dropout_backward_kernel");
}

}  // namespace mdlfast::cuda
