// 2-D convolution on the CPU (PyTorch's conv2d: NCHW input, OIHW weight, cross-correlation) as an
// implicit GEMM: per image and group,
//   y[Og, OH·OW] = w[Og, K] · cols[K, OH·OW],   K = C/groups · kh · kw,
// with the column matrix cols never formed. Which kernel runs a shape is chosen in conv.cpp:
// Winograd's F(4×4, 3×3) for 3×3 stride-1 layers with enough channels (a quarter of the
// multiplications; conv_winograd.h), channel-vectorised (cols read as broadcasts straight from
// the padded input), spatially vectorised direct loops for few output channels, or packed column
// panels on the GEMM core's micro-kernels. The backward pass (conv_backward.cpp) reuses them.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

// The geometry of one convolution: x [n, c, h, w], w [o, c / groups, kh, kw], y [n, o, oh, ow]
// with oh = (h + 2·ph − dh·(kh − 1) − 1) / sh + 1 (and likewise ow). The caller validates it
// (conv_shape_valid) before any kernel runs.
struct ConvShape {
  int64_t n, c, h, w;
  int64_t o, kh, kw;
  int64_t oh, ow;
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t groups;

  int64_t group_channels() const { return c / groups; }
  int64_t group_outputs() const { return o / groups; }
  int64_t taps() const { return kh * kw; }
  int64_t group_k() const { return group_channels() * taps(); }  // rows of one group's cols
  int64_t pixels() const { return oh * ow; }
};

// True when the sizes are positive (n may be 0), the hyper-parameters in range, groups divides c
// and o, and oh, ow are the output sizes the formula above gives.
bool conv_shape_valid(const ConvShape& s);

// y = conv2d(x, w) + b[o] (b may be null). Every element of y is written.
void conv2d(float* y, const float* x, const float* w, const float* b, const ConvShape& s);

// The gradients of Σ dy·conv2d(x, w, b): dx [n, c, h, w], dw [o, c/groups, kh, kw], db [o]
// (any of them may be null to skip it). Written, not accumulated. dw and db are summed over the
// batch in an order that depends on the shapes only, so they are the same for any thread count.
void conv2d_backward(float* dx, float* dw, float* db, const float* dy, const float* x,
                     const float* w, const ConvShape& s);

// cols [n, c·kh·kw, oh·ow] = the column matrix of x (torch.nn.functional.unfold's layout), for
// the geometry s (s.o and s.groups are not used).
void im2col(float* cols, const float* x, const ConvShape& s);

}  // namespace mdlfast::cpu
