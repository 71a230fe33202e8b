// The Winograd F(4×4, 3×3) driver: weights transformed once per call into the micro-kernel's
// packed panels, then blocks of tiles shared out among the threads. A block is one packed panel
// of V (the micro-kernel's nr: 32 tiles on AVX-512, 16 on AVX2) for all 36 ξ and all input
// channels; for each panel of output channels it runs the 36 products into M and transforms M
// straight out to y, so V and M live in one thread's L2 for the whole block. Blocks are numbered
// over the batch's tiles, not per image, so that small images (ResNet's 16×16 layers: 16 tiles)
// still fill whole panels. Each tile is computed by one thread in a fixed order: the result does
// not depend on the thread count.
#include "cpu/conv_winograd.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/conv_columns.h"
#include "cpu/gemm_ukernel.h"

namespace mdlfast::cpu {

using namespace conv_detail;
using namespace winograd;

namespace {

constexpr int64_t kTile = 4;   // outputs per tile side
constexpr int64_t kPatch = 6;  // inputs per patch side
constexpr int kMaxGroups = 2;  // vectors of tiles per block: the micro-kernels' nr is two vectors

// The micro-kernel and the transforms of an ISA path. A block of tiles is the micro-kernel's nr,
// two vectors of `width` tiles.
struct Kernels {
  GemmUkernel gemm;
  int width;
  WeightTransformFn weights;
  InputTransformFn input;
  OutputTransformFn output;
};

// For an ISA that winograd_applies() accepts.
Kernels active_kernels() {
  if (active_isa() == Isa::avx512)
    return {gemm_ukernel_avx512(), 16, weight_transform_avx512, input_transform_avx512, output_transform_avx512};
  return {gemm_ukernel_avx2(), 8, weight_transform_avx2, input_transform_avx2, output_transform_avx2};
}

// Below this many input or output channels the transforms cost more than the products save:
// the channel-vectorised direct kernel is faster (measured on Zen 4).
constexpr int64_t kMinChannels = 16;
// Transforming the weights costs about as much per (o, c) pair as the products save on this many
// tiles (Zen 4: U = 36 floats per pair, mostly page faults and cache misses once it outgrows L2),
// so a call needs at least one tile per this many pairs, and a vector of tiles.
constexpr int64_t kChannelPairsPerTile = 1024;
constexpr int64_t kMinTiles = 16;

struct Tiling {
  int64_t rows, cols;  // tiles per image, down and across
  int64_t per_image() const { return rows * cols; }
};

Tiling tiling(const ConvShape& s) { return {ceil_div(s.oh, kTile), ceil_div(s.ow, kTile)}; }

// U = G g Gᵀ for every weight plane g = w[o, c], in the micro-kernel's A panels:
// u[((ξ·panels + o / mr)·C + c)·mr + o % mr], zero for the rows past O in the last panel.
AlignedFloats transformed_weights(WeightTransformFn transform, const float* w, const ConvShape& s, int mr,
                                  int64_t panels) {
  AlignedFloats u = aligned_floats(kTransformed * panels * s.c * mr);
  const int team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), s.o * s.c >> 10)));
#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
  for (int64_t p = 0; p < panels; ++p)
    transform(u.get() + p * s.c * mr, panels * s.c * mr, w + p * mr * s.c * 9, s.c,
              static_cast<int>(std::min<int64_t>(mr, s.o - p * mr)), mr);
  return u;
}

// The input and output descriptions of tiles first .. first + count − 1 (count <= width) of the
// batch, for vectors of `width` tiles.
void describe_group(InputGroup& in, OutputGroup& out, const ConvShape& s, const Tiling& t, int width,
                    int64_t first, int64_t count) {
  for (int slot = 0; slot < width; ++slot) {
    const int lane = lane_of_slot(slot, width);
    in.x_offset[slot] = 0;
    out.y_offset[lane] = 0;
    for (int i = 0; i < kPatch; ++i) in.load_mask[i][slot] = 0;
    for (int i = 0; i < kTile; ++i) out.store_mask[lane][i] = 0;
    if (lane >= count) continue;
    const int64_t tile = first + lane, img = tile / t.per_image(), r = tile % t.per_image();
    const int64_t oh0 = r / t.cols * kTile, ow0 = r % t.cols * kTile;
    const int64_t ih0 = oh0 - s.ph, iw0 = ow0 - s.pw;
    in.x_offset[slot] = img * s.c * s.h * s.w + ih0 * s.w + iw0;
    unsigned columns = 0;
    for (int j = 0; j < kPatch; ++j)
      if (iw0 + j >= 0 && iw0 + j < s.w) columns |= 1u << j;
    for (int i = 0; i < kPatch; ++i)
      in.load_mask[i][slot] = ih0 + i >= 0 && ih0 + i < s.h ? static_cast<uint8_t>(columns) : 0;
    out.y_offset[lane] = img * s.o * s.pixels() + oh0 * s.ow + ow0;
    const unsigned written = static_cast<unsigned>(std::min(kTile, s.ow - ow0));
    for (int i = 0; i < kTile; ++i)
      out.store_mask[lane][i] = oh0 + i < s.oh ? static_cast<uint8_t>((1u << written) - 1) : 0;
  }
}

// One tile's outputs of channels o_begin .. o_end − 1 by the direct convolution, for patches
// holding an infinity or NaN: Winograd's transforms would carry them to all sixteen outputs of the
// tile (and turn infinities into NaN), where the direct sum reaches only the outputs whose 3×3
// window holds them.
void direct_tile(float* y, const float* x, const float* w, const float* b, const ConvShape& s,
                 const Tiling& t, int64_t tile, int64_t o_begin, int64_t o_end) {
  const int64_t img = tile / t.per_image(), r = tile % t.per_image();
  const int64_t oh0 = r / t.cols * kTile, ow0 = r % t.cols * kTile;
  const float* xi = x + img * s.c * s.h * s.w;
  for (int64_t o = o_begin; o < o_end; ++o)
    for (int64_t oh = oh0; oh < std::min(oh0 + kTile, s.oh); ++oh)
      for (int64_t ow = ow0; ow < std::min(ow0 + kTile, s.ow); ++ow) {
        float sum = 0.0f;
        for (int64_t c = 0; c < s.c; ++c)
          for (int64_t i = 0; i < 3; ++i) {
            const int64_t ih = oh - s.ph + i;
            if (ih < 0 || ih >= s.h) continue;
            for (int64_t j = 0; j < 3; ++j) {
              const int64_t iw = ow - s.pw + j;
              if (iw >= 0 && iw < s.w) sum += xi[(c * s.h + ih) * s.w + iw] * w[((o * s.c + c) * 3 + i) * 3 + j];
            }
          }
        y[((img * s.o + o) * s.oh + oh) * s.ow + ow] = sum + (b ? b[o] : 0.0f);
      }
}

}  // namespace

bool winograd_applies(const ConvShape& s, const float* w) {
  if (active_isa() != Isa::avx512 && active_isa() != Isa::avx2) return false;
  if (s.kh != 3 || s.kw != 3 || s.sh != 1 || s.sw != 1 || s.dh != 1 || s.dw != 1 || s.groups != 1) return false;
  if (s.c < kMinChannels || s.o < kMinChannels) return false;
  const int64_t tiles = s.n * tiling(s).per_image();
  if (tiles < std::max(kMinTiles, s.o * s.c / kChannelPairsPerTile)) return false;
  return std::all_of(w, w + s.o * s.c * 9, [](float v) { return std::isfinite(v); });
}

void conv2d_winograd(float* y, const float* x, const float* w, const float* b, const ConvShape& s) {
  const Kernels kernels = active_kernels();
  const GemmUkernel& uk = kernels.gemm;
  const int64_t width = kernels.width, block_tiles = uk.nr;
  const int64_t panels = ceil_div(s.o, uk.mr);
  const AlignedFloats u = transformed_weights(kernels.weights, w, s, uk.mr, panels);
  const Tiling t = tiling(s);
  const int64_t tiles = s.n * t.per_image(), blocks = ceil_div(tiles, block_tiles);
  // With fewer blocks than threads (a deep layer on small images), each block's output channels
  // are cut into slices of whole panels, at the price of transforming its input once per slice.
  // The panels are the same however they are sliced, so the result does not change.
  const int64_t slices = std::min(panels, std::max<int64_t>(1, ceil_div(2 * num_threads(), blocks)));
  const int64_t units = blocks * slices;
  const int team = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), units)));
  // Per thread: V [36][C][nr tiles] (the micro-kernel's B panels), M [36][mr][nr tiles]. The V
  // panels are a cache line more than C·nr apart: the input transform writes the 36 of them at
  // once, and at a multiple of 4 KiB apart they would all fall in the same L1 set.
  const int64_t v_panel = s.c * block_tiles + 16;
  const int64_t v_size = kTransformed * v_panel, m_size = kTransformed * uk.mr * block_tiles;
  const int64_t scratch_size = v_size + m_size;
  // Zeroed so that the lanes of absent tiles hold numbers, not whatever the allocator left.
  AlignedFloats scratch = aligned_floats(team * scratch_size);
  std::fill(scratch.get(), scratch.get() + team * scratch_size, 0.0f);

#pragma omp parallel for num_threads(team) schedule(dynamic) if (team > 1)
  for (int64_t unit = 0; unit < units; ++unit) {
    float* v = scratch.get() + omp_get_thread_num() * scratch_size;
    float* m = v + v_size;
    const int64_t block = unit / slices, slice = unit % slices;
    const int64_t first = block * block_tiles, count = std::min(block_tiles, tiles - first);
    const int64_t p_begin = panels * slice / slices, p_end = panels * (slice + 1) / slices;
    const int groups = static_cast<int>(ceil_div(count, width));
    InputGroup in[kMaxGroups];
    OutputGroup out[kMaxGroups];
    uint32_t non_finite = 0;
    for (int g = 0; g < groups; ++g) {
      describe_group(in[g], out[g], s, t, static_cast<int>(width), first + g * width,
                     std::min(width, count - g * width));
      non_finite |= static_cast<uint32_t>(kernels.input(v + g * width, v_panel, block_tiles, x, s.h * s.w, s.w,
                                                        s.c, in[g]))
                    << (g * width);
    }
    for (int64_t p = p_begin; p < p_end; ++p) {
      const int rows = static_cast<int>(std::min<int64_t>(uk.mr, s.o - p * uk.mr));
      for (int xi = 0; xi < kTransformed; ++xi)
        uk.run(s.c, u.get() + (xi * panels + p) * s.c * uk.mr, v + xi * v_panel,
               m + xi * uk.mr * block_tiles, block_tiles, rows, static_cast<int>(count), false);
      for (int g = 0; g < groups; ++g)
        kernels.output(y + p * uk.mr * s.pixels(), s.pixels(), s.ow, m + g * width, uk.mr * block_tiles,
                       block_tiles, rows, b ? b + p * uk.mr : nullptr, out[g]);
    }
    for (int64_t lane = 0; lane < count; ++lane)
      if (non_finite >> lane & 1u)
        direct_tile(y, x, w, b, s, t, first + lane, p_begin * uk.mr, std::min(s.o, p_end * uk.mr));
  }
}

}  // namespace mdlfast::cpu
