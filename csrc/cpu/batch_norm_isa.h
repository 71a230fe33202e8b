// The vectorised batch-norm plane loops (batch_norm_avx512.cpp, batch_norm_avx2.cpp), chosen by
// batch_norm.cpp from the active ISA.
#pragma once

#include "cpu/batch_norm_plane.h"

namespace mdlfast::cpu {

batch_norm_plane::Loops batch_norm_loops_avx512();
batch_norm_plane::Loops batch_norm_loops_avx2();

}  // namespace mdlfast::cpu
