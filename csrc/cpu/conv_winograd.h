// Winograd's minimal filtering F(4×4, 3×3) for 3×3, stride-1 convolutions (ResNet's layers): each
// 4×4 block of outputs ("tile") is computed from its 6×6 input patch d as
//   Y = Aᵀ [ Σ_c U[o, c] ⊙ V[c] ] A,   U = G g Gᵀ (per weight plane g),  V = Bᵀ d B,
// which takes 36 products per tile and channel pair where the direct convolution takes 144.
// The 36 element-wise sums over c are 36 independent GEMMs M[ξ] = U[ξ]·V[ξ] (O×C times C×tiles),
// run on the GEMM core's micro-kernel over blocks of tiles small enough that V and M stay in
// cache; only x and y stream through memory. The interpolation points are 0, ±1, ±2 (and ∞):
// float32 errors stay around 10⁻⁶ relative on the ResNet layers, well inside the tests' bound.
#pragma once

#include <cstdint>

#include "cpu/conv.h"

namespace mdlfast::cpu {

// True when conv2d_winograd runs this convolution and wins: 3×3, stride 1, dilation 1, one group,
// enough channels and tiles, the AVX-512 or AVX2 path, and finite weights (an infinite weight
// makes each output of its channel +inf, −inf or NaN by the signs it meets in the direct sum; the
// transforms would mix them into NaN everywhere).
bool winograd_applies(const ConvShape& s, const float* w);

// y = conv2d(x, w) + b (b may be null) for a shape winograd_applies() accepts. Every element of y
// is written; a tile whose input patch holds an infinity or NaN is computed directly instead, so
// non-finite values reach exactly the outputs they reach in the direct convolution.
void conv2d_winograd(float* y, const float* x, const float* w, const float* b, const ConvShape& s);

namespace winograd {

constexpr int kTransformed = 36;  // 6×6 transformed elements ξ = 6·k + l per tile
constexpr int kGroupTiles = 16;   // tiles per vector in the transforms, at most (AVX2: 8)

// u[ξ·xi_stride + c·mr + i] = U[ξ] = (G g Gᵀ)[ξ] of the weight plane g = w[i, c] (w [rows][channels]
// [3][3]) for c < channels and i < rows <= mr <= 16; zero for rows <= i < mr. One micro-kernel A
// panel per ξ.
using WeightTransformFn = void (*)(float* u, int64_t xi_stride, const float* w, int64_t channels, int rows,
                                   int mr);
void weight_transform_avx512(float* u, int64_t xi_stride, const float* w, int64_t channels, int rows, int mr);
void weight_transform_avx2(float* u, int64_t xi_stride, const float* w, int64_t channels, int rows, int mr);

// A vector of tiles' input patches, by load slot: slot s holds tile lane_of_slot(s, vector width)
// of the group (the order in which the ISA's in-register transpose delivers them). Row i of that
// tile's 6×6 patch starts at x[x_offset[s] + i·width] of channel 0 (the corner may lie in the
// padding: offsets are relative to x's start and can be negative) and reads the columns whose
// bits are set in load_mask[i][s], zero for the rest (padding, absent tiles).
struct InputGroup {
  int64_t x_offset[kGroupTiles];
  uint8_t load_mask[6][kGroupTiles];
};
constexpr int lane_of_slot(int s, int width) {
  return width == 16 ? (s & ~12) | (s & 4) << 1 | (s & 8) >> 1 : s;
}

// A vector of tiles' outputs: tile t's 4×4 block starts at y[y_offset[t]] of channel 0; row i writes
// the columns whose bits are set in store_mask[t][i] (none for rows past the output's bottom edge
// or absent tiles, fewer than four at its right edge).
struct OutputGroup {
  int64_t y_offset[kGroupTiles];
  uint8_t store_mask[kGroupTiles][4];
};

// v[ξ·xi_stride + c·c_stride + t] = V[ξ] of tile t and channel c, for c < channels, from x
// [channels planes of `plane` floats, rows `width` apart]. Returns the tiles whose V holds a
// non-finite value (their patch has an infinity or NaN, or the transform overflowed).
using InputTransformFn = uint16_t (*)(float* v, int64_t xi_stride, int64_t c_stride, const float* x,
                                      int64_t plane, int64_t width, int64_t channels,
                                      const InputGroup& tiles);
uint16_t input_transform_avx512(float* v, int64_t xi_stride, int64_t c_stride, const float* x,
                                int64_t plane, int64_t width, int64_t channels, const InputGroup& tiles);
uint16_t input_transform_avx2(float* v, int64_t xi_stride, int64_t c_stride, const float* x,
                              int64_t plane, int64_t width, int64_t channels, const InputGroup& tiles);

// y[o·plane + y_offset[t] + i·width + j] = (Aᵀ M A)[i][j] + b[o] for o < outputs, where tile t's
// M[ξ] of channel o is m[ξ·xi_stride + o·o_stride + t] (b may be null).
using OutputTransformFn = void (*)(float* y, int64_t plane, int64_t width, const float* m,
                                   int64_t xi_stride, int64_t o_stride, int64_t outputs,
                                   const float* b, const OutputGroup& tiles);
void output_transform_avx512(float* y, int64_t plane, int64_t width, const float* m, int64_t xi_stride,
                             int64_t o_stride, int64_t outputs, const float* b, const OutputGroup& tiles);
void output_transform_avx2(float* y, int64_t plane, int64_t width, const float* m, int64_t xi_stride,
                           int64_t o_stride, int64_t outputs, const float* b, const OutputGroup& tiles);

}  // namespace winograd
}  // namespace mdlfast::cpu
