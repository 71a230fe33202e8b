// The per-ISA slice updates (optim_avx512.cpp, optim_avx2.cpp), chosen by optim.cpp from the
// active ISA. Same contracts as the optim_math.h templates they instantiate.
#pragma once

#include <cstdint>

#include "cpu/optim.h"
#include "cpu/optim_coefficients.h"

namespace mdlfast::cpu {

void sgd_slice_avx512(const OptimTensor& t, int64_t begin, int64_t end, const SgdCoefficients& c);
void rmsprop_slice_avx512(const OptimTensor& t, int64_t begin, int64_t end, const RmspropCoefficients& c);
void adagrad_slice_avx512(const OptimTensor& t, int64_t begin, int64_t end, const AdagradCoefficients& c);
void adam_slice_avx512(const OptimTensor& t, int64_t begin, int64_t end, const AdamCoefficients& c);

void sgd_slice_avx2(const OptimTensor& t, int64_t begin, int64_t end, const SgdCoefficients& c);
void rmsprop_slice_avx2(const OptimTensor& t, int64_t begin, int64_t end, const RmspropCoefficients& c);
void adagrad_slice_avx2(const OptimTensor& t, int64_t begin, int64_t end, const AdagradCoefficients& c);
void adam_slice_avx2(const OptimTensor& t, int64_t begin, int64_t end, const AdamCoefficients& c);

}  // namespace mdlfast::cpu
