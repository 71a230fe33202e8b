// The attention kernels compiled per ISA (attention_avx512.cpp, attention_avx2.cpp), chosen by
// attention.cpp from the active ISA: one block of query rows forward, one (batch, head) backward.
#pragma once

#include <cstdint>

#include "cpu/attention_tile.h"

namespace mdlfast::cpu {

#define MDLFAST_ATTENTION_ISA(isa)                                                               \
  void attention_forward_block_##isa(float* out, float* lse, const float* q, const float* k,      \
                                     const float* v, const AttentionProblem& p, int64_t bh,       \
                                     int64_t q0, attention_tile::ForwardScratch& scratch);        \
  void attention_backward_item_##isa(float* dq, float* dk, float* dv, const float* dout,          \
                                     const float* q, const float* k, const float* v,              \
                                     const float* out, const float* lse,                          \
                                     const AttentionProblem& p, int64_t bh, int64_t key_begin,    \
                                     int64_t key_end, attention_tile::BackwardScratch& scratch);
MDLFAST_ATTENTION_ISA(avx512)
MDLFAST_ATTENTION_ISA(avx2)
#undef MDLFAST_ATTENTION_ISA

}  // namespace mdlfast::cpu
