#include "cpu/dropout.h"

#include <algorithm>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/dropout_isa.h"
#include "cpu/dropout_span.h"

namespace mdlfast::cpu {
namespace {

using Span = void (*)(float*, uint8_t*, const float*, int64_t, uint64_t, uint32_t, uint32_t, uint32_t, float);

void portable_span(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t first_block, uint32_t key0,
                   uint32_t key1, uint32_t threshold, float scale) {
  dropout_span::forward(y, mask, x, n, first_block, key0, key1, threshold, scale);
}

Span span_for_isa() {
  switch (active_isa()) {
    case Isa::avx512: return dropout_span_avx512;
    case Isa::avx2: return dropout_span_avx2;
    default: return portable_span;
  }
}

// Elements per task, a multiple of 4 so that every task starts on a Philox block.
constexpr int64_t kElementsPerTask = 1 << 15;

template <class Body>
void for_each_task(int64_t n, Body body) {
  const int64_t tasks = (n + kElementsPerTask - 1) / kElementsPerTask;
  const int threads = num_threads();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1 && tasks > 1)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t begin = t * kElementsPerTask;
    body(begin, std::min(n, begin + kElementsPerTask) - begin);
  }
}

}  // namespace

void dropout(float* y, uint8_t* mask, const float* x, int64_t n, uint64_t seed, uint64_t offset,
             uint32_t threshold, float scale) {
  const Span span = span_for_isa();
  const auto key0 = static_cast<uint32_t>(seed), key1 = static_cast<uint32_t>(seed >> 32);
  for_each_task(n, [&](int64_t begin, int64_t count) {
    // Unsigned arithmetic wraps mod 2^64, as the counter map defines.
    span(y + begin, mask + begin, x + begin, count, offset + static_cast<uint64_t>(begin / 4), key0, key1,
         threshold, scale);
  });
}

void dropout_backward(float* dx, const float* dy, const uint8_t* mask, int64_t n, float scale) {
  for_each_task(n, [&](int64_t begin, int64_t count) {
    // mask holds 0 or 1: a product, not a branch a random mask would mispredict.
    for (int64_t i = begin; i < begin + count; ++i) dx[i] = dy[i] * (scale * static_cast<float>(mask[i]));
  });
}

}  // namespace mdlfast::cpu
