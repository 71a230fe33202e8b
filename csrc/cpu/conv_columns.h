// The pieces the convolution kernels share: rows of the column matrix copied straight from the
// input, panel packing for the GEMM micro-kernels, and aligned scratch buffers.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "cpu/conv.h"
#include "cpu/conv_channels.h"
#include "cpu/gemm_ukernel.h"

namespace mdlfast::cpu::conv_detail {

// dst[t] = cols[row, l0 + t] for t < count, where cols is the column matrix of one image's group
// of channels `x` ([c/groups, h, w]) and row = (c·kh + i)·kw + j (zero where the tap falls in
// the padding).
void copy_column_row(float* dst, const float* x, const ConvShape& s, int64_t row, int64_t l0,
                     int64_t count);

// Copies one image's group of input planes x [cg, h, w] into xp [cg, h + 2·ph, w + 2·pw], whose
// padding border the caller has zeroed (it stays zero from image to image).
void copy_into_padded(float* xp, const float* x, int64_t cg, const ConvShape& s);

// The offset tables of ConvOffsets for the padded input of shape s.
struct OffsetTables {
  std::vector<int64_t> taps;
  std::vector<int64_t> pixels;
  ConvOffsets view() const {
    return {taps.data(), static_cast<int64_t>(taps.size()), pixels.data(), static_cast<int64_t>(pixels.size())};
  }
};
OffsetTables offset_tables(const ConvShape& s);

// conv2d (conv.h) as an implicit GEMM on packed column panels (conv_gemm.cpp): any shape, any ISA.
void conv2d_implicit_gemm(float* y, const float* x, const float* w, const float* b, const ConvShape& s);

// The micro-kernel of the active ISA path.
GemmUkernel active_ukernel();

// dst[k * width + i] = src[i * si + k] for i < rows, k < kc; zero for rows <= i < width: a
// micro-kernel panel from rows that are contiguous along k.
void pack_rows(const GemmUkernel& uk, float* dst, const float* src, int64_t si, int rows, int64_t kc,
               int width);

inline int64_t ceil_div(int64_t x, int64_t d) { return (x + d - 1) / d; }
inline int64_t round_up(int64_t x, int64_t d) { return ceil_div(x, d) * d; }

// K split into equal blocks of at most `limit` (a thin last block would be mostly tile traffic).
struct Blocks {
  int64_t count;
  int64_t size;  // all but the last are this long
};
inline Blocks split(int64_t total, int64_t limit) {
  const int64_t count = total > 0 ? ceil_div(total, limit) : 1;
  return {count, total > 0 ? ceil_div(total, count) : 0};
}

// A 64-byte aligned float buffer (the micro-kernels load packed panels with aligned loads).
struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using AlignedFloats = std::unique_ptr<float[], FreeDeleter>;
AlignedFloats aligned_floats(int64_t count);  // throws std::bad_alloc

}  // namespace mdlfast::cpu::conv_detail
