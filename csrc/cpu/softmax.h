// softmax and log_softmax along the middle axis of a C-contiguous [outer, n, inner] array (any
// axis of an N-d array, flattened around it), and their backwards. Stable for logits of any size:
// the maximum along the axis is subtracted first. A slice of only -inf, or one holding +inf or NaN,
// gives NaN throughout, as PyTorch's.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

// y = softmax(x) (or log_softmax when `log`) along the axis of length n >= 1.
void softmax_forward(float* y, const float* x, int64_t outer, int64_t n, int64_t inner, bool log);

// From the forward's output y: dx = y·(dy - Σ dy·y) (softmax) or dx = dy - exp(y)·Σ dy (log).
void softmax_backward(float* dx, const float* dy, const float* y, int64_t outer, int64_t n,
                      int64_t inner, bool log);

}  // namespace mdlfast::cpu
