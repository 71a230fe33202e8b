// Attention compiled for avx512: the templated tile kernels on the Avx512 vocabulary.
#include "cpu/attention_isa.h"
#include "cpu/simd_avx512.h"

namespace mdlfast::cpu {

void attention_forward_block_avx512(float* out, float* lse, const float* q, const float* k,
                                  const float* v, const AttentionProblem& p, int64_t bh, int64_t q0,
                                  attention_tile::ForwardScratch& scratch) {
  attention_tile::forward_block<Avx512>(out, lse, q, k, v, p, bh, q0, scratch);
}

void attention_backward_item_avx512(float* dq, float* dk, float* dv, const float* dout,
                                  const float* q, const float* k, const float* v, const float* out,
                                  const float* lse, const AttentionProblem& p, int64_t bh,
                                  int64_t key_begin, int64_t key_end,
                                  attention_tile::BackwardScratch& scratch) {
  attention_tile::backward_item<Avx512>(dq, dk, dv, dout, q, k, v, out, lse, p, bh, key_begin, key_end,
                                        scratch);
}

}  // namespace mdlfast::cpu
