// The parallel loops the elementwise and per-row kernels share. Work is handed to threads a
// task at a time (dynamic scheduling), so a thread that loses its core on a shared machine delays
// the call by one task only; tasks depend on the sizes alone, never on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/threads.h"

namespace mdlfast::cpu {

// Calls body(begin, count) on [0, n) in spans of kElementsPerSpan elements (the last one shorter).
template <int64_t kElementsPerSpan, class Body>
void for_each_span(int64_t n, Body body) {
  const int64_t spans = (n + kElementsPerSpan - 1) / kElementsPerSpan;
  const int threads = num_threads();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1 && spans > 1)
  for (int64_t s = 0; s < spans; ++s) {
    const int64_t begin = s * kElementsPerSpan;
    body(begin, std::min(n, begin + kElementsPerSpan) - begin);
  }
}

// Calls body(i) for i in [0, items), each item (a row, a plane) item_elements long, handed out
// about kElementsPerTask elements (at least one item) at a time; a single task's worth runs on
// the calling thread.
template <int64_t kElementsPerTask, class Body>
void for_each_item(int64_t items, int64_t item_elements, Body body) {
  const int threads = num_threads();
  const int64_t chunk = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(1, item_elements));
#pragma omp parallel for num_threads(threads) schedule(dynamic, chunk) if (threads > 1 && items > chunk)
  for (int64_t i = 0; i < items; ++i) body(i);
}

}  // namespace mdlfast::cpu
