// Fused scaled dot-product attention on [batch, heads, T, d] arrays (row-major, contiguous).
//
// The kernels never hold the [Tq, Tk] score matrix: they walk it in tiles of at most
// kQueryBlock x kKeyBlock scores in a per-thread buffer, the forward with an online softmax (a
// running row maximum and sum), the backward recomputing each tile from q, k and the forward's lse.
// A query row whose keys are all masked out attends to nothing: out = 0, lse = -inf, and it passes
// no gradient.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

struct AttentionProblem {
  int64_t batch = 0, heads = 0;
  int64_t tq = 0, tk = 0;  // query and key positions
  int64_t d = 0, dv = 0;   // q/k feature size and v feature size
  float scale = 1.0f;
  bool causal = false;  // key j takes part for query i when j <= i (top-left aligned)
  // Optional boolean mask (nonzero = takes part): element (b, h, i, j) is the byte at
  // mask[b·s[0] + h·s[1] + i·s[2] + j·s[3]]; a stride of 0 broadcasts that axis.
  const uint8_t* mask = nullptr;
  int64_t mask_strides[4] = {0, 0, 0, 0};
};

// out [B, H, Tq, dv] and lse [B, H, Tq] (the row log-sum-exp of the scaled, masked scores) from
// q [B, H, Tq, d], k [B, H, Tk, d], v [B, H, Tk, dv]. Every element of out and lse is written.
void attention(float* out, float* lse, const float* q, const float* k, const float* v,
               const AttentionProblem& problem);

// dq, dk, dv (shapes of q, k, v; written, not accumulated) from dout and the forward's out and lse.
// The work is split by (batch, head) and, where those are few, by groups of key blocks chosen from
// the problem alone, so the result is the same on any number of threads.
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const float* out, const float* lse,
                        const AttentionProblem& problem);

}  // namespace mdlfast::cpu
