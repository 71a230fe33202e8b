// Activations compiled for avx512: the templated vector math on the Avx512 vocabulary.
#include "cpu/activation_isa.h"
#include "cpu/simd_avx512.h"
#include "cpu/vector_math.h"

namespace mdlfast::cpu {

void apply_activation_avx512(float* values, int64_t n, Activation activation) {
  vector_math::apply_activation<Avx512>(values, n, activation);
}

void activation_grad_avx512(float* dz, const float* dy, const float* y, const float* z, int64_t n,
                          Activation activation) {
  vector_math::activation_grad<Avx512>(dz, dy, y, z, n, activation);
}

}  // namespace mdlfast::cpu
