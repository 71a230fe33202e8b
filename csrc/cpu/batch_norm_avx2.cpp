// Batch-norm plane loops compiled for avx2: the templated loops on the Avx2 vocabulary.
#include "cpu/batch_norm_isa.h"
#include "cpu/simd_avx2.h"

namespace mdlfast::cpu {

batch_norm_plane::Loops batch_norm_loops_avx2() { return batch_norm_plane::loops<Avx2>(); }

}  // namespace mdlfast::cpu
