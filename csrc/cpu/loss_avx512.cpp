// Loss spans compiled for avx512: the templated loss math on the Avx512 vocabulary.
#include "cpu/loss_isa.h"
#include "cpu/simd_avx512.h"

namespace mdlfast::cpu {

LossKernels loss_kernels_avx512() { return loss_kernels_for<Avx512>(); }

}  // namespace mdlfast::cpu
