#include "cuda/optim.cuh"

#include <cmath>

#include "common/cuda_check.cuh"
#include "cpu/optim_coefficients.h"

namespace mdlfast::cuda {
namespace {

constexpr int kThreads = 256;
// Grid size cap; a launch with more chunks walks them with a grid-stride loop.
constexpr int64_t kMaxBlocks = int64_t{1} << 20;

// The element updates, operation for operation those of csrc/cpu/optim_math.h: fmaf where the CPU
// code fuses a multiply-add, and the explicitly rounded __f*_rn intrinsics elsewhere so that nvcc
// cannot contract a separate multiply and add into an FMA the CPU code does not do.

// torch.lerp(start, end, w), as optim_math::Lerp.
__device__ __forceinline__ float lerp(float start, float end, float w) {
  const float diff = __fsub_rn(end, start);
  return fabsf(w) < 0.5f ? fmaf(w, diff, start) : fmaf(-(1.0f - w), diff, end);
}

struct SgdUpdate {
  cpu::SgdCoefficients c;
  __device__ void operator()(float& p, float g, float* s) const {
    if (c.weight_decay != 0.0f) g = fmaf(c.weight_decay, p, g);
    if (c.use_momentum) {
      const float b = c.first_step ? g : fmaf(c.one_minus_dampening, g, __fmul_rn(s[0], c.momentum));
      s[0] = b;
      g = c.nesterov ? fmaf(c.momentum, b, g) : b;
    }
    p = fmaf(-c.lr, g, p);
  }
};

struct RmspropUpdate {
  cpu::RmspropCoefficients c;
  __device__ void operator()(float& p, float g, float* s) const {
    if (c.weight_decay != 0.0f) g = fmaf(c.weight_decay, p, g);
    const float sq = __fadd_rn(__fmul_rn(s[0], c.alpha), __fmul_rn(__fmul_rn(c.one_minus_alpha, g), g));
    s[0] = sq;
    float variance = sq;
    if (c.centered) {
      const float ga = lerp(s[2], g, c.one_minus_alpha);
      s[2] = ga;
      variance = __fsub_rn(sq, __fmul_rn(ga, ga));
    }
    const float avg = __fadd_rn(__fsqrt_rn(variance), c.eps);
    if (c.use_momentum) {
      const float b = __fadd_rn(__fmul_rn(s[1], c.momentum), __fdiv_rn(g, avg));
      s[1] = b;
      p = fmaf(-c.lr, b, p);
    } else {
      p = fmaf(-c.lr, __fdiv_rn(g, avg), p);
    }
  }
};

struct AdagradUpdate {
  cpu::AdagradCoefficients c;
  __device__ void operator()(float& p, float g, float* s) const {
    if (c.weight_decay != 0.0f) g = fmaf(c.weight_decay, p, g);
    const float sum = fmaf(g, g, s[0]);
    s[0] = sum;
    p = fmaf(-c.lr, __fdiv_rn(g, __fadd_rn(__fsqrt_rn(sum), c.eps)), p);
  }
};

struct AdamUpdate {
  cpu::AdamCoefficients c;
  __device__ void operator()(float& p, float g, float* s) const {
    if (c.weight_decay != 0.0f) g = fmaf(c.weight_decay, p, g);
    if (c.param_scale != 1.0f) p = __fmul_rn(p, c.param_scale);
    const float m = lerp(s[0], g, c.beta1_complement);
    const float v = __fadd_rn(__fmul_rn(s[1], c.beta2), __fmul_rn(__fmul_rn(c.one_minus_beta2, g), g));
    s[0] = m;
    s[1] = v;
    // PyTorch's order: (sqrt(v) / sqrt(bias_correction2)) + eps.
    const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(v), c.bias_correction2_sqrt), c.eps);
    p = fmaf(-c.step_size, __fdiv_rn(m, denom), p);
  }
};

struct TensorView {
  float* param;
  const float* grad;
  float* state[3];
  int64_t size;
};

__device__ TensorView tensor_row(const int64_t* rows, int64_t k) {
  const int64_t* row = rows + k * kOptimTableColumns;
  TensorView t;
  t.param = reinterpret_cast<float*>(row[0]);
  t.grad = reinterpret_cast<const float*>(row[1]);
  for (int s = 0; s < 3; ++s) t.state[s] = reinterpret_cast<float*>(row[2 + s]);
  t.size = row[5];
  return t;
}

// The tensor that chunk `chunk` belongs to: the largest k with chunk_starts[k] <= chunk (empty
// tensors own no chunk, so equal starts are skipped). chunk_starts[count] > chunk bounds it.
__device__ int64_t tensor_of_chunk(const int64_t* chunk_starts, int64_t count, int64_t chunk) {
  int64_t low = 0, high = count;  // chunk_starts[low] <= chunk < chunk_starts[high]
  while (high - low > 1) {
    const int64_t mid = low + (high - low) / 2;
    if (chunk_starts[mid] <= chunk) low = mid;
    else high = mid;
  }
  return low;
}

// Element i of t: loads the parameter, gradient and the states the tensor has, updates, stores.
template <class Update>
__device__ __forceinline__ void update_element(const TensorView& t, int64_t i, const Update& update) {
  float s[3] = {0.0f, 0.0f, 0.0f};
#pragma unroll
  for (int k = 0; k < 3; ++k)
    if (t.state[k]) s[k] = t.state[k][i];
  float p = t.param[i];
  update(p, t.grad[i], s);
  t.param[i] = p;
#pragma unroll
  for (int k = 0; k < 3; ++k)
    if (t.state[k]) t.state[k][i] = s[k];
}

__device__ __forceinline__ float lane(const float4& v, int k) {
  return k == 0 ? v.x : k == 1 ? v.y : k == 2 ? v.z : v.w;
}

__device__ __forceinline__ void set_lane(float4& v, int k, float x) {
  if (k == 0) v.x = x;
  else if (k == 1) v.y = x;
  else if (k == 2) v.z = x;
  else v.w = x;
}

// Elements i .. i+3 of t with 16-byte accesses; every pointer of t is 16-byte aligned and i % 4 == 0.
template <class Update>
__device__ __forceinline__ void update_four(const TensorView& t, int64_t i, const Update& update) {
  float4 s4[3] = {};
#pragma unroll
  for (int k = 0; k < 3; ++k)
    if (t.state[k]) s4[k] = *reinterpret_cast<const float4*>(t.state[k] + i);
  float4 p4 = *reinterpret_cast<const float4*>(t.param + i);
  const float4 g4 = *reinterpret_cast<const float4*>(t.grad + i);
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    float s[3] = {lane(s4[0], e), lane(s4[1], e), lane(s4[2], e)};
    float p = lane(p4, e);
    update(p, lane(g4, e), s);
    set_lane(p4, e, p);
#pragma unroll
    for (int k = 0; k < 3; ++k) set_lane(s4[k], e, s[k]);
  }
  *reinterpret_cast<float4*>(t.param + i) = p4;
#pragma unroll
  for (int k = 0; k < 3; ++k)
    if (t.state[k]) *reinterpret_cast<float4*>(t.state[k] + i) = s4[k];
}

__device__ __forceinline__ bool aligned16(const void* pointer) {
  return (reinterpret_cast<uintptr_t>(pointer) & 15) == 0;
}

template <class Update>
__global__ void __launch_bounds__(kThreads) multi_tensor_kernel(const int64_t* rows, const int64_t* chunk_starts,
                                                                 int64_t count, int64_t chunks, Update update) {
  for (int64_t chunk = blockIdx.x; chunk < chunks; chunk += gridDim.x) {
    const int64_t k = tensor_of_chunk(chunk_starts, count, chunk);
    const TensorView t = tensor_row(rows, k);
    const int64_t begin = (chunk - chunk_starts[k]) * kOptimChunkElements;
    const int64_t end = min(t.size, begin + kOptimChunkElements);
    bool vector = aligned16(t.param) && aligned16(t.grad);
    for (int s = 0; s < 3; ++s) vector = vector && aligned16(t.state[s]);  // null is aligned
    int64_t scalar_from = begin;
    if (vector) {  // begin is a multiple of 4 (kOptimChunkElements is)
      const int64_t vector_end = begin + (end - begin) / 4 * 4;
      for (int64_t i = begin + 4 * static_cast<int64_t>(threadIdx.x); i < vector_end; i += 4 * kThreads)
        update_four(t, i, update);
      scalar_from = vector_end;
    }
    for (int64_t i = scalar_from + threadIdx.x; i < end; i += kThreads) update_element(t, i, update);
  }
}

template <class Update>
void launch(const OptimTable& table, const Update& update, const char* name, cudaStream_t stream) {
  if (table.chunks == 0) return;
  const int64_t blocks = table.chunks < kMaxBlocks ? table.chunks : kMaxBlocks;
  multi_tensor_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      table.rows, table.chunk_starts, table.count, table.chunks, update);
  ::mdlfast::cuda::check_cuda(cudaGetLastError(), name, __FILE__, __LINE__);
}

static_assert(kOptimChunkElements % (4 * kThreads) == 0, "a chunk is whole float4 sweeps of a block");

}  // namespace

// The coefficients are computed in double and rounded to float, exactly as csrc/cpu/optim.cpp does.

void sgd_step(const OptimTable& table, const cpu::SgdOptions& o, cudaStream_t stream) {
  const cpu::SgdCoefficients c{static_cast<float>(o.lr), static_cast<float>(o.weight_decay),
                               static_cast<float>(o.momentum), static_cast<float>(1.0 - o.dampening),
                               o.momentum != 0.0, o.nesterov, o.first_step};
  launch(table, SgdUpdate{c}, "launch of sgd multi_tensor_kernel", stream);
}

void rmsprop_step(const OptimTable& table, const cpu::RmspropOptions& o, cudaStream_t stream) {
  const cpu::RmspropCoefficients c{static_cast<float>(o.lr), static_cast<float>(o.alpha),
                                   static_cast<float>(1.0 - o.alpha), static_cast<float>(o.eps),
                                   static_cast<float>(o.weight_decay), static_cast<float>(o.momentum),
                                   o.momentum > 0.0, o.centered};
  launch(table, RmspropUpdate{c}, "launch of rmsprop multi_tensor_kernel", stream);
}

void adagrad_step(const OptimTable& table, const cpu::AdagradOptions& o, cudaStream_t stream) {
  const cpu::AdagradCoefficients c{static_cast<float>(o.lr), static_cast<float>(o.eps),
                                   static_cast<float>(o.weight_decay)};
  launch(table, AdagradUpdate{c}, "launch of adagrad multi_tensor_kernel", stream);
}

void adam_step(const OptimTable& table, const cpu::AdamOptions& o, cudaStream_t stream) {
  const double step = static_cast<double>(o.step);
  const double bias_correction1 = 1.0 - std::pow(o.beta1, step);
  const double bias_correction2 = 1.0 - std::pow(o.beta2, step);
  const cpu::AdamCoefficients c{static_cast<float>(1.0 - o.beta1),
                                static_cast<float>(o.beta2),
                                static_cast<float>(1.0 - o.beta2),
                                static_cast<float>(o.lr / bias_correction1),
                                static_cast<float>(std::sqrt(bias_correction2)),
                                static_cast<float>(o.eps),
                                static_cast<float>(o.decoupled ? 0.0 : o.weight_decay),
                                static_cast<float>(o.decoupled ? 1.0 - o.lr * o.weight_decay : 1.0)};
  launch(table, AdamUpdate{c}, "launch of adam multi_tensor_kernel", stream);
}

}  // namespace mdlfast::cuda
