#include "cpu/attention.h"

#include <omp.h>

#include <algorithm>
#include <vector>

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
                              int64_t, int64_t, int64_t, attention_tile::BackwardScratch&);

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

// Into how many groups of key blocks the backward splits each (batch, head) item. Few items
// would leave threads idle, so they are split, up to kMinBackwardTasks tasks; the split depends on
// the problem only, never on the thread count, so the result is the same on any number of threads.
constexpr int64_t kMinBackwardTasks = 16;

int64_t key_splits(int64_t items, int64_t key_blocks) {
  if (items <= 0 || key_blocks <= 1 || items >= kMinBackwardTasks) return 1;
  return std::min(key_blocks, (kMinBackwardTasks + items - 1) / items);
}

// The first key block of split s of `splits` over `blocks` blocks (split `splits` gives the end).
int64_t split_begin(int64_t s, int64_t splits, int64_t blocks) { return s * blocks / splits; }

}  // namespace

void attention(float* out, float* lse, const float* q, const float* k, const float* v,
               const AttentionProblem& problem) {
  const ForwardBlock block = forward_block();
  const int64_t items = problem.batch * problem.heads;
  const int64_t blocks_per_item = (problem.tq + attention_tile::kQueryBlock - 1) /
                                  attention_tile::kQueryBlock;
  const int64_t tasks = items * blocks_per_item;
  const int threads = num_threads();
  // Scratch is allocated before the threads start, so that running out of memory raises
  // (MemoryError) instead of terminating inside the parallel region. Tasks are handed out
  // dynamically: under the causal mask later query blocks cost more, and on a shared machine a
  // thread that loses its core delays the call by one task only.
  std::vector<attention_tile::ForwardScratch> scratch(threads,
                                                     attention_tile::ForwardScratch(problem));
#pragma omp parallel num_threads(threads) if (threads > 1 && tasks > 1)
  {
    attention_tile::ForwardScratch& mine = scratch[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t bh = t / blocks_per_item;
      const int64_t q0 = (t % blocks_per_item) * attention_tile::kQueryBlock;
      block(out, lse, q, k, v, problem, bh, q0, mine);
    }
  }
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const float* out, const float* lse,
                        const AttentionProblem& problem) {
  const BackwardItem item = backward_item();
  const int64_t items = problem.batch * problem.heads;
  const int64_t key_blocks = (problem.tk + attention_tile::kKeyBlock - 1) / attention_tile::kKeyBlock;
  const int64_t splits = key_splits(items, key_blocks);
  const int64_t tasks = items * splits;
  const int64_t dq_size = problem.tq * problem.d;
  // With one split each task writes its item's dq directly; otherwise each task writes its share
  // to a buffer of its own, and the shares are summed in split order below.
  std::vector<float> dq_parts(splits > 1 ? static_cast<size_t>(tasks * dq_size) : 0);
  const int threads = num_threads();
  std::vector<attention_tile::BackwardScratch> scratch(threads,
                                                      attention_tile::BackwardScratch(problem));
#pragma omp parallel num_threads(threads) if (threads > 1 && tasks > 1)
  {
    attention_tile::BackwardScratch& mine = scratch[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t bh = t / splits, split = t % splits;
      const int64_t key_begin = split_begin(split, splits, key_blocks) * attention_tile::kKeyBlock;
      const int64_t key_end =
          std::min(problem.tk, split_begin(split + 1, splits, key_blocks) * attention_tile::kKeyBlock);
      float* dq_part = splits > 1 ? dq_parts.data() + t * dq_size : dq + bh * dq_size;
      item(dq_part, dk, dv, dout, q, k, v, out, lse, problem, bh, key_begin, key_end, mine);
    }
    if (splits > 1) {
#pragma omp for schedule(static)
      for (int64_t bh = 0; bh < items; ++bh) {
        float* target = dq + bh * dq_size;
        const float* parts = dq_parts.data() + bh * splits * dq_size;
        std::copy(parts, parts + dq_size, target);
        for (int64_t s = 1; s < splits; ++s)
          for (int64_t i = 0; i < dq_size; ++i) target[i] += parts[s * dq_size + i];
      }
    }
  }
}

}  // namespace mdlfast::cpu
