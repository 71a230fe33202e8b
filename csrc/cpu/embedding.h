// Embedding lookup and its gradient: y[p] = weight[indices[p]] for each of n positions.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

// The first position whose index lies outside [0, num_embeddings), or -1 when all are valid.
// The kernels below read and write out of bounds unless the caller checked this first.
int64_t first_invalid_index(const int64_t* indices, int64_t n, int64_t num_embeddings);

// y [n, dim] = the rows of weight [num_embeddings, dim] named by indices [n].
void embedding(float* y, const int64_t* indices, const float* weight, int64_t n, int64_t dim);

// dweight [num_embeddings, dim] = Σ over positions p with indices[p] == e of dy[p], with the row
// padding_idx (when >= 0) left zero. Written, not accumulated. Each row sums its positions in
// increasing order on one thread, so the result is the same for any thread count.
void embedding_backward(float* dweight, const float* dy, const int64_t* indices, int64_t n,
                        int64_t num_embeddings, int64_t dim, int64_t padding_idx);

}  // namespace mdlfast::cpu
