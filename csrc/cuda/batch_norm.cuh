// Batch normalisation on the GPU over x [n, c, s] (an [N, C, *] tensor with its spatial axes
// flattened), with the semantics of csrc/cpu/batch_norm.h (PyTorch's): biased variance in the
// normalisation, eps inside the square root, running statistics updated in place with the unbiased
// variance. One block per channel sums in double in an order fixed by the sizes: the same on
// every run. Device pointers; the work is queued on `stream`, nothing synchronises.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace mdlfast::cuda {

// Batch statistics; running_mean/running_var (both or neither) are updated when given.
void batch_norm_training(float* y, float* save_mean, float* save_invstd, float* running_mean, float* running_var,
                         const float* x, const float* gamma, const float* beta, int64_t n, int64_t c, int64_t s,
                         float momentum, float eps, cudaStream_t stream);

// Running statistics: y = (x − running_mean)·invstd·gamma + beta, invstd = 1/sqrt(running_var + eps).
void batch_norm_inference(float* y, float* save_mean, float* save_invstd, const float* x, const float* gamma,
                          const float* beta, const float* running_mean, const float* running_var, int64_t n,
                          int64_t c, int64_t s, float eps, cudaStream_t stream);

// dx, and dgamma, dbeta ([c], both or neither; written); training: dx flows through the batch
// statistics, otherwise dx = dy·gamma·invstd.
void batch_norm_backward(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x, const float* gamma,
                         const float* mean, const float* invstd, int64_t n, int64_t c, int64_t s, bool training,
                         cudaStream_t stream);

}  // namespace mdlfast::cuda
