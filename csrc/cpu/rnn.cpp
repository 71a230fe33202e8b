// The recurrent drivers. The sequence-wide products (the input projection forward; dw_ih and
// dw_hh backward, one joint product but for the GRU, and the GRU's dx) are single calls of the
// GEMM core. The per-step products are small (32 x 1024 x
// 256 for an LSTM of 256 units on a batch of 32), so they run differently: one parallel region
// covers the whole sequence; each thread owns a contiguous range of hidden units, packs the slices
// of w_hh those units need once, keeps them in its cache across the steps, and runs the GEMM
// micro-kernel on them with the gate arithmetic fused right behind each tile. A step then costs
// one barrier (StepBarrier), after which every thread sees the whole new state: each thread packs its own units'
// slice of the next step's left operand (double-buffered, so a thread that is ahead never
// overwrites what a slower one still reads).
#include "cpu/rnn.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <vector>

#include "common/gemm_types.h"
#include "common/isa.h"
#include "common/step_barrier.h"
#include "common/threads.h"
#include "cpu/gemm.h"
#include "cpu/gemm_ukernel.h"
#include "cpu/parallel_for.h"
#include "cpu/rnn_tiles.h"

namespace mdlfast::cpu {
namespace {

// Below this many multiply-adds per step the recurrence runs on one thread: a barrier per step
// would cost more than the second thread saves.
constexpr int64_t kMinStepWork = int64_t{1} << 16;
// Elements per task of the copies into and out of the joint weight-gradient product.
constexpr int64_t kCopyTask = int64_t{1} << 15;

GemmUkernel active_ukernel() {
  switch (active_isa()) {
    case Isa::avx512: return gemm_ukernel_avx512();
    case Isa::avx2: return gemm_ukernel_avx2();
    default: return gemm_ukernel_generic();
  }
}

RecurrentTileFns active_tiles(RecurrentKind kind) {
  switch (active_isa()) {
    case Isa::avx512: return recurrent_tiles_avx512(kind);
    case Isa::avx2: return recurrent_tiles_avx2(kind);
    default: return recurrent_tiles_generic(kind);
  }
}

int64_t ceil_div(int64_t x, int64_t d) { return (x + d - 1) / d; }

// Sub-buffers of a workspace start on 64-byte lines: the micro-kernels load packed panels aligned.
int64_t aligned_size(int64_t floats) { return ceil_div(floats, 16) * 16; }

struct Range {
  int64_t begin;
  int64_t end;
};
Range share(int64_t count, int me, int team) { return {count * me / team, count * (me + 1) / team}; }

// A buffer kept per calling thread and grown on demand: the backward's gate gradients are
// megabytes, and fresh pages on every call would cost as much as a step.
float* workspace(int64_t count) {
  struct Buffer {
    float* data = nullptr;
    size_t capacity = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffer;
  const size_t bytes = static_cast<size_t>((std::max<int64_t>(count, 16) + 15) / 16 * 16) * sizeof(float);
  if (bytes > buffer.capacity) {
    std::free(buffer.data);
    buffer.data = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!buffer.data) {
      buffer.capacity = 0;
      throw std::bad_alloc();
    }
    buffer.capacity = bytes;
  }
  return buffer.data;
}

// A micro-kernel panel from rows that are contiguous along k: dst[k * width + i] = src[i * si + k]
// for i < rows, zero for rows <= i < width.
void pack_rows(const GemmUkernel& uk, float* dst, const float* src, int64_t si, int rows,
               int64_t kc, int width) {
  if (uk.pack_transposed) {
    uk.pack_transposed(dst, src, si, rows, kc, width);
    return;
  }
  for (int64_t k = 0; k < kc; ++k)
    for (int i = 0; i < width; ++i) dst[k * width + i] = i < rows ? src[i * si + k] : 0.0f;
}

// Requests `rows` rows of `chunks` runs of `cols` floats each ([r * ld + c * chunk_ld], from p)
// ahead of use. The step tiles read a few hundred bytes from each of many rows a page apart,
// which the hardware prefetchers do not follow across pages.
void prefetch_rows(const float* p, int64_t ld, int rows, int chunks, int64_t chunk_ld, int cols) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < chunks; ++c)
      for (int j = 0; j < cols; j += 16) __builtin_prefetch(p + r * ld + c * chunk_ld + j, 0, 2);
}

// Packs columns [j0, j0 + cols) of the row-major [n, ld] matrix m as k-range [j0, j0 + cols) of
// its mr-row micro-kernel panels (panel p at dst + p·mr·ld): one thread's slice of a left operand.
void pack_left_columns(const GemmUkernel& uk, float* dst, const float* m, int64_t n, int64_t ld,
                       int64_t j0, int cols) {
  for (int64_t p = 0; p * uk.mr < n; ++p) {
    const int rows = static_cast<int>(std::min<int64_t>(uk.mr, n - p * uk.mr));
    pack_rows(uk, dst + p * uk.mr * ld + j0 * uk.mr, m + p * uk.mr * ld + j0, ld, rows, cols, uk.mr);
  }
}

// The hidden units are split into blocks of one micro-kernel panel width; thread ranges are
// whole blocks.
struct Blocking {
  int64_t blocks;
  int64_t panels;  // of mr batch rows
  int team;

  int cols(const GemmUkernel& uk, int64_t block, int64_t hidden) const {
    return static_cast<int>(std::min<int64_t>(uk.nr, hidden - block * uk.nr));
  }
  int rows(const GemmUkernel& uk, int64_t panel, int64_t batch) const {
    return static_cast<int>(std::min<int64_t>(uk.mr, batch - panel * uk.mr));
  }
};

Blocking blocking(const GemmUkernel& uk, const RecurrentSizes& s, int gates) {
  Blocking b;
  b.blocks = ceil_div(s.hidden, uk.nr);
  b.panels = ceil_div(s.batch, uk.mr);
  const int64_t step_work = s.batch * gates * s.hidden * s.hidden;
  b.team = step_work < kMinStepWork ? 1 : static_cast<int>(std::min<int64_t>(num_threads(), b.blocks));
  return b;
}

// The biases that add to the input projection: b_ih + b_hh, except the GRU's b_hn, which r
// multiplies. Empty when there are none.
std::vector<float> folded_bias(RecurrentKind kind, const float* b_ih, const float* b_hh, int64_t width,
                               int64_t hidden) {
  std::vector<float> bias;
  if (!b_ih && !b_hh) return bias;
  bias.assign(static_cast<size_t>(width), 0.0f);
  const int64_t hh_width = kind == RecurrentKind::gru ? 2 * hidden : width;
  for (int64_t j = 0; j < width; ++j) {
    if (b_ih) bias[j] += b_ih[j];
    if (b_hh && j < hh_width) bias[j] += b_hh[j];
  }
  return bias;
}

StridedMatrix row_major(const float* data, int64_t ld) { return {data, ld, 1, 0}; }
StridedMatrix transposed_row_major(const float* data, int64_t ld) { return {data, 1, ld, 0}; }

}  // namespace

int recurrent_gates(RecurrentKind kind) {
  switch (kind) {
    case RecurrentKind::lstm: return 4;
    case RecurrentKind::gru: return 3;
    default: return 1;
  }
}

void recurrent_forward(RecurrentKind kind, float* hs, float* cs, float* gates, float* hn,
                       const float* x, const float* h0, const float* c0, const float* w_ih,
                       const float* w_hh, const float* b_ih, const float* b_hh,
                       const RecurrentSizes& s) {
  const int g_count = recurrent_gates(kind);
  const int64_t steps = s.steps, batch = s.batch, hidden = s.hidden, width = g_count * hidden;
  const int64_t state = batch * hidden;
  const bool lstm = kind == RecurrentKind::lstm, gru = kind == RecurrentKind::gru;
  const bool rnn = !lstm && !gru;
  std::copy(h0, h0 + state, hs);
  if (lstm) std::copy(c0, c0 + state, cs);
  if (steps == 0 || batch == 0) return;

  // All steps' input projections at once, into the buffer each step then overwrites in place
  // (the gates; for the RNN, the new states themselves). The biases join in the gate tiles, where
  // the data is in registers anyway, rather than in a pass of their own over this buffer.
  float* projection = rnn ? hs + state : gates;
  const std::vector<float> bias = folded_bias(kind, b_ih, b_hh, width, hidden);
  gemm(projection, row_major(x, s.inputs), transposed_row_major(w_ih, s.inputs), 1, steps * batch,
       width, s.inputs, GemmEpilogue{});

  const GemmUkernel uk = active_ukernel();
  const RecurrentTileFns tiles = active_tiles(kind);
  const Blocking bl = blocking(uk, s, g_count);
  const int mr = uk.mr, nr = uk.nr;
  const int64_t packed_w_size = aligned_size(bl.blocks * g_count * hidden * nr);
  const int64_t packed_h_size = aligned_size(bl.panels * mr * hidden);
  const int64_t acc_size = aligned_size(int64_t{mr} * g_count * nr);
  float* const packed_w = workspace(packed_w_size + 2 * packed_h_size + bl.team * acc_size);
  float* const packed_h[2] = {packed_w + packed_w_size, packed_w + packed_w_size + packed_h_size};
  float* const acc_all = packed_h[1] + packed_h_size;
  const float* b_hn = gru && b_hh ? b_hh + 2 * hidden : nullptr;
  StepBarrier step_barrier;

#pragma omp parallel num_threads(bl.team) if (bl.team > 1)
  {
    const int me = omp_get_thread_num();
    const Range own = share(bl.blocks, me, omp_get_num_threads());
    if (me == 0) step_barrier.set_team(omp_get_num_threads());
    float* acc = acc_all + me * acc_size;
    // w_hh's rows for this thread's units, gate by gate: panel (b, g) is Bᵀ = rows
    // g·H + b·nr ... of w_hh, so h · panel gives those units' gate g.
    for (int64_t b = own.begin; b < own.end; ++b) {
      const int cols = bl.cols(uk, b, hidden);
      for (int g = 0; g < g_count; ++g)
        pack_rows(uk, packed_w + (b * g_count + g) * hidden * nr, w_hh + (g * hidden + b * nr) * hidden,
                  hidden, cols, hidden, nr);
      pack_left_columns(uk, packed_h[0], hs, batch, hidden, b * nr, cols);
    }
#pragma omp barrier
    for (int64_t t = 0; t < steps; ++t) {
      const float* left = packed_h[t % 2];
      const bool more = t + 1 < steps;
      for (int64_t b = own.begin; b < own.end; ++b) {
        const int64_t j0 = b * nr;
        const int cols = bl.cols(uk, b, hidden);
        for (int64_t p = 0; p < bl.panels; ++p) {
          const int rows = bl.rows(uk, p, batch);
          // The next step's input projection for this tile, a step ahead of its use.
          if (!rnn && more)
            prefetch_rows(gates + (t + 1) * batch * width + p * mr * width + j0, width, rows, g_count, hidden, cols);
          for (int g = 0; g < g_count; ++g)
            uk.run(hidden, left + p * mr * hidden, packed_w + (b * g_count + g) * hidden * nr,
                   acc + g * nr, int64_t{g_count} * nr, rows, cols, false);
          const int64_t at = t * state + p * mr * hidden + j0;  // this tile in a [T(+1), N, H] array
          ForwardTile tile{};
          tile.acc = acc;
          tile.acc_ld = int64_t{g_count} * nr;
          tile.acc_gate = nr;
          tile.gate_ld = width;
          tile.hidden = hidden;
          tile.gates = rnn ? nullptr : gates + t * batch * width + p * mr * width + j0;
          tile.h_prev = hs + at;
          tile.h_new = hs + state + at;
          tile.c_prev = lstm ? cs + at : nullptr;
          tile.c_new = lstm ? cs + state + at : nullptr;
          tile.bias = bias.empty() ? nullptr : bias.data() + j0;
          tile.b_hn = b_hn ? b_hn + j0 : nullptr;
          tile.hn = gru ? hn + at : nullptr;
          tile.rows = rows;
          tile.width = cols;
          tiles.forward(tile);
        }
        if (more) pack_left_columns(uk, packed_h[(t + 1) % 2], hs + (t + 1) * state, batch, hidden, j0, cols);
      }
      if (more) step_barrier.wait();
    }
  }
}

void recurrent_backward(RecurrentKind kind, float* dx, float* dh0, float* dc0, float* dw_ih,
                        float* dw_hh, float* db_ih, float* db_hh, const float* dy,
                        const float* dh_n, const float* dc_n, const float* x, const float* w_ih,
                        const float* w_hh, const float* hs, const float* cs, const float* gates,
                        const float* hn, const RecurrentSizes& s) {
  const int g_count = recurrent_gates(kind);
  const int64_t steps = s.steps, batch = s.batch, hidden = s.hidden, width = g_count * hidden;
  const int64_t state = batch * hidden, rows_all = steps * batch;
  const bool lstm = kind == RecurrentKind::lstm, gru = kind == RecurrentKind::gru;

  // dh0 and dc0 carry the running gradients of the state, from step T back to step 0.
  if (dh_n) std::copy(dh_n, dh_n + state, dh0); else std::fill(dh0, dh0 + state, 0.0f);
  if (lstm) {
    if (dc_n) std::copy(dc_n, dc_n + state, dc0); else std::fill(dc0, dc0 + state, 0.0f);
  }
  // Bias gradients are summed inside the step tiles, each column by the thread owning its unit,
  // in the same order for any thread count. Without the GRU, db_ih = db_hh = Σ dgates.
  float* db_x = gru ? db_ih : (db_ih ? db_ih : db_hh);
  float* db_h = gru ? db_hh : nullptr;
  for (float* db : {db_x, db_h})
    if (db) std::fill(db, db + width, 0.0f);

  const GemmUkernel uk = active_ukernel();
  const RecurrentTileFns tiles = active_tiles(kind);
  const Blocking bl = blocking(uk, s, g_count);
  const int mr = uk.mr, nr = uk.nr;
  const int64_t dg_size = aligned_size(rows_all * width);
  const int64_t packed_w_size = aligned_size(bl.blocks * width * nr);
  const int64_t packed_dg_size = aligned_size(bl.panels * mr * width);
  // Where the input projection's gradient is the recurrent one (all but the GRU: dgx is dgh),
  // dx_t = dg_t·w_ih runs inside the loop on the dg_t panels packed for dh anyway, with no pass
  // over all of dg later; and dw_ih, dw_hh are the two column blocks of one product
  // dgᵀ·[x | h_prev], whose GEMM packs dgᵀ (the large operand, and a transposed one) once.
  const bool one_gradient = !gru;
  const int64_t x_blocks = ceil_div(s.inputs, nr);
  const int64_t packed_wx_size = one_gradient ? aligned_size(x_blocks * width * nr) : 0;
  const int64_t joint = s.inputs + hidden;
  const int64_t joint_b_size = one_gradient ? aligned_size(rows_all * joint) : 0;
  const int64_t joint_dw_size = one_gradient ? aligned_size(width * joint) : 0;
  float* const dgx = workspace((gru ? 2 : 1) * dg_size + packed_w_size + 2 * packed_dg_size + packed_wx_size +
                               joint_b_size + joint_dw_size);
  float* const dgh = gru ? dgx + dg_size : dgx;
  float* const packed_w = dgx + (gru ? 2 : 1) * dg_size;
  float* const packed_dg[2] = {packed_w + packed_w_size, packed_w + packed_w_size + packed_dg_size};
  float* const packed_wx = packed_dg[1] + packed_dg_size;
  float* const joint_b = packed_wx + packed_wx_size;
  float* const joint_out = joint_b + joint_b_size;

  StepBarrier step_barrier;
  if (steps > 0 && batch > 0) {
#pragma omp parallel num_threads(bl.team) if (bl.team > 1)
    {
      const Range own = share(bl.blocks, omp_get_thread_num(), omp_get_num_threads());
      const Range own_x = one_gradient ? share(x_blocks, omp_get_thread_num(), omp_get_num_threads()) : Range{0, 0};
      if (omp_get_thread_num() == 0) step_barrier.set_team(omp_get_num_threads());
      // w_hh's columns for this thread's units (dh_prev = dgates · w_hh), and w_ih's for its
      // share of the inputs (dx = dgates · w_ih): contiguous rows.
      for (int64_t b = own.begin; b < own.end; ++b)
        pack_panel_direct(uk, packed_w + b * width * nr, w_hh + b * nr, hidden, bl.cols(uk, b, hidden), width, nr);
      for (int64_t b = own_x.begin; b < own_x.end; ++b)
        pack_panel_direct(uk, packed_wx + b * width * nr, w_ih + b * nr, s.inputs,
                          static_cast<int>(std::min<int64_t>(nr, s.inputs - b * nr)), width, nr);
#pragma omp barrier  // the team is set
      for (int64_t t = steps - 1; t >= 0; --t) {
        float* left = packed_dg[t % 2];
        float* dgx_t = dgx + t * batch * width;
        float* dgh_t = dgh + t * batch * width;
        for (int64_t b = own.begin; b < own.end; ++b) {
          const int64_t j0 = b * nr;
          const int cols = bl.cols(uk, b, hidden);
          for (int64_t p = 0; p < bl.panels; ++p) {
            const int64_t row = p * mr * hidden + j0;
            const int64_t at = t * state + row;
            const int64_t gate_at = p * mr * width + j0;
            BackwardTile tile{};
            tile.dh = dh0 + row;
            tile.dy = dy ? dy + at : nullptr;
            tile.dc = lstm ? dc0 + row : nullptr;
            tile.gates = gates ? gates + t * batch * width + gate_at : nullptr;
            tile.gate_ld = width;
            tile.hidden = hidden;
            tile.h_new = hs + state + at;
            tile.h_prev = hs + at;
            tile.c_new = lstm ? cs + state + at : nullptr;
            tile.c_prev = lstm ? cs + at : nullptr;
            tile.hn = gru ? hn + at : nullptr;
            tile.dgx = dgx_t + gate_at;
            tile.dgh = dgh_t + gate_at;
            tile.db_x = db_x ? db_x + j0 : nullptr;
            tile.db_h = db_h ? db_h + j0 : nullptr;
            tile.rows = bl.rows(uk, p, batch);
            tile.width = cols;
            tiles.backward(tile);
          }
          for (int g = 0; g < g_count; ++g)
            pack_left_columns(uk, left, dgh_t, batch, width, g * hidden + j0, cols);
        }
        step_barrier.wait();
        // The next step's tile inputs that come from the forward (a page apart per row), fetched
        // while the products below run.
        if (t > 0)
          for (int64_t b = own.begin; b < own.end; ++b) {
            const int cols = bl.cols(uk, b, hidden);
            const int64_t at = (t - 1) * state + b * nr;  // step t - 1's state rows, [T(+1), N, H]
            const int rows = static_cast<int>(batch);
            if (gates) prefetch_rows(gates + (t - 1) * batch * width + b * nr, width, rows, g_count, hidden, cols);
            if (dy) prefetch_rows(dy + at, hidden, rows, 1, 0, cols);
            if (lstm) prefetch_rows(cs + at, hidden, rows, 2, state, cols);  // c_prev and c_new
            if (gru) prefetch_rows(hs + at, hidden, rows, 1, 0, cols);       // h_prev
            if (gru) prefetch_rows(hn + at, hidden, rows, 1, 0, cols);
            if (!lstm && !gru) prefetch_rows(hs + state + at, hidden, rows, 1, 0, cols);  // h_new
          }
        // dh_prev (= dh0's rows for these units) = dgates_h · w_hh, added to the GRU's direct path.
        for (int64_t b = own.begin; b < own.end; ++b) {
          const int cols = bl.cols(uk, b, hidden);
          for (int64_t p = 0; p < bl.panels; ++p)
            uk.run(width, left + p * mr * width, packed_w + b * width * nr, dh0 + p * mr * hidden + b * nr,
                   hidden, bl.rows(uk, p, batch), cols, gru);
        }
        for (int64_t b = own_x.begin; b < own_x.end; ++b) {
          const int cols = static_cast<int>(std::min<int64_t>(nr, s.inputs - b * nr));
          for (int64_t p = 0; p < bl.panels; ++p)
            uk.run(width, left + p * mr * width, packed_wx + b * width * nr,
                   dx + (t * batch + p * mr) * s.inputs + b * nr, s.inputs, bl.rows(uk, p, batch), cols, false);
        }
      }
    }
  }

  const GemmEpilogue plain;
  if (one_gradient) {
    for_each_item<kCopyTask>(rows_all, joint, [&](int64_t r) {
      std::copy(x + r * s.inputs, x + (r + 1) * s.inputs, joint_b + r * joint);
      std::copy(hs + r * hidden, hs + (r + 1) * hidden, joint_b + r * joint + s.inputs);
    });
    gemm(joint_out, transposed_row_major(dgx, width), row_major(joint_b, joint), 1, width, joint, rows_all, plain);
    for_each_item<kCopyTask>(width, joint, [&](int64_t r) {
      const float* row = joint_out + r * joint;
      std::copy(row, row + s.inputs, dw_ih + r * s.inputs);
      std::copy(row + s.inputs, row + joint, dw_hh + r * hidden);
    });
  } else {
    gemm(dx, row_major(dgx, width), row_major(w_ih, s.inputs), 1, rows_all, s.inputs, width, plain);
    gemm(dw_ih, transposed_row_major(dgx, width), row_major(x, s.inputs), 1, width, s.inputs, rows_all, plain);
    gemm(dw_hh, transposed_row_major(dgh, width), row_major(hs, hidden), 1, width, hidden, rows_all, plain);
  }
  if (!gru && db_ih && db_hh) std::copy(db_ih, db_ih + width, db_hh);
}

}  // namespace mdlfast::cpu
