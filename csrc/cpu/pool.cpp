#include "cpu/pool.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "common/isa.h"
#include "cpu/parallel_for.h"
#include "cpu/pool_isa.h"

namespace mdlfast::cpu {
namespace {

// Planes are handed out dynamically, about this many elements at a time, so that a thread that
// loses its core on a shared machine delays a call by one task, not by half the planes.
constexpr int64_t kElementsPerTask = 16384;

// The window of output position o along one axis, clipped to the input: [begin, end).
struct Span {
  int64_t begin, end, padded;  // `padded`: the window's length counting padding (ceil_mode off)
};

Span window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t in) {
  const int64_t start = o * stride - pad;
  const int64_t stop = std::min(start + kernel, in + pad);
  return {std::max<int64_t>(start, 0), std::min(stop, in), stop - start};
}

// The divisor of an average-pooling window: its padded size, or the input elements it covers.
int64_t window_count(const Span& rows, const Span& cols, bool count_include_pad) {
  return count_include_pad ? rows.padded * cols.padded : (rows.end - rows.begin) * (cols.end - cols.begin);
}

void max_pool_plane(float* y, int64_t* indices, const float* x, const PoolGeometry& g) {
  for (int64_t oh = 0; oh < g.out_h; ++oh) {
    const Span rows = window(oh, g.stride_h, g.pad_h, g.kernel_h, g.in_h);
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      const Span cols = window(ow, g.stride_w, g.pad_w, g.kernel_w, g.in_w);
      float best = -std::numeric_limits<float>::infinity();
      int64_t best_index = rows.begin * g.in_w + cols.begin;
      for (int64_t h = rows.begin; h < rows.end; ++h)
        for (int64_t w = cols.begin; w < cols.end; ++w) {
          // Selects rather than branches: on data, the comparison is a coin toss.
          const float v = x[h * g.in_w + w];
          const bool take = v > best || std::isnan(v);
          best = take ? v : best;
          best_index = take ? h * g.in_w + w : best_index;
        }
      y[oh * g.out_w + ow] = best;
      indices[oh * g.out_w + ow] = best_index;
    }
  }
}

// The vector rows form indices and columns in 32-bit lanes.
bool fits_vector_rows(const PoolGeometry& g) {
  return g.in_h * g.in_w < std::numeric_limits<int32_t>::max() / 2 &&
         (g.out_w + 16) * g.stride_w + g.kernel_w < std::numeric_limits<int32_t>::max() / 2;
}

bool uses_avx512_rows(const PoolGeometry& g) { return active_isa() == Isa::avx512 && fits_vector_rows(g); }
bool uses_avx2_rows(const PoolGeometry& g) { return active_isa() == Isa::avx2 && fits_vector_rows(g); }

bool is_2x2_stride_2(const PoolGeometry& g) {
  return g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 && g.stride_w == 2 && g.pad_h == 0 && g.pad_w == 0;
}

// Sum of x over a window's rows [h0, h1) and columns [w0, w1), row by row: a whole-plane window
// (global pooling) then rounds like rows + columns, not like H·W additions in a chain.
float window_sum(const float* x, int64_t in_w, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
  float sum = 0.0f;
  for (int64_t h = h0; h < h1; ++h) {
    float row = 0.0f;
    for (int64_t w = w0; w < w1; ++w) row += x[h * in_w + w];
    sum += row;
  }
  return sum;
}

// PyTorch's adaptive bin o of `out` over `in`: [floor(o·in/out), ceil((o+1)·in/out)).
int64_t bin_begin(int64_t o, int64_t in, int64_t out) { return (o * in) / out; }
int64_t bin_end(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

}  // namespace

void max_pool2d(float* y, int64_t* indices, const float* x, int64_t planes, const PoolGeometry& g) {
  const int64_t in_hw = g.in_h * g.in_w, out_hw = g.out_h * g.out_w;
  if (uses_avx512_rows(g) && is_2x2_stride_2(g)) {
    for_each_item<kElementsPerTask>(planes, in_hw, [&](int64_t p) {
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        max_pool_2x2_row_avx512(y + p * out_hw + oh * g.out_w, indices + p * out_hw + oh * g.out_w,
                                x + p * in_hw, g.in_w, g.out_w, oh);
    });
    return;
  }
  if (uses_avx512_rows(g) || uses_avx2_rows(g)) {
    const auto row = uses_avx512_rows(g) ? max_pool_row_avx512 : max_pool_row_avx2;
    for_each_item<kElementsPerTask>(planes, in_hw, [&](int64_t p) {
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        row(y + p * out_hw + oh * g.out_w, indices + p * out_hw + oh * g.out_w, x + p * in_hw, g, oh);
    });
    return;
  }
  for_each_item<kElementsPerTask>(planes, in_hw, [&](int64_t p) {
    max_pool_plane(y + p * out_hw, indices + p * out_hw, x + p * in_hw, g);
  });
}

bool max_pool2d_backward(float* dx, const float* dy, const int64_t* indices, int64_t planes,
                         int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w) {
  const int64_t in_hw = in_h * in_w, out_hw = out_h * out_w;
  // The indices do not say which windows made them. When the sizes fit 2×2 windows at stride 2,
  // each plane first assumes so and writes dx once, with no clearing pass; the first index outside
  // its window sends that plane, and every plane after it, to the general scatter.
  std::atomic<bool> try_pairs{active_isa() == Isa::avx512 && out_h == in_h / 2 && out_w == in_w / 2 && out_hw > 0};
  std::atomic<bool> valid{true};
  for_each_item<kElementsPerTask>(planes, in_hw, [&](int64_t p) {
    float* out = dx + p * in_hw;
    const float* grad = dy + p * out_hw;
    const int64_t* index = indices + p * out_hw;
    if (try_pairs.load(std::memory_order_relaxed)) {
      bool fits = true;
      for (int64_t oh = 0; oh < out_h && fits; ++oh)
        fits = max_pool_2x2_backward_row_avx512(out, grad + oh * out_w, index + oh * out_w, in_w, out_w, oh);
      if (fits) {
        // An odd last column or row lies in no window.
        if (in_w > 2 * out_w)
          for (int64_t h = 0; h < 2 * out_h; ++h) out[h * in_w + in_w - 1] = 0.0f;
        std::fill(out + 2 * out_h * in_w, out + in_hw, 0.0f);
        return;
      }
      try_pairs.store(false, std::memory_order_relaxed);
    }
    // Each plane is cleared and then scattered into while it is in cache; one thread owns a plane.
    std::fill(out, out + in_hw, 0.0f);
    bool plane_valid = true;
    for (int64_t o = 0; o < out_hw; ++o) {
      const int64_t i = index[o];
      if (i < 0 || i >= in_hw) {
        plane_valid = false;
        continue;
      }
      out[i] += grad[o];
    }
    if (!plane_valid) valid.store(false, std::memory_order_relaxed);
  });
  return valid.load();
}

void avg_pool2d(float* y, const float* x, int64_t planes, const PoolGeometry& g,
                bool count_include_pad) {
  const int64_t in_hw = g.in_h * g.in_w, out_hw = g.out_h * g.out_w;
  if (uses_avx512_rows(g) || uses_avx2_rows(g)) {
    const auto row = uses_avx512_rows(g) ? avg_pool_row_avx512 : avg_pool_row_avx2;
    for_each_item<kElementsPerTask>(planes, in_hw, [&](int64_t p) {
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        row(y + p * out_hw + oh * g.out_w, x + p * in_hw, g, oh, count_include_pad);
    });
    return;
  }
  for_each_item<kElementsPerTask>(planes, in_hw, [&](int64_t p) {
    const float* in = x + p * in_hw;
    float* out = y + p * out_hw;
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const Span rows = window(oh, g.stride_h, g.pad_h, g.kernel_h, g.in_h);
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const Span cols = window(ow, g.stride_w, g.pad_w, g.kernel_w, g.in_w);
        const int64_t count = window_count(rows, cols, count_include_pad);
        out[oh * g.out_w + ow] =
            window_sum(in, g.in_w, rows.begin, rows.end, cols.begin, cols.end) / static_cast<float>(count);
      }
    }
  });
}

void avg_pool2d_backward(float* dx, const float* dy, int64_t planes, const PoolGeometry& g,
                         bool count_include_pad) {
  const int64_t in_hw = g.in_h * g.in_w, out_hw = g.out_h * g.out_w;
  const bool vector_rows = uses_avx512_rows(g);
  for_each_item<kElementsPerTask>(planes, in_hw, [&](int64_t p) {
    float* out = dx + p * in_hw;
    const float* grad = dy + p * out_hw;
    std::fill(out, out + in_hw, 0.0f);
    if (vector_rows) {
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        avg_pool_backward_row_avx512(out, grad + oh * g.out_w, g, oh, count_include_pad);
      return;
    }
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const Span rows = window(oh, g.stride_h, g.pad_h, g.kernel_h, g.in_h);
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const Span cols = window(ow, g.stride_w, g.pad_w, g.kernel_w, g.in_w);
        const int64_t count = window_count(rows, cols, count_include_pad);
        const float share = grad[oh * g.out_w + ow] / static_cast<float>(count);
        for (int64_t h = rows.begin; h < rows.end; ++h)
          for (int64_t w = cols.begin; w < cols.end; ++w) out[h * g.in_w + w] += share;
      }
    }
  });
}

void adaptive_avg_pool2d(float* y, const float* x, int64_t planes, int64_t in_h, int64_t in_w,
                         int64_t out_h, int64_t out_w) {
  const int64_t in_hw = in_h * in_w, out_hw = out_h * out_w;
  if (out_hw == 1 && active_isa() == Isa::avx512) {  // global pooling: one sum per plane
    for_each_item<kElementsPerTask>(planes, in_hw, [&](int64_t p) {
      y[p] = sum_avx512(x + p * in_hw, in_hw) / static_cast<float>(in_hw);
    });
    return;
  }
  for_each_item<kElementsPerTask>(planes, in_hw, [&](int64_t p) {
    const float* in = x + p * in_hw;
    for (int64_t oh = 0; oh < out_h; ++oh) {
      const int64_t h0 = bin_begin(oh, in_h, out_h), h1 = bin_end(oh, in_h, out_h);
      for (int64_t ow = 0; ow < out_w; ++ow) {
        const int64_t w0 = bin_begin(ow, in_w, out_w), w1 = bin_end(ow, in_w, out_w);
        y[p * out_hw + oh * out_w + ow] =
            window_sum(in, in_w, h0, h1, w0, w1) / static_cast<float>((h1 - h0) * (w1 - w0));
      }
    }
  });
}

void adaptive_avg_pool2d_backward(float* dx, const float* dy, int64_t planes, int64_t in_h,
                                  int64_t in_w, int64_t out_h, int64_t out_w) {
  const int64_t in_hw = in_h * in_w, out_hw = out_h * out_w;
  for_each_item<kElementsPerTask>(planes, in_hw, [&](int64_t p) {
    float* out = dx + p * in_hw;
    std::fill(out, out + in_hw, 0.0f);
    for (int64_t oh = 0; oh < out_h; ++oh) {
      const int64_t h0 = bin_begin(oh, in_h, out_h), h1 = bin_end(oh, in_h, out_h);
      for (int64_t ow = 0; ow < out_w; ++ow) {
        const int64_t w0 = bin_begin(ow, in_w, out_w), w1 = bin_end(ow, in_w, out_w);
        const float share = dy[p * out_hw + oh * out_w + ow] / static_cast<float>((h1 - h0) * (w1 - w0));
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) out[h * in_w + w] += share;
      }
    }
  });
}

}  // namespace mdlfast::cpu
