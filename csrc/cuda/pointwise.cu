#include "cuda/pointwise.cuh"

#include <algorithm>

#include "common/cuda_check.cuh"
#include "cuda/activation.cuh"

namespace mdlfast::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 16384;
constexpr float kSeluAlpha = 1.6732632423543772848f;
constexpr float kSeluScale = 1.0507009873554804934f;

// Comparisons are written so that NaN takes the branch the CPU kernels give it (pointwise_math.h).
__device__ __forceinline__ float elu(float x, float alpha) {
  return x <= 0.0f ? alpha * expm1f(fminf(0.0f, x)) : x;  // NaN: x
}

template <PointwiseKind K>
__device__ __forceinline__ float forward(float x, float alpha) {
  if constexpr (K == PointwiseKind::relu) return x < 0.0f ? 0.0f : x;  // NaN and -0 pass, as max(0, x)
  if constexpr (K == PointwiseKind::leaky_relu) return x <= 0.0f ? x * alpha : x;
  if constexpr (K == PointwiseKind::elu) return elu(x, alpha);
  if constexpr (K == PointwiseKind::selu) return kSeluScale * elu(x, kSeluAlpha);
  if constexpr (K == PointwiseKind::gelu) return x * normal_cdf(x);
  if constexpr (K == PointwiseKind::sigmoid) return sigmoid(x);
  if constexpr (K == PointwiseKind::tanh) return tanhf(x);
  if constexpr (K == PointwiseKind::softplus) return fmaxf(0.0f, x) + log1pf(expf(-fabsf(x)));  // NaN: NaN
  if constexpr (K == PointwiseKind::silu) return x * sigmoid(x);
  if constexpr (K == PointwiseKind::step) return x > 0.0f ? 1.0f : 0.0f;  // NaN: 0
  if constexpr (K == PointwiseKind::hardtanh) return x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);  // NaN passes
  return x;
}

template <PointwiseKind K>
__device__ __forceinline__ float backward(float dy, float v, bool is_output, float alpha) {
  if constexpr (K == PointwiseKind::relu) return v <= 0.0f ? 0.0f : dy;
  if constexpr (K == PointwiseKind::leaky_relu) return v > 0.0f ? dy : dy * alpha;
  if constexpr (K == PointwiseKind::elu || K == PointwiseKind::selu) {
    constexpr bool selu = K == PointwiseKind::selu;
    const float coefficient = selu ? kSeluAlpha * kSeluScale : alpha;
    // NaN v: the CPU's min(0, v) is v, so its negative branch is NaN; either branch then gives NaN·dy
    // or dy, and the comparison sends NaN to the positive one, as on the CPU.
    return v <= 0.0f ? dy * (coefficient * expf(v)) : (selu ? dy * kSeluScale : dy);
  }
  if constexpr (K == PointwiseKind::gelu) return dy * gelu_derivative(v);
  if constexpr (K == PointwiseKind::sigmoid) {
    const float s = is_output ? v : sigmoid(v);
    return dy * (s * (1.0f - s));
  }
  if constexpr (K == PointwiseKind::tanh) {
    const float t = is_output ? v : tanhf(v);
    return dy * (1.0f - t * t);
  }
  if constexpr (K == PointwiseKind::softplus) return dy * sigmoid(v);
  if constexpr (K == PointwiseKind::silu) {
    const float s = sigmoid(v);
    return dy * (s * fmaf(v, 1.0f - s, 1.0f));
  }
  if constexpr (K == PointwiseKind::hardtanh) return (v <= -1.0f || v >= 1.0f) ? 0.0f : dy;
  return dy;
}

template <PointwiseKind K>
__global__ void forward_kernel(float* y, const float* x, int64_t n, float alpha) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    y[i] = forward<K>(x[i], alpha);
}

template <PointwiseKind K>
__global__ void backward_kernel(float* dx, const float* dy, const float* v, bool is_output, int64_t n, float alpha) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    dx[i] = backward<K>(dy[i], v[i], is_output, alpha);
}

unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min((n + kThreads - 1) / kThreads, kMaxBlocks)));
}

template <PointwiseKind K>
void launch_forward(float* y, const float* x, int64_t n, float alpha, cudaStream_t stream) {
  forward_kernel<K><<<blocks_for(n), kThreads, 0, stream>>>(y, x, n, alpha);
  MDLFAST_CUDA_CHECK_LAUNCH("activation forward_kernel");
}

template <PointwiseKind K>
void launch_backward(float* dx, const float* dy, const float* v, bool is_output, int64_t n, float alpha,
                     cudaStream_t stream) {
  backward_kernel<K><<<blocks_for(n), kThreads, 0, stream>>>(dx, dy, v, is_output, n, alpha);
  MDLFAST_CUDA_CHECK_LAUNCH("activation backward_kernel");
}

}  // namespace

void activation_forward(float* y, const float* x, int64_t n, PointwiseKind kind, float alpha, cudaStream_t stream) {
  if (n == 0) return;
  switch (kind) {
    case PointwiseKind::relu: return launch_forward<PointwiseKind::relu>(y, x, n, alpha, stream);
    case PointwiseKind::leaky_relu: return launch_forward<PointwiseKind::leaky_relu>(y, x, n, alpha, stream);
    case PointwiseKind::elu: return launch_forward<PointwiseKind::elu>(y, x, n, alpha, stream);
    case PointwiseKind::selu: return launch_forward<PointwiseKind::selu>(y, x, n, alpha, stream);
    case PointwiseKind::gelu: return launch_forward<PointwiseKind::gelu>(y, x, n, alpha, stream);
    case PointwiseKind::sigmoid: return launch_forward<PointwiseKind::sigmoid>(y, x, n, alpha, stream);
    case PointwiseKind::tanh: return launch_forward<PointwiseKind::tanh>(y, x, n, alpha, stream);
    case PointwiseKind::softplus: return launch_forward<PointwiseKind::softplus>(y, x, n, alpha, stream);
    case PointwiseKind::silu: return launch_forward<PointwiseKind::silu>(y, x, n, alpha, stream);
    case PointwiseKind::step: return launch_forward<PointwiseKind::step>(y, x, n, alpha, stream);
    case PointwiseKind::hardtanh: return launch_forward<PointwiseKind::hardtanh>(y, x, n, alpha, stream);
  }
}

void activation_backward(float* dx, const float* dy, const float* v, bool is_output, int64_t n, PointwiseKind kind,
                         float alpha, cudaStream_t stream) {
  if (n == 0) return;
  switch (kind) {
    case PointwiseKind::relu: return launch_backward<PointwiseKind::relu>(dx, dy, v, is_output, n, alpha, stream);
    case PointwiseKind::leaky_relu:
      return launch_backward<PointwiseKind::leaky_relu>(dx, dy, v, is_output, n, alpha, stream);
    case PointwiseKind::elu: return launch_backward<PointwiseKind::elu>(dx, dy, v, is_output, n, alpha, stream);
    case PointwiseKind::selu: return launch_backward<PointwiseKind::selu>(dx, dy, v, is_output, n, alpha, stream);
    case PointwiseKind::gelu: return launch_backward<PointwiseKind::gelu>(dx, dy, v, is_output, n, alpha, stream);
    case PointwiseKind::sigmoid:
      return launch_backward<PointwiseKind::sigmoid>(dx, dy, v, is_output, n, alpha, stream);
    case PointwiseKind::tanh: return launch_backward<PointwiseKind::tanh>(dx, dy, v, is_output, n, alpha, stream);
    case PointwiseKind::softplus:
      return launch_backward<PointwiseKind::softplus>(dx, dy, v, is_output, n, alpha, stream);
    case PointwiseKind::silu: return launch_backward<PointwiseKind::silu>(dx, dy, v, is_output, n, alpha, stream);
    case PointwiseKind::hardtanh:
      return launch_backward<PointwiseKind::hardtanh>(dx, dy, v, is_output, n, alpha, stream);
    case PointwiseKind::step: break;  // the caller refuses it: step has no gradient
  }
}

}  // namespace mdlfast::cuda
