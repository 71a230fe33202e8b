// Losses with PyTorch's semantics: the fused softmax cross-entropy, mean squared error and binary
// cross-entropy on logits. The forwards return the sum of the per-element (per-row) losses in
// double, summed in blocks fixed by the size alone (so the same on any thread count); the caller
// divides for "mean". The backwards take `scale`, what every local gradient is multiplied by (dloss,
// over the count for "mean"), or per-element dloss (reduction "none") where `dloss` is not null.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

// probs = softmax(logits) per row of [rows, classes]; row_loss[r] = (1-ε)·(-log p[label]) +
// ε/classes·(-Σ log p), or 0 where labels[r] == ignore_index (labels are otherwise in
// [0, classes), checked by the caller). Returns Σ row_loss.
double cross_entropy(float* probs, float* row_loss, const float* logits, const int64_t* labels,
                     int64_t rows, int64_t classes, int64_t ignore_index, float label_smoothing);

// dlogits = (probs - (1-ε)·onehot - ε/classes)·(dloss ? dloss[r] : scale); 0 on ignored rows.
// dlogits may alias probs (each row is read before it is written).
void cross_entropy_backward(float* dlogits, const float* probs, const int64_t* labels,
                            const float* dloss, float scale, int64_t rows, int64_t classes,
                            int64_t ignore_index, float label_smoothing);

// loss[i] = (pred[i] - target[i])² written where `loss` is not null; returns Σ loss.
double mse(float* loss, const float* pred, const float* target, int64_t n);

// dpred = 2·(pred - target)·(dloss ? dloss[i] : scale).
void mse_backward(float* dpred, const float* pred, const float* target, const float* dloss,
                  float scale, int64_t n);

// loss[i] = (1 - t)·x + w·softplus(-x), w = 1 + (pos_weight[i % classes] - 1)·t (1 where pos_weight
// is null), over n elements whose last axis has `classes`; written where `loss` is not null.
double bce_with_logits(float* loss, const float* logits, const float* target, const float* pos_weight,
                       int64_t n, int64_t classes);

// dlogits = (σ(x) - t) (no pos_weight) or ((1 - t) - w·σ(-x)), times (dloss ? dloss[i] : scale).
void bce_with_logits_backward(float* dlogits, const float* logits, const float* target,
                              const float* pos_weight, const float* dloss, float scale, int64_t n,
                              int64_t classes);

}  // namespace mdlfast::cpu
