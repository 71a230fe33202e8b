// Elementwise work over n elements, cut into fixed-size spans handed to threads one at a time.
// Dynamic scheduling keeps a thread that loses its core on a shared machine from delaying the
// call by more than one span.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/threads.h"

namespace mdlfast::cpu {

// Calls body(begin, count) on [0, n) in spans of kElementsPerSpan elements (the last one shorter);
// the spans depend on n alone, never on the thread count.
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

}  // namespace mdlfast::cpu
