// Loss spans compiled for avx2: the templated loss math on the Avx2 vocabulary.
#include "cpu/loss_isa.h"
#include "cpu/simd_avx2.h"

namespace mdlfast::cpu {

LossKernels loss_kernels_avx2() { return loss_kernels_for<Avx2>(); }

}  // namespace mdlfast::cpu
