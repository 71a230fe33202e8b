// Batch normalisation over x [n, c, s] (an [N, C, *] tensor with its spatial axes flattened),
// statistics per channel over n·s values, with PyTorch's semantics: biased variance in the
// normalisation, eps inside the square root, running statistics updated with the unbiased one.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

// Batch statistics: y = (x − mean)·invstd·gamma + beta; save_mean and save_invstd [c] receive the
// batch mean and 1/sqrt(var + eps). When running_mean/running_var are given (both or neither),
// they become (1 − momentum)·running + momentum·batch, the variance taken unbiased (n·s ≥ 2).
// gamma and beta are [c] or null.
void batch_norm_training(float* y, float* save_mean, float* save_invstd, float* running_mean,
                         float* running_var, const float* x, const float* gamma, const float* beta,
                         int64_t n, int64_t c, int64_t s, float momentum, float eps);

// Running statistics: y = (x − running_mean)·invstd·gamma + beta with invstd =
// 1/sqrt(running_var + eps); save_mean and save_invstd receive running_mean and invstd.
void batch_norm_inference(float* y, float* save_mean, float* save_invstd, const float* x,
                          const float* gamma, const float* beta, const float* running_mean,
                          const float* running_var, int64_t n, int64_t c, int64_t s, float eps);

// dx, and dgamma, dbeta ([c], both or neither; written, not accumulated) from dy and the forward's
// x, gamma (or null), mean and invstd. training: the statistics were the batch's, and dx flows
// through them; otherwise they were constants and dx = dy·gamma·invstd.
void batch_norm_backward(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                         const float* gamma, const float* mean, const float* invstd, int64_t n,
                         int64_t c, int64_t s, bool training);

}  // namespace mdlfast::cpu
