// Softmax kernels compiled for avx2: the templated rows and columns on the Avx2 vocabulary.
#include "cpu/simd_avx2.h"
#include "cpu/softmax_isa.h"

namespace mdlfast::cpu {

SoftmaxKernels softmax_kernels_avx2() { return softmax_kernels_for<Avx2>(); }

}  // namespace mdlfast::cpu
