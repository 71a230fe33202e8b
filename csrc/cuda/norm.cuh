// Layer normalisation over the last axis of a [rows, d] matrix on the GPU, with the semantics of
// csrc/cpu/norm.h (biased variance, eps inside the square root, the corrected two-pass
// statistics). Device pointers; the work is queued on `stream`, nothing synchronises.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace mdlfast::cuda {

// y, mean [rows], rstd [rows]; gamma and beta are [d] or null. d >= 1.
void layer_norm(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                const float* beta, int64_t rows, int64_t d, float eps, cudaStream_t stream);

// Floats of scratch memory layer_norm_backward needs for dgamma and dbeta.
int64_t layer_norm_backward_workspace_size(int64_t rows, int64_t d);

// dx from dy, x, gamma (or null), mean and rstd. dgamma and dbeta ([d], both or neither) are
// written, not accumulated, summed over row blocks fixed by `rows` alone and then over the blocks
// in order: the same on every run. workspace holds layer_norm_backward_workspace_size floats
// (may be null when dgamma is) and stays allocated until the queued work has run.
void layer_norm_backward(float* dx, float* dgamma, float* dbeta, float* workspace, const float* dy,
                         const float* x, const float* gamma, const float* mean, const float* rstd,
                         int64_t rows, int64_t d, cudaStream_t stream);

}  // namespace mdlfast::cuda
