#include "cpu/attention.h"

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/attention_isa.h"
#include "cpu/attention_tile.h"
#include "cpu/simd_scalar.h"

namespace mdlfast::cpu {
namespace {

using ForwardBlock = void (*)(float*, float*, const float*, const float*, const float*,
                              const AttentionProblem&, int64_t, int64_t,
                              attention_tile::ForwardScratch&);
using BackwardItem = void (*)(float*, float*, float*, const float*, const float*, const float*,
                              const float*, const float*, const float*, const AttentionProblem&,
                              int64_t, attention_tile::BackwardScratch&);

ForwardBlock forward_block() {
  switch (active_isa()) {
    case Isa::avx512: return attention_forward_block_avx512;
    case Isa::avx2: return attention_forward_block_avx2;
    default: return attention_tile::forward_block<Scalar>;
  }
}

BackwardItem backward_item() {
  switch (active_isa()) {
    case Isa::avx512: return attention_backward_item_avx512;
    case Isa::avx2: return attention_backward_item_avx2;
    default: return attention_tile::backward_item<Scalar>;
  }
}

}  // namespace

void attention(float* out, float* lse, const float* q, const float* k, const float* v,
               const AttentionProblem& problem) {
  const ForwardBlock block = forward_block();
  const int64_t items = problem.batch * problem.heads;
  const int64_t blocks_per_item = (problem.tq + attention_tile::kQueryBlock - 1) /
                                  attention_tile::kQueryBlock;
  const int64_t tasks = items * blocks_per_item;
  const int threads = num_threads();
  // Tasks are handed out dynamically: under the causal mask later query blocks cost more, and on a
  // shared machine a thread that loses its core delays the call by one task only.
#pragma omp parallel num_threads(threads) if (threads > 1 && tasks > 1)
  {
    attention_tile::ForwardScratch scratch(problem);
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t bh = t / blocks_per_item;
      const int64_t q0 = (t % blocks_per_item) * attention_tile::kQueryBlock;
      block(out, lse, q, k, v, problem, bh, q0, scratch);
    }
  }
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const float* out, const float* lse,
                        const AttentionProblem& problem) {
  const BackwardItem item = backward_item();
  const int64_t items = problem.batch * problem.heads;
  const int threads = num_threads();
#pragma omp parallel num_threads(threads) if (threads > 1 && items > 1)
  {
    attention_tile::BackwardScratch scratch(problem);
#pragma omp for schedule(dynamic, 1)
    for (int64_t bh = 0; bh < items; ++bh)
      item(dq, dk, dv, dout, q, k, v, out, lse, problem, bh, scratch);
  }
}

}  // namespace mdlfast::cpu
