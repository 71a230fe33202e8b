#include "cpu/linear.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "common/threads.h"

namespace mdlfast::cpu {
namespace {

// db[j] = sum_i dz[i, j], each column summed in row order so the result does not depend on the
// thread count.
void column_sums(float* db, const float* dz, int64_t m, int64_t n) {
  constexpr int64_t kChunk = 256;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const int threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(num_threads(), chunks)));
#pragma omp parallel for num_threads(threads) schedule(static) if (m * n > (int64_t{1} << 16))
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t j0 = c * kChunk;
    const int64_t j1 = std::min(n, j0 + kChunk);
    for (int64_t j = j0; j < j1; ++j) db[j] = 0.0f;
    for (int64_t i = 0; i < m; ++i) {
      const float* row = dz + i * n;
      for (int64_t j = j0; j < j1; ++j) db[j] += row[j];
    }
  }
}

}  // namespace

void linear(float* y, float* z, const StridedMatrix& x, const StridedMatrix& w, const float* bias,
            int64_t m, int64_t in, int64_t out, Activation activation) {
  GemmEpilogue ep;
  ep.bias = bias;
  ep.activation = activation;
  ep.preactivation = z;
  gemm(y, x, transposed(w), 1, m, out, in, ep);
}

void linear_backward(float* dx, float* dw, float* db, const float* dy, const StridedMatrix& x,
                     const StridedMatrix& w, const float* y, const float* z, int64_t m, int64_t in,
                     int64_t out, Activation activation) {
  std::vector<float> dz_buffer;
  const float* dz = dy;
  if (activation != Activation::none) {
    dz_buffer.resize(static_cast<size_t>(m * out));
    activation_grad(dz_buffer.data(), dy, y, z, m * out, activation);
    dz = dz_buffer.data();
  }
  const StridedMatrix dz_view{dz, out, 1, 0};
  gemm(dx, dz_view, w, 1, m, in, out, GemmEpilogue{});               // dx = dz · w
  gemm(dw, transposed(dz_view), x, 1, out, in, m, GemmEpilogue{});   // dw = dzᵀ · x
  column_sums(db, dz, m, out);                                       // db = Σ_rows dz
}

}  // namespace mdlfast::cpu
