// The convolution forward pass as an implicit GEMM on the GEMM core's micro-kernels: per image and
// group y[Og, pixels] = w[Og, K] · cols[K, pixels]. The weights are packed once per call into
// micro-kernel row panels; each thread takes a unit of work (an image, a group, a run of pixel
// panels), packs every column panel of nr output pixels straight from x (the column matrix is
// never formed) and multiplies it by all the weight panels while it is hot in L1. A 1x1
// convolution with stride 1 and no padding packs its panels by plain copies of x: a plain GEMM.
#include <omp.h>

#include <algorithm>

#include "common/threads.h"
#include "cpu/conv.h"
#include "cpu/conv_columns.h"

namespace mdlfast::cpu::conv_detail {
namespace {

// Depth of a K block: the packed column panel (kc x nr) stays in L1, a weight block (Og x kc)
// in L2.
constexpr int64_t kKcMax = 384;
// Pixel panels per unit of work: enough work per unit to amortise the scheduling, enough units
// to balance the threads.
constexpr int64_t kPanelsPerUnit = 8;

// The weights of every group as micro-kernel panels: for group g, K block p and row panel r, the
// panel of kc x mr values starts at offset((g, p, r)).
struct PackedWeights {
  AlignedFloats data;
  Blocks k_blocks;
  int64_t row_panels;
  int64_t group_stride;
  int mr;

  const float* panel(int64_t g, int64_t p, int64_t r) const {
    return data.get() + g * group_stride + p * row_panels * k_blocks.size * mr + r * k_blocks.size * mr;
  }
};

PackedWeights pack_weights(const GemmUkernel& uk, const float* w, int64_t groups, int64_t rows,
                           int64_t k) {
  PackedWeights pw;
  pw.k_blocks = split(k, kKcMax);
  pw.row_panels = ceil_div(rows, uk.mr);
  pw.mr = uk.mr;
  pw.group_stride = pw.k_blocks.count * pw.row_panels * pw.k_blocks.size * uk.mr;
  pw.data = aligned_floats(groups * pw.group_stride);
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t p = 0; p < pw.k_blocks.count; ++p) {
      const int64_t k0 = p * pw.k_blocks.size;
      const int64_t kc = std::min(pw.k_blocks.size, k - k0);
      for (int64_t r = 0; r < pw.row_panels; ++r) {
        const int row_count = static_cast<int>(std::min<int64_t>(uk.mr, rows - r * uk.mr));
        pack_rows(uk, const_cast<float*>(pw.panel(g, p, r)), w + (g * rows + r * uk.mr) * k + k0, k,
                  row_count, kc, uk.mr);
      }
    }
  return pw;
}

}  // namespace

void conv2d_implicit_gemm(float* y, const float* x, const float* w, const float* b, const ConvShape& s) {
  const GemmUkernel uk = active_ukernel();
  const int64_t og = s.group_outputs(), k = s.group_k(), pixels = s.pixels();
  const PackedWeights pw = pack_weights(uk, w, s.groups, og, k);
  const int64_t panels = ceil_div(pixels, uk.nr);
  const int64_t units_per_plane = ceil_div(panels, kPanelsPerUnit);
  const int64_t units = s.n * s.groups * units_per_plane;
  const int team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), units)));
  const int64_t kc_max = pw.k_blocks.size;
  const int64_t panel_size = round_up(kc_max * uk.nr, 16);  // 64-byte aligned per thread
  AlignedFloats column_panels = aligned_floats(team * panel_size);

#pragma omp parallel for num_threads(team) schedule(dynamic) if (team > 1)
  for (int64_t unit = 0; unit < units; ++unit) {
    float* pb = column_panels.get() + omp_get_thread_num() * panel_size;
    const int64_t plane = unit / units_per_plane;  // n * groups + g
    const int64_t g = plane % s.groups;
    const float* x_plane = x + plane / s.groups * s.c * s.h * s.w + g * s.group_channels() * s.h * s.w;
    float* y_plane = y + plane * og * pixels;
    const int64_t first = unit % units_per_plane * kPanelsPerUnit;
    const int64_t last = std::min(panels, first + kPanelsPerUnit);
    for (int64_t jr = first; jr < last; ++jr) {
      const int64_t l0 = jr * uk.nr;
      const int cols = static_cast<int>(std::min<int64_t>(uk.nr, pixels - l0));
      for (int64_t p = 0; p < pw.k_blocks.count; ++p) {
        const int64_t k0 = p * kc_max;
        const int64_t kc = std::min(kc_max, k - k0);
        for (int64_t r = 0; r < kc; ++r) {
          float* row = pb + r * uk.nr;
          copy_column_row(row, x_plane, s, k0 + r, l0, cols);
          std::fill(row + cols, row + uk.nr, 0.0f);
        }
        for (int64_t ir = 0; ir < pw.row_panels; ++ir) {
          const int rows = static_cast<int>(std::min<int64_t>(uk.mr, og - ir * uk.mr));
          uk.run(kc, pw.panel(g, p, ir), pb, y_plane + ir * uk.mr * pixels + l0, pixels, rows, cols,
                 p > 0);
        }
      }
    }
    if (b) {
      const int64_t begin = first * uk.nr, end = std::min(pixels, last * uk.nr);
      for (int64_t oc = 0; oc < og; ++oc) {
        const float bias = b[g * og + oc];
        float* row = y_plane + oc * pixels;
        for (int64_t l = begin; l < end; ++l) row[l] += bias;
      }
    }
  }
}

}  // namespace mdlfast::cpu::conv_detail
