// The convolution forward pass as an implicit GEMM. The weights are packed once per call into
// micro-kernel row panels; each thread takes a unit of work (an image, a group, a run of pixel
// panels), packs every column panel of nr output pixels straight from x and multiplies it by all
// the weight panels while it is hot in L1. Units own disjoint outputs and sum in a fixed order,
// so the result does not depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <new>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/conv.h"
#include "cpu/conv_channels.h"
#include "cpu/conv_columns.h"
#include "cpu/conv_direct.h"

namespace mdlfast::cpu {

using namespace conv_detail;

namespace {

// Depth of a K block: the packed column panel (kc x nr) stays in L1, a weight block (Og x kc)
// in L2.
constexpr int64_t kKcMax = 384;
// Pixel panels per unit of work: enough work per unit to amortise the scheduling, enough units
// to balance the threads.
constexpr int64_t kPanelsPerUnit = 8;
// Up to this many output channels per group (with width stride 1) the direct convolution wins:
// the implicit GEMM would reuse each packed column value this few times only.
constexpr int64_t kDirectMaxOutputs = 16;

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

DirectConvFn direct_conv_kernel() {
  switch (active_isa()) {
    case Isa::avx512: return direct_conv_avx512;
    case Isa::avx2: return direct_conv_avx2;
    default: return direct_conv_generic;
  }
}

ChannelConvFn channel_conv_kernel() {
  switch (active_isa()) {
    case Isa::avx512: return channel_conv_avx512;
    case Isa::avx2: return channel_conv_avx2;
    default: return nullptr;
  }
}

// Runs kernel(y_plane, xp, hp, wp, g) for every image and group, one unit each, where xp holds the
// group's input planes zero-padded to hp x wp (a copy, unless there is no padding).
template <class Kernel>
void for_each_padded_plane(float* y, const float* x, const ConvShape& s, const Kernel& kernel) {
  const int64_t cg = s.group_channels(), og = s.group_outputs();
  const int64_t hp = s.h + 2 * s.ph, wp = s.w + 2 * s.pw;
  const bool padded = s.ph > 0 || s.pw > 0;
  const int64_t units = s.n * s.groups;
  const int team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), units)));
  const int64_t buffer_size = padded ? round_up(cg * hp * wp, 16) : 0;
  AlignedFloats buffers = aligned_floats(team * buffer_size);

#pragma omp parallel for num_threads(team) schedule(dynamic) if (team > 1)
  for (int64_t unit = 0; unit < units; ++unit) {
    const float* x_plane = x + unit * cg * s.h * s.w;  // (n * groups + g) * cg planes
    const float* xp = x_plane;
    if (padded) {
      float* buffer = buffers.get() + omp_get_thread_num() * buffer_size;
      std::fill(buffer, buffer + cg * hp * wp, 0.0f);
      copy_into_padded(buffer, x_plane, cg, s);
      xp = buffer;
    }
    kernel(y + unit * og * s.pixels(), xp, hp, wp, unit % s.groups);
  }
}

void conv2d_direct(float* y, const float* x, const float* w, const float* b, const ConvShape& s) {
  const DirectConvFn kernel = direct_conv_kernel();
  const int64_t og = s.group_outputs(), k = s.group_k();
  for_each_padded_plane(y, x, s, [&](float* y_plane, const float* xp, int64_t hp, int64_t wp, int64_t g) {
    kernel(y_plane, xp, hp, wp, w + g * og * k, b ? b + g * og : nullptr, s);
  });
}

void conv2d_channels(ChannelConvFn kernel, int vector_width, float* y, const float* x,
                     const float* w, const float* b, const ConvShape& s) {
  const int64_t og = s.group_outputs(), k = s.group_k();
  const int64_t og_pad = round_up(og, vector_width);
  // wt [groups][k][og_pad]: each group's weights transposed, zero beyond og.
  AlignedFloats wt = aligned_floats(s.groups * k * og_pad);
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t kk = 0; kk < k; ++kk) {
      float* row = wt.get() + (g * k + kk) * og_pad;
      for (int64_t o = 0; o < og; ++o) row[o] = w[(g * og + o) * k + kk];
      std::fill(row + og, row + og_pad, 0.0f);
    }
  const OffsetTables tables = offset_tables(s);
  const ConvOffsets offsets = tables.view();
  for_each_padded_plane(y, x, s, [&](float* y_plane, const float* xp, int64_t, int64_t, int64_t g) {
    kernel(y_plane, xp, offsets, wt.get() + g * k * og_pad, og, og_pad, b ? b + g * og : nullptr);
  });
}

}  // namespace

bool conv_shape_valid(const ConvShape& s) {
  if (s.n < 0 || s.c < 1 || s.h < 1 || s.w < 1 || s.o < 1 || s.kh < 1 || s.kw < 1) return false;
  if (s.sh < 1 || s.sw < 1 || s.dh < 1 || s.dw < 1 || s.ph < 0 || s.pw < 0 || s.groups < 1) return false;
  if (s.c % s.groups || s.o % s.groups) return false;
  const int64_t span_h = s.dh * (s.kh - 1) + 1, span_w = s.dw * (s.kw - 1) + 1;
  if (s.h + 2 * s.ph < span_h || s.w + 2 * s.pw < span_w) return false;
  return s.oh == (s.h + 2 * s.ph - span_h) / s.sh + 1 && s.ow == (s.w + 2 * s.pw - span_w) / s.sw + 1;
}

void conv2d(float* y, const float* x, const float* w, const float* b, const ConvShape& s) {
  if (s.n == 0) return;
  const ChannelConvFn channels = channel_conv_kernel();
  const int width = active_isa() == Isa::avx512 ? 16 : 8;
  if (channels && s.group_outputs() >= width) {
    conv2d_channels(channels, width, y, x, w, b, s);
    return;
  }
  if (s.sw == 1 && s.group_outputs() <= kDirectMaxOutputs) {
    conv2d_direct(y, x, w, b, s);
    return;
  }
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

void im2col(float* cols, const float* x, const ConvShape& s) {
  const int64_t rows = s.c * s.taps(), pixels = s.pixels();
  const int64_t total = s.n * rows;
  const int team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), total * pixels >> 15)));
#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
  for (int64_t t = 0; t < total; ++t)
    copy_column_row(cols + t * pixels, x + t / rows * s.c * s.h * s.w, s, t % rows, 0, pixels);
}

}  // namespace mdlfast::cpu
