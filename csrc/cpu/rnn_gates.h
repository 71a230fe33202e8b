// The gate arithmetic of each recurrent kind, forward and backward, written once over a SIMD
// vocabulary V (simd_avx512.h, simd_avx2.h, or rnn_tiles_generic.cpp's scalar one) and vectorised
// across hidden units. Contracts: ForwardTile / BackwardTile in rnn_tiles.h.
#pragma once

#include <algorithm>

#include "cpu/rnn_tiles.h"
#include "cpu/vector_math.h"

namespace mdlfast::cpu::rnn_gates {

namespace vm = vector_math;

template <class V>
typename V::F one_minus(typename V::F a) {
  return V::sub(V::set1(1.0f), a);
}

// Adds v to the accumulator at p (a bias gradient), when there is one.
template <class V>
void accumulate(float* p, typename V::F v, int n) {
  if (p) V::store(p, V::add(V::load(p, n), v), n);
}

template <class V>
void lstm_forward(const ForwardTile& t) {
  using F = typename V::F;
  for (int r = 0; r < t.rows; ++r) {
    const float* acc = t.acc + r * t.acc_ld;
    float* gates = t.gates + r * t.gate_ld;
    const float* c_prev = t.c_prev + r * t.hidden;
    float* c_new = t.c_new + r * t.hidden;
    float* h_new = t.h_new + r * t.hidden;
    for (int j = 0; j < t.width; j += V::kWidth) {
      const int n = std::min(V::kWidth, t.width - j);
      auto pre = [&](int g) {
        return V::add(V::load(acc + g * t.acc_gate + j, n), V::load(gates + g * t.hidden + j, n));
      };
      const F i = vm::sigmoid<V>(pre(0));
      const F f = vm::sigmoid<V>(pre(1));
      const F g = vm::tanh<V>(pre(2));
      const F o = vm::sigmoid<V>(pre(3));
      const F c = V::fmadd(f, V::load(c_prev + j, n), V::mul(i, g));
      V::store(gates + j, i, n);
      V::store(gates + t.hidden + j, f, n);
      V::store(gates + 2 * t.hidden + j, g, n);
      V::store(gates + 3 * t.hidden + j, o, n);
      V::store(c_new + j, c, n);
      V::store(h_new + j, V::mul(o, vm::tanh<V>(c)), n);
    }
  }
}

template <class V>
void lstm_backward(const BackwardTile& t) {
  using F = typename V::F;
  for (int r = 0; r < t.rows; ++r) {
    const int64_t gate_row = r * t.gate_ld, state_row = r * t.hidden;
    const float* gates = t.gates + gate_row;
    float* dg = t.dgx + gate_row;
    for (int j = 0; j < t.width; j += V::kWidth) {
      const int n = std::min(V::kWidth, t.width - j);
      F dh = V::load(t.dh + state_row + j, n);
      if (t.dy) dh = V::add(dh, V::load(t.dy + state_row + j, n));
      const F i = V::load(gates + j, n);
      const F f = V::load(gates + t.hidden + j, n);
      const F g = V::load(gates + 2 * t.hidden + j, n);
      const F o = V::load(gates + 3 * t.hidden + j, n);
      const F tanh_c = vm::tanh<V>(V::load(t.c_new + state_row + j, n));
      const F dc = V::fmadd(V::mul(dh, o), one_minus<V>(V::mul(tanh_c, tanh_c)),
                            V::load(t.dc + state_row + j, n));
      const F d[4] = {
          V::mul(V::mul(dc, g), V::mul(i, one_minus<V>(i))),
          V::mul(V::mul(dc, V::load(t.c_prev + state_row + j, n)), V::mul(f, one_minus<V>(f))),
          V::mul(V::mul(dc, i), one_minus<V>(V::mul(g, g))),
          V::mul(V::mul(dh, tanh_c), V::mul(o, one_minus<V>(o))),
      };
      for (int k = 0; k < 4; ++k) {
        V::store(dg + k * t.hidden + j, d[k], n);
        accumulate<V>(t.db_x ? t.db_x + k * t.hidden + j : nullptr, d[k], n);
      }
      V::store(t.dc + state_row + j, V::mul(dc, f), n);
    }
  }
}

template <class V>
void gru_forward(const ForwardTile& t) {
  using F = typename V::F;
  for (int r = 0; r < t.rows; ++r) {
    const float* acc = t.acc + r * t.acc_ld;
    float* gates = t.gates + r * t.gate_ld;
    const float* h_prev = t.h_prev + r * t.hidden;
    float* h_new = t.h_new + r * t.hidden;
    float* hn_row = t.hn + r * t.hidden;
    for (int j = 0; j < t.width; j += V::kWidth) {
      const int n = std::min(V::kWidth, t.width - j);
      const F rg = vm::sigmoid<V>(V::add(V::load(acc + j, n), V::load(gates + j, n)));
      const F z = vm::sigmoid<V>(V::add(V::load(acc + t.acc_gate + j, n), V::load(gates + t.hidden + j, n)));
      F hn = V::load(acc + 2 * t.acc_gate + j, n);
      if (t.b_hn) hn = V::add(hn, V::load(t.b_hn + j, n));
      const F nn = vm::tanh<V>(V::fmadd(rg, hn, V::load(gates + 2 * t.hidden + j, n)));
      V::store(gates + j, rg, n);
      V::store(gates + t.hidden + j, z, n);
      V::store(gates + 2 * t.hidden + j, nn, n);
      V::store(hn_row + j, hn, n);
      // (1 − z)·n + z·h, as n + z·(h − n)
      V::store(h_new + j, V::fmadd(z, V::sub(V::load(h_prev + j, n), nn), nn), n);
    }
  }
}

template <class V>
void gru_backward(const BackwardTile& t) {
  using F = typename V::F;
  for (int r = 0; r < t.rows; ++r) {
    const int64_t gate_row = r * t.gate_ld, state_row = r * t.hidden;
    const float* gates = t.gates + gate_row;
    for (int j = 0; j < t.width; j += V::kWidth) {
      const int n = std::min(V::kWidth, t.width - j);
      F dh = V::load(t.dh + state_row + j, n);
      if (t.dy) dh = V::add(dh, V::load(t.dy + state_row + j, n));
      const F rg = V::load(gates + j, n);
      const F z = V::load(gates + t.hidden + j, n);
      const F nn = V::load(gates + 2 * t.hidden + j, n);
      const F dn = V::mul(V::mul(dh, one_minus<V>(z)), one_minus<V>(V::mul(nn, nn)));
      const F dr = V::mul(V::mul(dn, V::load(t.hn + state_row + j, n)), V::mul(rg, one_minus<V>(rg)));
      const F dz = V::mul(V::mul(dh, V::sub(V::load(t.h_prev + state_row + j, n), nn)),
                          V::mul(z, one_minus<V>(z)));
      const F dhn = V::mul(dn, rg);
      const F dx[3] = {dr, dz, dn};
      const F dhh[3] = {dr, dz, dhn};
      for (int k = 0; k < 3; ++k) {
        V::store(t.dgx + gate_row + k * t.hidden + j, dx[k], n);
        V::store(t.dgh + gate_row + k * t.hidden + j, dhh[k], n);
        accumulate<V>(t.db_x ? t.db_x + k * t.hidden + j : nullptr, dx[k], n);
        accumulate<V>(t.db_h ? t.db_h + k * t.hidden + j : nullptr, dhh[k], n);
      }
      V::store(t.dh + state_row + j, V::mul(dh, z), n);
    }
  }
}

template <class V, bool Relu>
void rnn_forward(const ForwardTile& t) {
  for (int r = 0; r < t.rows; ++r) {
    const float* acc = t.acc + r * t.acc_ld;
    float* h = t.h_new + r * t.hidden;  // holds the input projection on entry
    for (int j = 0; j < t.width; j += V::kWidth) {
      const int n = std::min(V::kWidth, t.width - j);
      const auto a = V::add(V::load(acc + j, n), V::load(h + j, n));
      V::store(h + j, Relu ? V::max(V::set1(0.0f), a) : vm::tanh<V>(a), n);  // NaN passes relu
    }
  }
}

template <class V, bool Relu>
void rnn_backward(const BackwardTile& t) {
  using F = typename V::F;
  for (int r = 0; r < t.rows; ++r) {
    const int64_t row = r * t.hidden;  // gate_ld == hidden: one gate
    for (int j = 0; j < t.width; j += V::kWidth) {
      const int n = std::min(V::kWidth, t.width - j);
      F dh = V::load(t.dh + row + j, n);
      if (t.dy) dh = V::add(dh, V::load(t.dy + row + j, n));
      const F h = V::load(t.h_new + row + j, n);
      const F da = Relu ? V::select(V::less_equal(h, V::set1(0.0f)), V::set1(0.0f), dh)
                        : V::mul(dh, one_minus<V>(V::mul(h, h)));
      V::store(t.dgx + row + j, da, n);
      accumulate<V>(t.db_x ? t.db_x + j : nullptr, da, n);
    }
  }
}

template <class V>
RecurrentTileFns tiles_for(RecurrentKind kind) {
  switch (kind) {
    case RecurrentKind::lstm: return {lstm_forward<V>, lstm_backward<V>};
    case RecurrentKind::gru: return {gru_forward<V>, gru_backward<V>};
    case RecurrentKind::rnn_relu: return {rnn_forward<V, true>, rnn_backward<V, true>};
    default: return {rnn_forward<V, false>, rnn_backward<V, false>};
  }
}

}  // namespace mdlfast::cpu::rnn_gates
