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

// The gate functions. A gate's value only enters sums (c = f·c + i·g, h = o·tanh c and their
// gradients), so what matters is absolute accuracy, about one float32 ulp of 1. That lets the
// step's five activations per unit (its largest cost after the product itself) be cheaper than
// vector_math's: σ(x) = 1/(1 + e^−x) with a shorter e^x and the reciprocal refined from an
// estimate instead of divided, and tanh x = 2σ(2x) − 1. Below x = −80, σ returns σ(−80) ≈ 2e−35
// rather than overflow e^−x (the estimate of 1/inf would make the Newton step NaN). NaN passes:
// V::max returns its data operand b when it is NaN.

// e^x for −104 <= x <= 80 (NaN passes) as 2^n·2^f, n = round(x·log2 e), |f| <= 1/2, with 2^f a
// degree-6 fit (8e-8 relative in float32). f comes from the rounded product x·log2 e, off by up to
// |x|·1e-7, which the gates do not feel: σ(x)(1 − σ(x)) falls far faster than |x| grows.
template <class V>
typename V::F gate_exp(typename V::F x) {
  using F = typename V::F;
  const F t = V::mul(x, V::set1(1.44269504088896341f));
  const F n = V::round(t);
  const F f = V::sub(t, n);
  F p = V::set1(1.5345811e-4f);
  p = V::fmadd(p, f, V::set1(1.3399932e-3f));
  p = V::fmadd(p, f, V::set1(9.6184891e-3f));
  p = V::fmadd(p, f, V::set1(5.5503286e-2f));
  p = V::fmadd(p, f, V::set1(2.4022646e-1f));
  p = V::fmadd(p, f, V::set1(6.9314718e-1f));
  p = V::fmadd(p, f, V::set1(1.0f));
  return V::scale_pow2(p, n);
}

template <class V>
typename V::F gate_sigmoid(typename V::F x) {
  using F = typename V::F;
  const F minus_x = V::sub(V::set1(0.0f), V::max(V::set1(-80.0f), x));
  const F e = gate_exp<V>(V::max(V::set1(-104.0f), minus_x));
  const F d = V::add(V::set1(1.0f), e);
  const F r = V::reciprocal_estimate(d);
  return V::mul(r, V::sub(V::set1(2.0f), V::mul(d, r)));
}

template <class V>
typename V::F gate_tanh(typename V::F x) {
  using F = typename V::F;
  const F s = gate_sigmoid<V>(V::add(x, x));
  return V::sub(V::add(s, s), V::set1(1.0f));
}

// The tiles copy the fields they use into locals first: the compiler cannot otherwise keep them
// in registers across the stores, which might (for all it knows) overwrite the tile description.

template <class V>
void lstm_forward(const ForwardTile& t) {
  using F = typename V::F;
  const int64_t hidden = t.hidden, acc_ld = t.acc_ld, acc_gate = t.acc_gate, gate_ld = t.gate_ld;
  const int rows = t.rows, width = t.width;
  const float* const bias = t.bias;
  for (int r = 0; r < rows; ++r) {
    const float* acc = t.acc + r * acc_ld;
    float* gates = t.gates + r * gate_ld;
    const float* c_prev = t.c_prev + r * hidden;
    float* c_new = t.c_new + r * hidden;
    float* h_new = t.h_new + r * hidden;
    for (int j = 0; j < width; j += V::kWidth) {
      const int n = std::min(V::kWidth, width - j);
      auto pre = [&](int g) {
        const F a = V::add(V::load(acc + g * acc_gate + j, n), V::load(gates + g * hidden + j, n));
        return bias ? V::add(a, V::load(bias + g * hidden + j, n)) : a;
      };
      const F i = gate_sigmoid<V>(pre(0));
      const F f = gate_sigmoid<V>(pre(1));
      const F g = gate_tanh<V>(pre(2));
      const F o = gate_sigmoid<V>(pre(3));
      const F c = V::fmadd(f, V::load(c_prev + j, n), V::mul(i, g));
      V::store(gates + j, i, n);
      V::store(gates + hidden + j, f, n);
      V::store(gates + 2 * hidden + j, g, n);
      V::store(gates + 3 * hidden + j, o, n);
      V::store(c_new + j, c, n);
      V::store(h_new + j, V::mul(o, gate_tanh<V>(c)), n);
    }
  }
}

template <class V>
void lstm_backward(const BackwardTile& t) {
  using F = typename V::F;
  const int64_t hidden = t.hidden, gate_ld = t.gate_ld;
  const int rows = t.rows, width = t.width;
  float* const db = t.db_x;
  const float* const gates_at = t.gates;
  const float* const dh_at = t.dh;
  const float* const dy_at = t.dy;
  const float* const c_at = t.c_new;
  const float* const c_prev_at = t.c_prev;
  float* const dgx_at = t.dgx;
  float* const dc_tile = t.dc;
  // Columns outside, rows inside: the tile's bias-gradient sums stay in registers.
  for (int j = 0; j < width; j += V::kWidth) {
    const int n = std::min(V::kWidth, width - j);
    F db_sum[4] = {V::set1(0.0f), V::set1(0.0f), V::set1(0.0f), V::set1(0.0f)};
    for (int r = 0; r < rows; ++r) {
      const float* gates = gates_at + r * gate_ld + j;
      float* dg = dgx_at + r * gate_ld + j;
      float* dc_at = dc_tile + r * hidden + j;
      F dh = V::load(dh_at + r * hidden + j, n);
      if (dy_at) dh = V::add(dh, V::load(dy_at + r * hidden + j, n));
      const F i = V::load(gates, n);
      const F f = V::load(gates + hidden, n);
      const F g = V::load(gates + 2 * hidden, n);
      const F o = V::load(gates + 3 * hidden, n);
      const F tanh_c = gate_tanh<V>(V::load(c_at + r * hidden + j, n));
      const F dc = V::fmadd(V::mul(dh, o), one_minus<V>(V::mul(tanh_c, tanh_c)), V::load(dc_at, n));
      const F d[4] = {
          V::mul(V::mul(dc, g), V::mul(i, one_minus<V>(i))),
          V::mul(V::mul(dc, V::load(c_prev_at + r * hidden + j, n)), V::mul(f, one_minus<V>(f))),
          V::mul(V::mul(dc, i), one_minus<V>(V::mul(g, g))),
          V::mul(V::mul(dh, tanh_c), V::mul(o, one_minus<V>(o))),
      };
      for (int k = 0; k < 4; ++k) {
        V::store(dg + k * hidden, d[k], n);
        db_sum[k] = V::add(db_sum[k], d[k]);
      }
      V::store(dc_at, V::mul(dc, f), n);
    }
    for (int k = 0; k < 4; ++k) accumulate<V>(db ? db + k * hidden + j : nullptr, db_sum[k], n);
  }
}

template <class V>
void gru_forward(const ForwardTile& t) {
  using F = typename V::F;
  const int64_t hidden = t.hidden, acc_ld = t.acc_ld, acc_gate = t.acc_gate, gate_ld = t.gate_ld;
  const int rows = t.rows, width = t.width;
  const float* const b_hn = t.b_hn;
  const float* const bias = t.bias;
  for (int r = 0; r < rows; ++r) {
    const float* acc = t.acc + r * acc_ld;
    float* gates = t.gates + r * gate_ld;
    const float* h_prev = t.h_prev + r * hidden;
    float* h_new = t.h_new + r * hidden;
    float* hn_row = t.hn + r * hidden;
    for (int j = 0; j < width; j += V::kWidth) {
      const int n = std::min(V::kWidth, width - j);
      F gx[3] = {V::load(gates + j, n), V::load(gates + hidden + j, n), V::load(gates + 2 * hidden + j, n)};
      if (bias)
        for (int k = 0; k < 3; ++k) gx[k] = V::add(gx[k], V::load(bias + k * hidden + j, n));
      const F rg = gate_sigmoid<V>(V::add(V::load(acc + j, n), gx[0]));
      const F z = gate_sigmoid<V>(V::add(V::load(acc + acc_gate + j, n), gx[1]));
      F hn = V::load(acc + 2 * acc_gate + j, n);
      if (b_hn) hn = V::add(hn, V::load(b_hn + j, n));
      const F nn = gate_tanh<V>(V::fmadd(rg, hn, gx[2]));
      V::store(gates + j, rg, n);
      V::store(gates + hidden + j, z, n);
      V::store(gates + 2 * hidden + j, nn, n);
      V::store(hn_row + j, hn, n);
      // (1 − z)·n + z·h, as n + z·(h − n)
      V::store(h_new + j, V::fmadd(z, V::sub(V::load(h_prev + j, n), nn), nn), n);
    }
  }
}

template <class V>
void gru_backward(const BackwardTile& t) {
  using F = typename V::F;
  const int64_t hidden = t.hidden, gate_ld = t.gate_ld;
  const int rows = t.rows, width = t.width;
  float* const db_x = t.db_x;
  float* const db_h = t.db_h;
  for (int r = 0; r < rows; ++r) {
    const float* gates = t.gates + r * gate_ld;
    float* dgx = t.dgx + r * gate_ld;
    float* dgh = t.dgh + r * gate_ld;
    float* dh_row = t.dh + r * hidden;
    const float* dy_row = t.dy ? t.dy + r * hidden : nullptr;
    const float* hn_row = t.hn + r * hidden;
    const float* h_prev_row = t.h_prev + r * hidden;
    for (int j = 0; j < width; j += V::kWidth) {
      const int n = std::min(V::kWidth, width - j);
      F dh = V::load(dh_row + j, n);
      if (dy_row) dh = V::add(dh, V::load(dy_row + j, n));
      const F rg = V::load(gates + j, n);
      const F z = V::load(gates + hidden + j, n);
      const F nn = V::load(gates + 2 * hidden + j, n);
      const F dn = V::mul(V::mul(dh, one_minus<V>(z)), one_minus<V>(V::mul(nn, nn)));
      const F dr = V::mul(V::mul(dn, V::load(hn_row + j, n)), V::mul(rg, one_minus<V>(rg)));
      const F dz = V::mul(V::mul(dh, V::sub(V::load(h_prev_row + j, n), nn)), V::mul(z, one_minus<V>(z)));
      const F dx[3] = {dr, dz, dn};
      const F dhh[3] = {dr, dz, V::mul(dn, rg)};
      for (int k = 0; k < 3; ++k) {
        V::store(dgx + k * hidden + j, dx[k], n);
        V::store(dgh + k * hidden + j, dhh[k], n);
        accumulate<V>(db_x ? db_x + k * hidden + j : nullptr, dx[k], n);
        accumulate<V>(db_h ? db_h + k * hidden + j : nullptr, dhh[k], n);
      }
      V::store(dh_row + j, V::mul(dh, z), n);
    }
  }
}

template <class V, bool Relu>
void rnn_forward(const ForwardTile& t) {
  const int64_t hidden = t.hidden, acc_ld = t.acc_ld;
  const int rows = t.rows, width = t.width;
  const float* const bias = t.bias;
  for (int r = 0; r < rows; ++r) {
    const float* acc = t.acc + r * acc_ld;
    float* h = t.h_new + r * hidden;  // holds the input projection on entry
    for (int j = 0; j < width; j += V::kWidth) {
      const int n = std::min(V::kWidth, width - j);
      auto a = V::add(V::load(acc + j, n), V::load(h + j, n));
      if (bias) a = V::add(a, V::load(bias + j, n));
      V::store(h + j, Relu ? V::max(V::set1(0.0f), a) : vm::tanh<V>(a), n);  // NaN passes relu
    }
  }
}

template <class V, bool Relu>
void rnn_backward(const BackwardTile& t) {
  using F = typename V::F;
  const int64_t hidden = t.hidden;  // gate_ld == hidden: one gate
  const int rows = t.rows, width = t.width;
  float* const db = t.db_x;
  for (int r = 0; r < rows; ++r) {
    float* dh_row = t.dh + r * hidden;
    const float* dy_row = t.dy ? t.dy + r * hidden : nullptr;
    const float* h_row = t.h_new + r * hidden;
    float* dg = t.dgx + r * hidden;
    for (int j = 0; j < width; j += V::kWidth) {
      const int n = std::min(V::kWidth, width - j);
      F dh = V::load(dh_row + j, n);
      if (dy_row) dh = V::add(dh, V::load(dy_row + j, n));
      const F h = V::load(h_row + j, n);
      const F da = Relu ? V::select(V::less_equal(h, V::set1(0.0f)), V::set1(0.0f), dh)
                        : V::mul(dh, one_minus<V>(V::mul(h, h)));
      V::store(dg + j, da, n);
      accumulate<V>(db ? db + j : nullptr, da, n);
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
