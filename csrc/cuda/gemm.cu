// A shared-memory tiled float32 GEMM on the CUDA cores. Each block computes a 64 x 64 tile of out,
// stepping through k 16 at a time; each of its 256 threads accumulates a 4 x 4 patch in registers.
// The next k-step is fetched into registers while the current one is multiplied, so global-memory
// latency hides behind the arithmetic.
#include "cuda/gemm.cuh"

#include <algorithm>
#include <cstdlib>

#include "common/cuda_check.cuh"
#include "cuda/activation.cuh"

namespace mdlfast::cuda {
namespace {

constexpr int kTile = 64;    // rows and columns of out per block
constexpr int kTileK = 16;   // depth of one k-step
constexpr int kThreads = 256;
constexpr int kPatch = 4;    // each thread computes a kPatch x kPatch patch of the tile
constexpr int kPatchesPerRow = kTile / kPatch;
constexpr int kLoadsPerThread = kTile * kTileK / kThreads;  // per operand and k-step
// Padding a shared row by 4 floats spreads k-major stores over more banks and keeps every row
// 16-byte aligned for the float4 reads of the inner loop.
constexpr int kSharedRow = kTile + 4;
constexpr int64_t kMaxGridZ = 65535;

static_assert(kPatchesPerRow * kPatchesPerRow == kThreads, "one thread per patch");
static_assert(kTile * kTileK % kThreads == 0, "every thread loads the same number of elements");

// An operand as a block reads it: `outer` x k, where outer is m for A and n for B (B is read as
// Bᵀ). Both tiles then sit k-major in shared memory and the inner loop treats them alike.
struct Operand {
  const float* data;
  int64_t outer_stride;
  int64_t k_stride;
  int64_t batch_stride;
  // Consecutive threads load along the axis of the smaller stride, so a warp's loads coalesce
  // for row-major and transposed operands alike.
  bool k_fastest;
};

Operand make_operand(const float* data, int64_t outer_stride, int64_t k_stride,
                     int64_t batch_stride) {
  const bool k_fastest = std::llabs(k_stride) < std::llabs(outer_stride);
  return {data, outer_stride, k_stride, batch_stride, k_fastest};
}

// The elements of a kTileK x kTile tile that one thread loads, the same for every k-step: the
// i-th sits at (outer + i * outer_step, k + i * k_step). Kept as a base and a step, rather than
// as positions, to spare registers.
struct LoadPattern {
  int outer;
  int k;
  int outer_step;
  int k_step;
};

__device__ __forceinline__ LoadPattern load_pattern(bool k_fastest) {
  const int t = static_cast<int>(threadIdx.x);
  if (k_fastest) return {t / kTileK, t % kTileK, kThreads / kTileK, 0};
  return {t % kTile, t / kTile, 0, kThreads / kTile};
}

// This thread's share of the k-step whose tile starts at `origin`, with `outer_left` rows of the
// operand and `k_left` steps of k left from there; zeros past the edges, so the inner loop needs
// no bounds checks.
__device__ __forceinline__ void fetch_tile(float (&regs)[kLoadsPerThread], const float* origin,
                                           const Operand& op, const LoadPattern& at,
                                           int64_t outer_left, int64_t k_left) {
#pragma unroll
  for (int i = 0; i < kLoadsPerThread; ++i) {
    const int outer = at.outer + i * at.outer_step;
    const int kk = at.k + i * at.k_step;
    const bool inside = outer < outer_left && kk < k_left;
    regs[i] = inside ? origin[outer * op.outer_stride + kk * op.k_stride] : 0.0f;
  }
}

__device__ __forceinline__ void store_tile(float (*tile)[kSharedRow],
                                           const float (&regs)[kLoadsPerThread],
                                           const LoadPattern& at) {
#pragma unroll
  for (int i = 0; i < kLoadsPerThread; ++i)
    tile[at.k + i * at.k_step][at.outer + i * at.outer_step] = regs[i];
}

// z = alpha·acc + beta·c + bias, out = activation(z), in the CPU kernel's order of operations.
__device__ __forceinline__ void store_patch(float* out, const float (&acc)[kPatch][kPatch],
                                            const GemmEpilogue& ep, int64_t item, int64_t row0,
                                            int64_t col0, int64_t m, int64_t n) {
#pragma unroll
  for (int i = 0; i < kPatch; ++i) {
    const int64_t row = row0 + i;
    if (row >= m) break;
#pragma unroll
    for (int j = 0; j < kPatch; ++j) {
      const int64_t col = col0 + j;
      if (col >= n) break;
      float z = ep.alpha * acc[i][j];
      if (ep.beta != 0.0f) z += ep.beta * ep.c.data[item * ep.c.bs + row * ep.c.rs + col * ep.c.cs];
      if (ep.bias) z += ep.bias[col];
      const int64_t at = (item * m + row) * n + col;
      if (ep.preactivation) ep.preactivation[at] = z;
      out[at] = activate(z, ep.activation);
    }
  }
}

// Two blocks per SM, so at most 128 registers a thread: ptxas then keeps the inner loop's
// shared-memory reads in flight without spilling (left free, it spills on sm_90).
__global__ void __launch_bounds__(kThreads, 2)
    gemm_kernel(float* out, Operand a, Operand b, int64_t batch, int64_t m, int64_t n, int64_t k,
                int64_t tiles_n, GemmEpilogue ep) {
  __shared__ __align__(16) float a_tile[kTileK][kSharedRow];
  __shared__ __align__(16) float b_tile[kTileK][kSharedRow];

  const int64_t row0 = blockIdx.x / tiles_n * kTile;
  const int64_t col0 = blockIdx.x % tiles_n * kTile;
  const int patch_row = static_cast<int>(threadIdx.x) / kPatchesPerRow * kPatch;
  const int patch_col = static_cast<int>(threadIdx.x) % kPatchesPerRow * kPatch;

  const LoadPattern a_pattern = load_pattern(a.k_fastest);
  const LoadPattern b_pattern = load_pattern(b.k_fastest);

  // Batches beyond the grid's z limit are taken in turns; the loop is uniform across the block,
  // so the barriers inside stay valid.
  for (int64_t item = blockIdx.z; item < batch; item += gridDim.z) {
    const float* a_origin = a.data + item * a.batch_stride + row0 * a.outer_stride;
    const float* b_origin = b.data + item * b.batch_stride + col0 * b.outer_stride;
    float acc[kPatch][kPatch] = {};
    float a_next[kLoadsPerThread];
    float b_next[kLoadsPerThread];
    fetch_tile(a_next, a_origin, a, a_pattern, m - row0, k);
    fetch_tile(b_next, b_origin, b, b_pattern, n - col0, k);

    for (int64_t k0 = 0; k0 < k; k0 += kTileK) {
      store_tile(a_tile, a_next, a_pattern);
      store_tile(b_tile, b_next, b_pattern);
      __syncthreads();
      if (k0 + kTileK < k) {
        a_origin += kTileK * a.k_stride;
        b_origin += kTileK * b.k_stride;
        fetch_tile(a_next, a_origin, a, a_pattern, m - row0, k - k0 - kTileK);
        fetch_tile(b_next, b_origin, b, b_pattern, n - col0, k - k0 - kTileK);
      }
#pragma unroll
      for (int kk = 0; kk < kTileK; ++kk) {
        const float4 a4 = *reinterpret_cast<const float4*>(&a_tile[kk][patch_row]);
        const float4 b4 = *reinterpret_cast<const float4*>(&b_tile[kk][patch_col]);
        const float av[kPatch] = {a4.x, a4.y, a4.z, a4.w};
        const float bv[kPatch] = {b4.x, b4.y, b4.z, b4.w};
#pragma unroll
        for (int i = 0; i < kPatch; ++i)
#pragma unroll
          for (int j = 0; j < kPatch; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
      }
      __syncthreads();  // the tiles are overwritten by the next k-step
    }
    store_patch(out, acc, ep, item, row0 + patch_row, col0 + patch_col, m, n);
  }
}

}  // namespace

void gemm(float* out, const StridedMatrix& a, const StridedMatrix& b, int64_t batch, int64_t m,
          int64_t n, int64_t k, const GemmEpilogue& epilogue, cudaStream_t stream) {
  if (batch <= 0 || m <= 0 || n <= 0) return;  // nothing to write; an empty grid is an error
  const int64_t tiles_m = (m + kTile - 1) / kTile;
  const int64_t tiles_n = (n + kTile - 1) / kTile;
  const dim3 grid(static_cast<unsigned>(tiles_m * tiles_n), 1,
                  static_cast<unsigned>(std::min(batch, kMaxGridZ)));
  gemm_kernel<<<grid, kThreads, 0, stream>>>(out, make_operand(a.data, a.rs, a.cs, a.bs),
                                             make_operand(b.data, b.cs, b.rs, b.bs), batch, m, n,
                                             k, tiles_n, epilogue);
  MDLFAST_CUDA_CHECK_LAUNCH("gemm_kernel");
}

}  // namespace mdlfast::cuda
