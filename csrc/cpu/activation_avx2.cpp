// Activations compiled for avx2: the templated vector math on the Avx2 vocabulary.
#include "cpu/activation_isa.h"
#include "cpu/simd_avx2.h"
#include "cpu/vector_math.h"

namespace mdlfast::cpu {

void apply_activation_avx2(float* values, int64_t n, Activation activation) {
  vector_math::apply_activation<Avx2>(values, n, activation);
}

void activation_grad_avx2(float* dz, const float* dy, const float* y, const float* z, int64_t n,
                          Activation activation) {
  vector_math::activation_grad<Avx2>(dz, dy, y, z, n, activation);
}

}  // namespace mdlfast::cpu
