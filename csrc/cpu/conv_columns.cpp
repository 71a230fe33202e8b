#include "cpu/conv_columns.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "common/isa.h"

namespace mdlfast::cpu::conv_detail {

void copy_column_row(float* dst, const float* x, const ConvShape& s, int64_t row, int64_t l0,
                     int64_t count) {
  const int64_t c = row / s.taps();
  const int64_t i = row / s.kw % s.kh;
  const int64_t j = row % s.kw;
  const float* plane = x + c * s.h * s.w;
  if (s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0) {
    std::memcpy(dst, plane + l0, sizeof(float) * count);  // a 1x1 convolution's cols is x itself
    return;
  }
  int64_t oh = l0 / s.ow;
  int64_t ow = l0 % s.ow;
  while (count > 0) {
    const int64_t seg = std::min(count, s.ow - ow);
    const int64_t ih = oh * s.sh - s.ph + i * s.dh;
    const int64_t iw0 = ow * s.sw - s.pw + j * s.dw;
    if (ih < 0 || ih >= s.h) {
      std::fill(dst, dst + seg, 0.0f);
    } else if (s.sw == 1) {
      // Positions t with 0 <= iw0 + t < w are read; the rest are padding.
      const int64_t lo = std::clamp<int64_t>(-iw0, 0, seg);
      const int64_t hi = std::clamp<int64_t>(s.w - iw0, lo, seg);
      std::fill(dst, dst + lo, 0.0f);
      std::memcpy(dst + lo, plane + ih * s.w + iw0 + lo, sizeof(float) * (hi - lo));
      std::fill(dst + hi, dst + seg, 0.0f);
    } else {
      const float* in_row = plane + ih * s.w;
      for (int64_t t = 0; t < seg; ++t) {
        const int64_t iw = iw0 + t * s.sw;
        dst[t] = iw >= 0 && iw < s.w ? in_row[iw] : 0.0f;
      }
    }
    dst += seg;
    count -= seg;
    ++oh;
    ow = 0;
  }
}

void copy_into_padded(float* xp, const float* x, int64_t cg, const ConvShape& s) {
  const int64_t hp = s.h + 2 * s.ph, wp = s.w + 2 * s.pw;
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t r = 0; r < s.h; ++r)
      std::memcpy(xp + (c * hp + r + s.ph) * wp + s.pw, x + (c * s.h + r) * s.w, sizeof(float) * s.w);
}

OffsetTables offset_tables(const ConvShape& s) {
  const int64_t hp = s.h + 2 * s.ph, wp = s.w + 2 * s.pw;
  OffsetTables t;
  t.taps.reserve(s.group_k());
  for (int64_t c = 0; c < s.group_channels(); ++c)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) t.taps.push_back((c * hp + i * s.dh) * wp + j * s.dw);
  t.pixels.reserve(s.pixels());
  for (int64_t oh = 0; oh < s.oh; ++oh)
    for (int64_t ow = 0; ow < s.ow; ++ow) t.pixels.push_back(oh * s.sh * wp + ow * s.sw);
  return t;
}

GemmUkernel active_ukernel() {
  switch (active_isa()) {
    case Isa::avx512: return gemm_ukernel_avx512();
    case Isa::avx2: return gemm_ukernel_avx2();
    default: return gemm_ukernel_generic();
  }
}

void pack_rows(const GemmUkernel& uk, float* dst, const float* src, int64_t si, int rows, int64_t kc,
               int width) {
  if (uk.pack_transposed) {
    uk.pack_transposed(dst, src, si, rows, kc, width);
    return;
  }
  for (int64_t k = 0; k < kc; ++k) {
    float* out = dst + k * width;
    for (int i = 0; i < rows; ++i) out[i] = src[i * si + k];
    for (int i = rows; i < width; ++i) out[i] = 0.0f;
  }
}

AlignedFloats aligned_floats(int64_t count) {
  const size_t bytes = static_cast<size_t>(round_up(std::max<int64_t>(count, 16), 16)) * sizeof(float);
  float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!p) throw std::bad_alloc();
  return AlignedFloats(p);
}

}  // namespace mdlfast::cpu::conv_detail
