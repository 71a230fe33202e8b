// Recurrent layers on the CPU: one layer of an Elman RNN (tanh or relu), an LSTM or a GRU over a
// whole time-major sequence, forward and backward through time, with PyTorch's equations, weight
// layouts and gate orders (LSTM i, f, g, o; GRU r, z, n with b_hn inside r ⊙ (W_hn h + b_hn)).
//
// Sizes: T steps, N batch rows, I inputs, H hidden units, G gates (1, 4, 3); x [T, N, I],
// w_ih [G·H, I], w_hh [G·H, H], biases [G·H] or null. All arrays are C-contiguous float32.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

enum class RecurrentKind { rnn_tanh, rnn_relu, lstm, gru };

int recurrent_gates(RecurrentKind kind);  // G: 1, 1, 4, 3

struct RecurrentSizes {
  int64_t steps;   // T
  int64_t batch;   // N
  int64_t inputs;  // I
  int64_t hidden;  // H
};

// Runs the sequence and fills what the backward needs (every output is written):
//   hs [T + 1, N, H]: h0, then the hidden state after each step (y is hs[1:]);
//   cs [T + 1, N, H]: c0, then the cell states (LSTM; null otherwise);
//   gates [T, N, G·H]: the activated gates (LSTM i, f, g, o; GRU r, z, n; null for RNN);
//   hn [T, N, H]: W_hn·h + b_hn of each step (GRU; null otherwise).
// The input projection of all steps is one GEMM; each step is one GEMM against a pre-packed w_hh
// with the gate arithmetic fused, on the threads of one parallel region (one barrier per step).
void recurrent_forward(RecurrentKind kind, float* hs, float* cs, float* gates, float* hn,
                       const float* x, const float* h0, const float* c0, const float* w_ih,
                       const float* w_hh, const float* b_ih, const float* b_hh,
                       const RecurrentSizes& sizes);

// Backward through time from what recurrent_forward saved. dy [T, N, H], dh_n and dc_n [N, H] may
// be null (zero). Writes dx [T, N, I], dh0 and dc0 (LSTM) [N, H], dw_ih, dw_hh, and db_ih, db_hh
// where non-null. Each step's gate gradients come from one fused pass and the gradient of the
// previous hidden state from one GEMM; the weight gradients are one GEMM each over all steps.
// The result is the same for any thread count.
void recurrent_backward(RecurrentKind kind, float* dx, float* dh0, float* dc0, float* dw_ih,
                        float* dw_hh, float* db_ih, float* db_hh, const float* dy,
                        const float* dh_n, const float* dc_n, const float* x, const float* w_ih,
                        const float* w_hh, const float* hs, const float* cs, const float* gates,
                        const float* hn, const RecurrentSizes& sizes);

}  // namespace mdlfast::cpu
