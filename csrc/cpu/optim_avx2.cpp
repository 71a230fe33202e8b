// Optimizer steps compiled for avx2: the templated optimizer math on the Avx2 vocabulary.
#include "cpu/optim_isa.h"
#include "cpu/optim_math.h"
#include "cpu/simd_avx2.h"

namespace mdlfast::cpu {

void sgd_slice_avx2(const OptimTensor& t, int64_t begin, int64_t end, const SgdCoefficients& c) {
  optim_math::sgd_slice<Avx2>(t, begin, end, c);
}

void rmsprop_slice_avx2(const OptimTensor& t, int64_t begin, int64_t end, const RmspropCoefficients& c) {
  optim_math::rmsprop_slice<Avx2>(t, begin, end, c);
}

void adagrad_slice_avx2(const OptimTensor& t, int64_t begin, int64_t end, const AdagradCoefficients& c) {
  optim_math::adagrad_slice<Avx2>(t, begin, end, c);
}

void adam_slice_avx2(const OptimTensor& t, int64_t begin, int64_t end, const AdamCoefficients& c) {
  optim_math::adam_slice<Avx2>(t, begin, end, c);
}

}  // namespace mdlfast::cpu
