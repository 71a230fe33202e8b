// The convolution backward pass.
//   dw: per group, dw[Og, K] = Σ_n dy[n][Og, L] · cols[n][K, L]ᵀ, by the channel-vectorised kernel
//       (conv_channels.h: cols broadcast straight from the padded input) where there is a vector
//       of output channels, on the GEMM micro-kernels with column panels packed from x otherwise.
//       The batch is cut into a number of chunks fixed by the shapes; each chunk sums its images
//       in order into its own partial dw and the partials are added in order, so dw is the same
//       for any thread count.
//   dx: with stride 1 it is the forward convolution of dy by the flipped, transposed weights (the
//       fast forward path, no col2im); otherwise per image dcols = w_gᵀ · dy (GEMM) and col2im.
//   db: the sum of dy over the batch and the pixels.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "common/gemm_types.h"
#include "common/isa.h"
#include "common/threads.h"
#include "cpu/conv.h"
#include "cpu/conv_channels.h"
#include "cpu/conv_columns.h"
#include "cpu/gemm.h"

namespace mdlfast::cpu {

using namespace conv_detail;

namespace {

// Pixels per reduction block of dw: the packed panels of one block stay in L1/L2.
constexpr int64_t kPixelBlock = 256;
// The batch is summed in at most this many independent chunks (the parallelism of dw).
constexpr int64_t kMaxImageChunks = 8;

ChannelWeightGradientFn channel_weight_gradient_kernel() {
  switch (active_isa()) {
    case Isa::avx512: return channel_weight_gradient_avx512;
    case Isa::avx2: return channel_weight_gradient_avx2;
    default: return nullptr;
  }
}

void weight_gradient(float* dw, const float* dy, const float* x, const ConvShape& s) {
  const GemmUkernel uk = active_ukernel();
  const int64_t og = s.group_outputs(), k = s.group_k(), pixels = s.pixels();
  const int64_t w_size = s.o * k;
  if (s.n == 0) {
    std::fill(dw, dw + w_size, 0.0f);
    return;
  }
  const int64_t chunks = std::min(s.n, kMaxImageChunks);
  const int64_t units = chunks * s.groups;
  const int team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), units)));
  const Blocks l_blocks = split(pixels, kPixelBlock);
  const int64_t kc_max = l_blocks.size;
  const int64_t row_panels = ceil_div(og, uk.mr);
  const int64_t col_panels = ceil_div(k, uk.nr);
  // Per thread: the packed dy panels, the column rows, the packed column panel (each 64-byte aligned).
  const int64_t pa_size = round_up(row_panels * uk.mr * kc_max, 16);
  const int64_t rows_size = round_up(uk.nr * kc_max, 16);
  const int64_t scratch = pa_size + 2 * rows_size;
  AlignedFloats scratches = aligned_floats(team * scratch);
  // The first chunk writes straight into dw, the others into partials added afterwards.
  AlignedFloats partials = aligned_floats((chunks - 1) * w_size);

#pragma omp parallel for num_threads(team) schedule(dynamic) if (team > 1)
  for (int64_t unit = 0; unit < units; ++unit) {
    float* pa = scratches.get() + omp_get_thread_num() * scratch;
    float* rows_buf = pa + pa_size;
    float* pb = rows_buf + rows_size;
    const int64_t chunk = unit / s.groups, g = unit % s.groups;
    float* dw_g = (chunk == 0 ? dw : partials.get() + (chunk - 1) * w_size) + g * og * k;
    bool first = true;
    for (int64_t img = s.n * chunk / chunks; img < s.n * (chunk + 1) / chunks; ++img) {
      const float* x_plane = x + img * s.c * s.h * s.w + g * s.group_channels() * s.h * s.w;
      const float* dy_plane = dy + (img * s.o + g * og) * pixels;
      for (int64_t lb = 0; lb < l_blocks.count; ++lb) {
        const int64_t l0 = lb * kc_max;
        const int64_t kc = std::min(kc_max, pixels - l0);
        for (int64_t ir = 0; ir < row_panels; ++ir) {
          const int rows = static_cast<int>(std::min<int64_t>(uk.mr, og - ir * uk.mr));
          pack_rows(uk, pa + ir * uk.mr * kc, dy_plane + ir * uk.mr * pixels + l0, pixels, rows, kc, uk.mr);
        }
        for (int64_t jr = 0; jr < col_panels; ++jr) {
          const int cols = static_cast<int>(std::min<int64_t>(uk.nr, k - jr * uk.nr));
          for (int r = 0; r < cols; ++r) copy_column_row(rows_buf + r * kc, x_plane, s, jr * uk.nr + r, l0, kc);
          pack_rows(uk, pb, rows_buf, kc, cols, kc, uk.nr);
          for (int64_t ir = 0; ir < row_panels; ++ir) {
            const int rows = static_cast<int>(std::min<int64_t>(uk.mr, og - ir * uk.mr));
            uk.run(kc, pa + ir * uk.mr * kc, pb, dw_g + ir * uk.mr * k + jr * uk.nr, k, rows, cols, !first);
          }
        }
        first = false;
      }
    }
  }
  const int64_t extra = chunks - 1;
  if (extra == 0) return;
  const int sum_team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), w_size >> 14)));
#pragma omp parallel for num_threads(sum_team) schedule(static) if (sum_team > 1)
  for (int64_t e = 0; e < w_size; ++e) {
    float total = dw[e];
    for (int64_t c = 0; c < extra; ++c) total += partials[c * w_size + e];
    dw[e] = total;
  }
}

// dw by the channel-vectorised kernel: per chunk of images, dwt [K][og_pad] summed image by image
// (the columns read straight from the padded input, dy transposed to [pixels][og_pad]); then dw is
// the chunks' dwt added in order and transposed back.
void weight_gradient_channels(ChannelWeightGradientFn kernel, int vector_width, float* dw,
                              const float* dy, const float* x, const ConvShape& s) {
  const int64_t og = s.group_outputs(), cg = s.group_channels(), k = s.group_k(), pixels = s.pixels();
  const GemmUkernel uk = active_ukernel();  // for its transposing pack of dy
  const int64_t og_pad = round_up(og, vector_width);
  const int64_t hp = s.h + 2 * s.ph, wp = s.w + 2 * s.pw;
  const OffsetTables tables = offset_tables(s);
  const ConvOffsets offsets = tables.view();

  const int64_t chunks = std::max<int64_t>(1, std::min(s.n, kMaxImageChunks));
  const int64_t units = chunks * s.groups;
  const int team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), units)));
  const int64_t dwt_size = k * og_pad;
  AlignedFloats dwts = aligned_floats(units * dwt_size);
  const int64_t xp_size = round_up(cg * hp * wp, 16), dyt_size = round_up(pixels * og_pad, 16);
  AlignedFloats scratches = aligned_floats(team * (xp_size + dyt_size));

#pragma omp parallel for num_threads(team) schedule(dynamic) if (team > 1)
  for (int64_t unit = 0; unit < units; ++unit) {
    float* xp = scratches.get() + omp_get_thread_num() * (xp_size + dyt_size);
    float* dyt = xp + xp_size;
    const int64_t chunk = unit / s.groups, g = unit % s.groups;
    const int64_t first = s.n * chunk / chunks, last = s.n * (chunk + 1) / chunks;
    std::fill(xp, xp + cg * hp * wp, 0.0f);
    for (int64_t img = first; img < last; ++img) {
      copy_into_padded(xp, x + (img * s.groups + g) * cg * s.h * s.w, cg, s);
      pack_rows(uk, dyt, dy + (img * s.o + g * og) * pixels, pixels, static_cast<int>(og), pixels,
                static_cast<int>(og_pad));
      kernel(dwts.get() + unit * dwt_size, xp, offsets, dyt, og_pad, img > first);
    }
  }
  const int64_t w_size = s.o * k;
  const int sum_team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), w_size >> 14)));
#pragma omp parallel for num_threads(sum_team) schedule(static) if (sum_team > 1)
  for (int64_t e = 0; e < w_size; ++e) {
    const int64_t g = e / (og * k), o = e / k % og, kk = e % k;
    float total = 0.0f;
    for (int64_t chunk = 0; chunk < chunks; ++chunk)
      total += dwts[(chunk * s.groups + g) * dwt_size + kk * og_pad + o];
    dw[e] = total;
  }
}

void bias_gradient(float* db, const float* dy, const ConvShape& s) {
  const int64_t pixels = s.pixels();
  const int team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), s.n * s.o * pixels >> 16)));
#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
  for (int64_t oc = 0; oc < s.o; ++oc) {
    // Lane-wise partial sums (vectorisable, in a fixed order), then the lanes and images in double.
    constexpr int kLanes = 16;
    double total = 0.0;
    for (int64_t img = 0; img < s.n; ++img) {
      const float* row = dy + (img * s.o + oc) * pixels;
      float lanes[kLanes] = {};
      int64_t l = 0;
      for (; l + kLanes <= pixels; l += kLanes)
        for (int j = 0; j < kLanes; ++j) lanes[j] += row[l + j];
      for (; l < pixels; ++l) lanes[l % kLanes] += row[l];
      for (float lane : lanes) total += lane;
    }
    db[oc] = static_cast<float>(total);
  }
}

// dx as a forward convolution of dy (stride 1 only): padding d·(k − 1) − p on each side must be
// non-negative.
bool gradient_is_a_convolution(const ConvShape& s) {
  return s.sh == 1 && s.sw == 1 && s.ph <= s.dh * (s.kh - 1) && s.pw <= s.dw * (s.kw - 1);
}

void input_gradient_by_convolution(float* dx, const float* dy, const float* w, const ConvShape& s) {
  const int64_t og = s.group_outputs(), cg = s.group_channels(), taps = s.taps();
  // w' [c, o/groups, kh, kw]: within each group, w'[c][o][i][j] = w[o][c][kh-1-i][kw-1-j].
  AlignedFloats flipped = aligned_floats(s.o * cg * taps);
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t o = 0; o < og; ++o)
      for (int64_t c = 0; c < cg; ++c) {
        const float* src = w + ((g * og + o) * cg + c) * taps;
        float* dst = flipped.get() + ((g * cg + c) * og + o) * taps;
        for (int64_t t = 0; t < taps; ++t) dst[t] = src[taps - 1 - t];
      }
  ConvShape t = s;
  t.c = s.o;
  t.h = s.oh;
  t.w = s.ow;
  t.o = s.c;
  t.oh = s.h;
  t.ow = s.w;
  t.ph = s.dh * (s.kh - 1) - s.ph;
  t.pw = s.dw * (s.kw - 1) - s.pw;
  conv2d(dx, dy, flipped.get(), nullptr, t);
}

// Adds the column matrix of one image's group back onto its input positions (im2col's adjoint).
void col2im_add(float* x, const float* cols, const ConvShape& s) {
  const int64_t rows = s.group_k();
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t c = row / s.taps(), i = row / s.kw % s.kh, j = row % s.kw;
    float* plane = x + c * s.h * s.w;
    const float* src = cols + row * s.pixels();
    for (int64_t oh = 0; oh < s.oh; ++oh) {
      const int64_t ih = oh * s.sh - s.ph + i * s.dh;
      if (ih < 0 || ih >= s.h) continue;
      for (int64_t ow = 0; ow < s.ow; ++ow) {
        const int64_t iw = ow * s.sw - s.pw + j * s.dw;
        if (iw >= 0 && iw < s.w) plane[ih * s.w + iw] += src[oh * s.ow + ow];
      }
    }
  }
}

void input_gradient_by_col2im(float* dx, const float* dy, const float* w, const ConvShape& s) {
  const int64_t og = s.group_outputs(), k = s.group_k(), pixels = s.pixels();
  const int64_t plane_size = s.group_channels() * s.h * s.w;
  std::fill(dx, dx + s.n * s.c * s.h * s.w, 0.0f);
  AlignedFloats dcols = aligned_floats(k * pixels);
  for (int64_t img = 0; img < s.n; ++img)
    for (int64_t g = 0; g < s.groups; ++g) {
      const StridedMatrix wt{w + g * og * k, 1, k, 0};  // w_gᵀ: [K, Og]
      const StridedMatrix dy_g{dy + (img * s.o + g * og) * pixels, pixels, 1, 0};
      gemm(dcols.get(), wt, dy_g, 1, k, pixels, og, GemmEpilogue{});
      col2im_add(dx + (img * s.groups + g) * plane_size, dcols.get(), s);
    }
}

}  // namespace

void conv2d_backward(float* dx, float* dw, float* db, const float* dy, const float* x,
                     const float* w, const ConvShape& s) {
  if (db) bias_gradient(db, dy, s);
  if (dw) {
    const ChannelWeightGradientFn channels = channel_weight_gradient_kernel();
    const int width = active_isa() == Isa::avx512 ? 16 : 8;
    if (channels && s.n > 0 && s.group_outputs() >= width)
      weight_gradient_channels(channels, width, dw, dy, x, s);
    else
      weight_gradient(dw, dy, x, s);
  }
  if (!dx || s.n == 0) return;
  if (gradient_is_a_convolution(s))
    input_gradient_by_convolution(dx, dy, w, s);
  else
    input_gradient_by_col2im(dx, dy, w, s);
}

}  // namespace mdlfast::cpu
