// Embedding lookup and its deterministic gradient on the GPU, with the semantics of
// csrc/cpu/embedding.h. Device pointers; the work is queued on `stream`, nothing synchronises.
// The caller has checked every index lies in [0, num_embeddings).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace mdlfast::cuda {

// y [n, dim] = the rows of weight [num_embeddings, dim] named by indices [n].
void embedding(float* y, const int64_t* indices, const float* weight, int64_t n, int64_t dim,
               cudaStream_t stream);

// dweight [num_embeddings, dim] = Σ of the rows dy[p] with indices[p] == e, the padding row (when
// >= 0) zero; written, not accumulated. order [n] lists the positions sorted by index, ties in
// increasing position, and row e's positions are order[starts[e] .. starts[e + 1]); each row is
// summed in that order by one thread per column, so the result is the CPU kernel's, bit for bit.
void embedding_backward(float* dweight, const float* dy, const int64_t* order, const int64_t* starts,
                        int64_t num_embeddings, int64_t dim, int64_t padding_idx, cudaStream_t stream);

}  // namespace mdlfast::cuda
