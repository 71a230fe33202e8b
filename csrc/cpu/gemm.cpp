// The GEMM driver: Goto-style blocking (an NC-wide slab of B packed once per KC step and shared by
// all threads, an MC x KC block of A packed into panels), the ISA's micro-kernel over the tiles,
// and the epilogue applied to each tile right after its last KC step, while it is still in cache.
#include "cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/activation.h"
#include "cpu/gemm_ukernel.h"

namespace mdlfast::cpu {
namespace {

// Cache budgets, in floats. The packed MC x KC block of A stays in L2 (half of Zen 4's 1 MiB) and
// is streamed once per B panel; the packed KC x NC slab of B stays in L3. A tall A gets
// MC = 336 rows and KC = 390; a short one (a batch of 64 rows, say) gets a deeper KC and so
// fewer passes over C and fewer thread barriers.
constexpr int64_t kBlockAFloats = int64_t{128} * 1024;
constexpr int64_t kSlabBFloats = int64_t{1536} * 1024;
constexpr int64_t kMcRows = 336;
constexpr int64_t kKcMin = 256;

// Below this many multiply-adds a GEMM runs on one thread: waking a team costs more.
constexpr int64_t kMinWorkPerThread = int64_t{1} << 17;
// Batches whose items are smaller than this run one item per thread.
constexpr int64_t kSmallItemWork = int64_t{1} << 21;

GemmUkernel active_ukernel() {
  switch (active_isa()) {
    case Isa::avx512: return gemm_ukernel_avx512();
    case Isa::avx2: return gemm_ukernel_avx2();
    default: return gemm_ukernel_generic();
  }
}

int64_t round_up(int64_t x, int64_t multiple) { return (x + multiple - 1) / multiple * multiple; }
int64_t ceil_div(int64_t x, int64_t d) { return (x + d - 1) / d; }

// Thread `me` of `team` takes the contiguous share [begin, end) of `count` items.
struct Range {
  int64_t begin;
  int64_t end;
};
Range share(int64_t count, int me, int team) { return {count * me / team, count * (me + 1) / team}; }

// Packing buffers, kept per calling thread and grown on demand: a fresh multi-MiB allocation per
// call would cost page faults comparable to a small GEMM.
class Workspace {
 public:
  ~Workspace() { std::free(data_); }
  float* get(int64_t count) {
    const size_t bytes = static_cast<size_t>(round_up(std::max<int64_t>(count, 16), 16)) * sizeof(float);
    if (bytes > capacity_) {
      std::free(data_);
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) {
        capacity_ = 0;
        throw std::bad_alloc();
      }
      capacity_ = bytes;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

Workspace& workspace_a() {
  thread_local Workspace ws;
  return ws;
}
Workspace& workspace_b() {
  thread_local Workspace ws;
  return ws;
}

// Packs one panel: dst[k * width + i] = src[i * si + k * sk] for i < rows and k < kc, with
// rows <= i < width zero. An A panel reads rows of A (si = rs, sk = cs), a B panel columns of B
// (si = cs, sk = rs).
void pack_panel(const GemmUkernel& uk, float* __restrict dst, const float* src, int64_t si,
                int64_t sk, int rows, int64_t kc, int width) {
  if (sk == 1 && uk.pack_transposed) {
    uk.pack_transposed(dst, src, si, rows, kc, width);
    return;
  }
  if (si == 1) {
    pack_panel_direct(uk, dst, src, sk, rows, kc, width);
    return;
  }
  // Gather, a few k at a time so the destination rows being filled stay in L1.
  constexpr int64_t kStep = 16;
  for (int64_t kb = 0; kb < kc; kb += kStep) {
    const int64_t kend = std::min(kc, kb + kStep);
    for (int i = 0; i < rows; ++i) {
      const float* s = src + i * si + kb * sk;
      for (int64_t k = kb; k < kend; ++k, s += sk) dst[k * width + i] = *s;
    }
    for (int64_t k = kb; k < kend; ++k)
      for (int i = rows; i < width; ++i) dst[k * width + i] = 0.0f;
  }
}

bool epilogue_is_identity(const GemmEpilogue& ep) {
  return ep.alpha == 1.0f && ep.beta == 0.0f && !ep.bias && ep.activation == Activation::none &&
         !ep.preactivation;
}

// Applies the epilogue to rows x cols of the output starting at (row0, col0); `c_item` and
// `pre_item` are the batch item's c view and pre-activation output.
void epilogue_tile(float* out, int64_t ldo, int64_t row0, int64_t col0, int64_t rows, int64_t cols,
                   const GemmEpilogue& ep, const float* c_item, float* pre_item) {
  for (int64_t i = 0; i < rows; ++i) {
    float* row = out + (row0 + i) * ldo + col0;
    if (ep.alpha != 1.0f)
      for (int64_t j = 0; j < cols; ++j) row[j] *= ep.alpha;
    if (ep.beta != 0.0f) {
      const float* c_row = c_item + (row0 + i) * ep.c.rs + col0 * ep.c.cs;
      for (int64_t j = 0; j < cols; ++j) row[j] += ep.beta * c_row[j * ep.c.cs];
    }
    if (ep.bias)
      for (int64_t j = 0; j < cols; ++j) row[j] += ep.bias[col0 + j];
    if (pre_item) std::memcpy(pre_item + (row0 + i) * ldo + col0, row, sizeof(float) * cols);
    apply_activation(row, cols, ep.activation);
  }
}

struct ItemViews {
  float* out;
  const float* a;
  const float* b;
  const float* c;
  float* pre;
};

ItemViews item_views(float* out, const StridedMatrix& a, const StridedMatrix& b,
                     const GemmEpilogue& ep, int64_t item, int64_t m, int64_t n) {
  return {out + item * m * n, a.data + item * a.bs, b.data + item * b.bs,
          ep.c.data ? ep.c.data + item * ep.c.bs : nullptr,
          ep.preactivation ? ep.preactivation + item * m * n : nullptr};
}

// One m x n x k product on `threads` threads (a team of one runs inline).
void gemm_item(const ItemViews& v, const StridedMatrix& a, const StridedMatrix& b, int64_t m,
               int64_t n, int64_t k, const GemmEpilogue& ep, const GemmUkernel& uk, int threads) {
  if (k == 0) {
    std::fill(v.out, v.out + m * n, 0.0f);
    epilogue_tile(v.out, n, 0, 0, m, n, ep, v.c, v.pre);
    return;
  }
  const int mr = uk.mr;
  const int nr = uk.nr;
  const int64_t mc_max = std::min(round_up(m, mr), round_up(kMcRows, mr));
  // K is split into equal blocks (784 = 392 + 392 rather than 390 + 390 + 4): a thin last block
  // would be mostly tile loads and stores.
  const int64_t kc_limit = std::max(kKcMin, kBlockAFloats / mc_max);
  const int64_t k_blocks = (k + kc_limit - 1) / kc_limit;
  const int64_t kc_max = (k + k_blocks - 1) / k_blocks;
  const int64_t nc_max = std::min(round_up(n, nr), std::max<int64_t>(nr, kSlabBFloats / kc_max / nr * nr));
  float* packed_a = workspace_a().get(mc_max * kc_max);
  float* packed_b = workspace_b().get(nc_max * kc_max);
  const bool plain = epilogue_is_identity(ep);

#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int team = omp_get_num_threads();
    const int me = omp_get_thread_num();
    for (int64_t jc = 0; jc < n; jc += nc_max) {
      const int64_t nc = std::min(nc_max, n - jc);
      const int64_t n_panels = (nc + nr - 1) / nr;
      for (int64_t pc = 0; pc < k; pc += kc_max) {
        const int64_t kc = std::min(kc_max, k - pc);
        const bool first = pc == 0;
        const bool last = pc + kc == k;
        for (int64_t ic = 0; ic < m; ic += mc_max) {
          const int64_t mc = std::min(mc_max, m - ic);
          const int64_t m_panels = (mc + mr - 1) / mr;
          // Tiles in column-panel-major order, a contiguous share per thread: each thread keeps
          // its B panels hot across the A panels. With the first row block, a thread packs the B
          // panels whose first tile is its own, so it mostly computes on panels it packed.
          const Range tiles = share(n_panels * m_panels, me, team);
          if (ic == 0) {
            for (int64_t jr = ceil_div(tiles.begin, m_panels); jr < ceil_div(tiles.end, m_panels); ++jr) {
              const int cols = static_cast<int>(std::min<int64_t>(nr, nc - jr * nr));
              pack_panel(uk, packed_b + jr * nr * kc, v.b + pc * b.rs + (jc + jr * nr) * b.cs, b.cs,
                         b.rs, cols, kc, nr);
            }
          }
          const Range a_share = share(m_panels, me, team);
          for (int64_t ir = a_share.begin; ir < a_share.end; ++ir) {
            const int rows = static_cast<int>(std::min<int64_t>(mr, mc - ir * mr));
            pack_panel(uk, packed_a + ir * mr * kc, v.a + (ic + ir * mr) * a.rs + pc * a.cs, a.rs,
                       a.cs, rows, kc, mr);
          }
#pragma omp barrier
          for (int64_t t = tiles.begin; t < tiles.end; ++t) {
            const int64_t jr = t / m_panels;
            const int64_t ir = t % m_panels;
            const int rows = static_cast<int>(std::min<int64_t>(mr, mc - ir * mr));
            const int cols = static_cast<int>(std::min<int64_t>(nr, nc - jr * nr));
            const int64_t row0 = ic + ir * mr;
            const int64_t col0 = jc + jr * nr;
            uk.run(kc, packed_a + ir * mr * kc, packed_b + jr * nr * kc, v.out + row0 * n + col0, n,
                   rows, cols, !first);
            if (last && !plain) epilogue_tile(v.out, n, row0, col0, rows, cols, ep, v.c, v.pre);
          }
#pragma omp barrier  // the packed blocks are repacked next
        }
      }
    }
  }
}

}  // namespace

void gemm(float* out, const StridedMatrix& a, const StridedMatrix& b, int64_t batch, int64_t m,
          int64_t n, int64_t k, const GemmEpilogue& epilogue) {
  if (batch == 0 || m == 0 || n == 0) return;
  const GemmUkernel uk = active_ukernel();
  const int64_t work = m * n * std::max<int64_t>(k, 1);
  const int64_t threads = std::max<int64_t>(1, std::min<int64_t>(num_threads(), work / kMinWorkPerThread));

  if (batch > 1 && threads > 1 && work < kSmallItemWork) {
    // Many small items: one item per thread, each with its own packing workspace.
    // An exception must not leave an OpenMP region, so a failed workspace allocation is
    // carried out of it by a flag.
    const int team = static_cast<int>(std::min<int64_t>(num_threads(), batch));
    bool out_of_memory = false;
#pragma omp parallel for num_threads(team) schedule(static)
    for (int64_t item = 0; item < batch; ++item) {
      try {
        gemm_item(item_views(out, a, b, epilogue, item, m, n), a, b, m, n, k, epilogue, uk, 1);
      } catch (const std::bad_alloc&) {
#pragma omp atomic write
        out_of_memory = true;
      }
    }
    if (out_of_memory) throw std::bad_alloc();
    return;
  }
  for (int64_t item = 0; item < batch; ++item)
    gemm_item(item_views(out, a, b, epilogue, item, m, n), a, b, m, n, k, epilogue, uk,
              static_cast<int>(threads));
}

double measure_peak_gflops(int threads, double seconds) {
  const GemmUkernel uk = active_ukernel();
  threads = std::max(1, threads);
  // Calibrate the iteration count on one thread, then time all threads running it together.
  int64_t iterations = 1 << 16;
  volatile float sink = 0.0f;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    sink = sink + uk.fma_loop(iterations);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > seconds / 4 || iterations > (int64_t{1} << 40)) break;
    iterations *= 2;
  }
  double best = 0.0;
  for (int round = 0; round < 3; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads)
    {
      const float r = uk.fma_loop(iterations);
#pragma omp critical
      sink = sink + r;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(iterations) * uk.flops_per_iteration * threads / s / 1e9);
  }
  return best;
}

}  // namespace mdlfast::cpu
