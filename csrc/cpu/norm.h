// Layer normalisation over the last axis of a [rows, d] matrix, with PyTorch's semantics
// (biased variance, eps inside the square root).
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

// y = (x - mean) / sqrt(var + eps) * gamma + beta per row; mean[r] and rstd[r] = 1/sqrt(var + eps)
// are written for the backward. gamma and beta are [d] or null (no scale, no shift). d >= 1.
void layer_norm(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                const float* beta, int64_t rows, int64_t d, float eps);

// dx from dy and the forward's x, gamma (or null), mean and rstd. dgamma and dbeta ([d], both or
// neither) are written, not accumulated, and are the same for any thread count: rows are summed
// in blocks fixed by `rows` alone and the blocks are added in order.
void layer_norm_backward(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                         const float* gamma, const float* mean, const float* rstd, int64_t rows,
                         int64_t d);

}  // namespace mdlfast::cpu
