// Batch-norm plane loops compiled for avx512: the templated loops on the Avx512 vocabulary.
#include "cpu/batch_norm_isa.h"
#include "cpu/simd_avx512.h"

namespace mdlfast::cpu {

batch_norm_plane::Loops batch_norm_loops_avx512() { return batch_norm_plane::loops<Avx512>(); }

}  // namespace mdlfast::cpu
