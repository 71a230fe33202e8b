// softmax and log_softmax on the GPU along the middle axis of a C-contiguous [outer, n, inner]
// array, and their backwards, with the semantics of csrc/cpu/softmax.h: the maximum is subtracted
// first; a slice of only -inf, or one holding +inf or NaN, gives NaN throughout. Device pointers;
// the work is queued on `stream`, nothing synchronises.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace mdlfast::cuda {

void softmax_forward(float* y, const float* x, int64_t outer, int64_t n, int64_t inner, bool log,
                     cudaStream_t stream);

// dx = y·(dy - Σ dy·y) (softmax) or dx = dy - exp(y)·Σ dy (log), from the forward's output y.
void softmax_backward(float* dx, const float* dy, const float* y, int64_t outer, int64_t n, int64_t inner,
                      bool log, cudaStream_t stream);

}  // namespace mdlfast::cuda
