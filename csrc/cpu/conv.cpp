// The convolution forward pass: which kernel runs a layer, and the per-image drivers of the two
// direct kernels.
//   - 3×3, stride 1, enough channels and tiles (AVX2 / AVX-512): Winograd F(4×4, 3×3) (conv_winograd.h);
//   - a vector or more of output channels per group (AVX2 / AVX-512): the channel-vectorised
//     implicit GEMM (conv_channels.h), any stride;
//   - at most 16 output channels per group and width stride 1: the spatially vectorised direct
//     convolution (conv_direct.h): LeNet's first layer, few-channel input gradients, depthwise;
//   - otherwise (and on the baseline ISA): the implicit GEMM on packed column panels (conv_gemm.cpp).
// Work is handed out per image and group; every output is computed by one thread in a fixed
// order, so the result does not depend on the thread count.
#include <omp.h>

#include <algorithm>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/conv.h"
#include "cpu/conv_channels.h"
#include "cpu/conv_columns.h"
#include "cpu/conv_direct.h"
#include "cpu/conv_winograd.h"

namespace mdlfast::cpu {

using namespace conv_detail;

namespace {

// Up to this many output channels per group (with width stride 1) the direct convolution wins:
// the implicit GEMM would reuse each packed column value this few times only.
constexpr int64_t kDirectMaxOutputs = 16;
// A plane is cut into runs of at least this many pixels when there are fewer planes than threads.
constexpr int64_t kMinPiecePixels = 64;

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

// Runs kernel(y_plane, xp, hp, wp, g, piece) for every image, group and piece (of `pieces` per
// plane), one unit each, where xp holds the group's input planes zero-padded to hp x wp (a copy,
// unless there is no padding).
template <class Kernel>
void for_each_padded_plane(float* y, const float* x, const ConvShape& s, int64_t pieces,
                           const Kernel& kernel) {
  const int64_t cg = s.group_channels(), og = s.group_outputs();
  const int64_t hp = s.h + 2 * s.ph, wp = s.w + 2 * s.pw;
  const bool padded = s.ph > 0 || s.pw > 0;
  const int64_t units = s.n * s.groups * pieces;
  const int team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), units)));
  const int64_t buffer_size = padded ? round_up(cg * hp * wp, 16) : 0;
  AlignedFloats buffers = aligned_floats(team * buffer_size);

#pragma omp parallel for num_threads(team) schedule(dynamic) if (team > 1)
  for (int64_t unit = 0; unit < units; ++unit) {
    const int64_t plane = unit / pieces;  // n * groups + g
    const float* x_plane = x + plane * cg * s.h * s.w;
    const float* xp = x_plane;
    if (padded) {
      float* buffer = buffers.get() + omp_get_thread_num() * buffer_size;
      std::fill(buffer, buffer + cg * hp * wp, 0.0f);
      copy_into_padded(buffer, x_plane, cg, s);
      xp = buffer;
    }
    kernel(y + plane * og * s.pixels(), xp, hp, wp, plane % s.groups, unit % pieces);
  }
}

void conv2d_direct(float* y, const float* x, const float* w, const float* b, const ConvShape& s) {
  const DirectConvFn kernel = direct_conv_kernel();
  const int64_t og = s.group_outputs(), k = s.group_k();
  const OffsetTables tables = offset_tables(s);
  for_each_padded_plane(y, x, s, 1, [&](float* y_plane, const float* xp, int64_t, int64_t wp, int64_t g, int64_t) {
    kernel(y_plane, xp, wp, tables.taps.data(), w + g * og * k, b ? b + g * og : nullptr, s);
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
  // With fewer images x groups than threads (a single image, say), each plane is cut into runs
  // of pixels so that every thread has work.
  const int64_t pixels = s.pixels(), planes = s.n * s.groups;
  const int64_t pieces = planes >= num_threads() ? 1
      : std::max<int64_t>(1, std::min(ceil_div(2 * num_threads(), planes), pixels / kMinPiecePixels));
  for_each_padded_plane(y, x, s, pieces, [&](float* y_plane, const float* xp, int64_t, int64_t, int64_t g,
                                             int64_t piece) {
    const int64_t begin = pixels * piece / pieces, end = pixels * (piece + 1) / pieces;
    const ConvOffsets run{offsets.taps, offsets.tap_count, offsets.pixels + begin, end - begin};
    kernel(y_plane + begin, pixels, xp, run, wt.get() + g * k * og_pad, og, og_pad,
           b ? b + g * og : nullptr);
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
  if (winograd_applies(s, w)) {
    conv2d_winograd(y, x, w, b, s);
    return;
  }
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
  conv2d_implicit_gemm(y, x, w, b, s);
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
