#include "cpu/embedding.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/parallel_for.h"

namespace mdlfast::cpu {
namespace {

// Rows are handed out dynamically, about this many elements at a time: on a machine shared with
// other processes, a thread that loses its core then delays the call by one task, not by a
// static half of the rows.
constexpr int64_t kElementsPerTask = 16384;

}  // namespace

int64_t first_invalid_index(const int64_t* indices, int64_t n, int64_t num_embeddings) {
  for (int64_t p = 0; p < n; ++p)
    if (indices[p] < 0 || indices[p] >= num_embeddings) return p;
  return -1;
}

void embedding(float* y, const int64_t* indices, const float* weight, int64_t n, int64_t dim) {
  const size_t row_bytes = static_cast<size_t>(dim) * sizeof(float);
  for_each_item<kElementsPerTask>(
      n, dim, [&](int64_t p) { std::memcpy(y + p * dim, weight + indices[p] * dim, row_bytes); });
}

void embedding_backward(float* dweight, const float* dy, const int64_t* indices, int64_t n,
                        int64_t num_embeddings, int64_t dim, int64_t padding_idx) {
  // A stable counting sort of the positions by index: the positions of row e are
  // order[start[e] .. start[e + 1]), in increasing order. Rows then never share a writer.
  std::vector<int64_t> start(static_cast<size_t>(num_embeddings) + 1, 0);
  for (int64_t p = 0; p < n; ++p) ++start[indices[p] + 1];
  for (int64_t e = 0; e < num_embeddings; ++e) start[e + 1] += start[e];
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::vector<int64_t> next(start.begin(), start.end() - 1);
  for (int64_t p = 0; p < n; ++p) order[next[indices[p]]++] = p;

  for_each_item<kElementsPerTask>(num_embeddings, dim, [&](int64_t e) {
    float* out = dweight + e * dim;
    std::fill(out, out + dim, 0.0f);
    if (e == padding_idx) return;
    for (int64_t k = start[e]; k < start[e + 1]; ++k) {
      const float* row = dy + order[k] * dim;
      for (int64_t j = 0; j < dim; ++j) out[j] += row[j];
    }
  });
}

}  // namespace mdlfast::cpu
