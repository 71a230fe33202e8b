// The vectorised layer-norm row kernels (norm_avx512.cpp, norm_avx2.cpp), chosen by norm.cpp from
// the active ISA. Same contracts as norm_row::forward / norm_row::backward.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

void layer_norm_row_avx512(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                           const float* beta, int64_t d, float eps);
void layer_norm_backward_row_avx512(float* dx, float* dgamma_acc, float* dbeta_acc, const float* dy,
                                    const float* x, const float* gamma, float mean, float rstd,
                                    int64_t d);
void layer_norm_row_avx2(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                         const float* beta, int64_t d, float eps);
void layer_norm_backward_row_avx2(float* dx, float* dgamma_acc, float* dbeta_acc, const float* dy,
                                  const float* x, const float* gamma, float mean, float rstd,
                                  int64_t d);

}  // namespace mdlfast::cpu
