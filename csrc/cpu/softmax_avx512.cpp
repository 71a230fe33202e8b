// Softmax kernels compiled for avx512: the templated rows and columns on the Avx512 vocabulary.
#include "cpu/simd_avx512.h"
#include "cpu/softmax_isa.h"

namespace mdlfast::cpu {

SoftmaxKernels softmax_kernels_avx512() { return softmax_kernels_for<Avx512>(); }

}  // namespace mdlfast::cpu
