// The fused gate arithmetic of one recurrent step on one tile: `rows` batch rows by `width` hidden
// units. The drivers (rnn.cpp) point each field at the tile's first row and unit; gate g of unit j
// in row r sits at [r * gate_ld + g * hidden + j], a state at [r * hidden + j]. One function per
// kind and direction, compiled per ISA (rnn_tiles_<isa>.cpp) from the templates in rnn_gates.h.
#pragma once

#include <cstdint>

#include "cpu/rnn.h"

namespace mdlfast::cpu {

struct ForwardTile {
  const float* acc;  // h·W_hhᵀ of the tile, no bias: [r * acc_ld + g * acc_gate + j]
  int64_t acc_ld;
  int64_t acc_gate;
  // In: the input projection W_ih·x. Out: the activated gates (LSTM, GRU). For the RNN it is
  // h_new itself (gate_ld = hidden), in: the projection, out: the new state.
  float* gates;
  const float* bias;  // b_ih + b_hh but for the GRU's b_hn, at [g * hidden + j]; null for none
  int64_t gate_ld;
  int64_t hidden;
  const float* h_prev;
  float* h_new;
  const float* c_prev;  // LSTM
  float* c_new;         // LSTM
  const float* b_hn;    // GRU: [j], null for no bias
  float* hn;            // GRU: W_hn·h + b_hn, [r * hidden + j]
  int rows;
  int width;
};

struct BackwardTile {
  // In: the gradient of h_new from the later steps (the recurrent GEMM's output). Out (GRU): its
  // direct path dh·z, to which the next recurrent GEMM adds.
  float* dh;
  const float* dy;  // the gradient of this step's output, or null
  float* dc;        // LSTM: in, the gradient of c_new; out, that of c_prev
  const float* gates;
  int64_t gate_ld;
  int64_t hidden;
  const float* h_new;
  const float* h_prev;  // GRU
  const float* c_new;   // LSTM
  const float* c_prev;  // LSTM
  const float* hn;      // GRU
  float* dgx;           // gradient of the input projection (and, but for the GRU, of the hidden one)
  float* dgh;           // GRU: gradient of W_hh·h + b_hh
  float* db_x;          // accumulates Σ dgx over rows ([g * hidden + j]), or null
  float* db_h;          // GRU: accumulates Σ dgh, or null
  int rows;
  int width;
};

struct RecurrentTileFns {
  void (*forward)(const ForwardTile&);
  void (*backward)(const BackwardTile&);
};

RecurrentTileFns recurrent_tiles_generic(RecurrentKind kind);
RecurrentTileFns recurrent_tiles_avx2(RecurrentKind kind);
RecurrentTileFns recurrent_tiles_avx512(RecurrentKind kind);

}  // namespace mdlfast::cpu
