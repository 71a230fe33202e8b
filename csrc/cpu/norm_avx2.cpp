// Layer-norm rows compiled for avx2: the templated row kernels on the Avx2 vocabulary.
#include "cpu/norm_isa.h"
#include "cpu/norm_row.h"
#include "cpu/simd_avx2.h"

namespace mdlfast::cpu {

void layer_norm_row_avx2(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                         const float* beta, int64_t d, float eps) {
  norm_row::forward<Avx2>(y, mean, rstd, x, gamma, beta, d, eps);
}

void layer_norm_backward_row_avx2(float* dx, float* dgamma_acc, float* dbeta_acc, const float* dy,
                                  const float* x, const float* gamma, float mean, float rstd,
                                  int64_t d) {
  norm_row::backward<Avx2>(dx, dgamma_acc, dbeta_acc, dy, x, gamma, mean, rstd, d);
}

}  // namespace mdlfast::cpu
