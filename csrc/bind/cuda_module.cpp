// mdlfast._cuda: the pybind11 face of the CUDA kernels. Arrays arrive as device pointers (Python
// ints) with element strides, and every kernel is queued on the stream given (CuPy's current
// stream); mdlfast._cuda_dispatch turns CuPy arrays into these arguments and mdlfast.kernels
// validates them. The checks here are a last line of defence against obviously bad calls. The GIL
// is released while kernels are queued; nothing waits for the device.
#include <cuda_runtime_api.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "bind/activation_names.h"
#include "cuda/batch_norm.cuh"
#include "cuda/device_info.cuh"
#include "cuda/gemm.cuh"
#include "cuda/dropout.cuh"
#include "cuda/embedding.cuh"
#include "cuda/linear.cuh"
#include "cuda/norm.cuh"
#include "cuda/pointwise.cuh"
#include "cuda/pool.cuh"
#include "cuda/softmax.cuh"
#include "cuda/optim.cuh"

namespace py = pybind11;
using mdlfast::Activation;
using mdlfast::StridedMatrix;

namespace {

using mdlfast::bind::parse_activation;

using Pointer = std::uintptr_t;
// (pointer, row stride, column stride), strides in elements.
using Matrix = std::tuple<Pointer, int64_t, int64_t>;
// (pointer, row stride, column stride, batch stride), strides in elements; a batch stride of 0
// broadcasts.
using BatchedMatrix = std::tuple<Pointer, int64_t, int64_t, int64_t>;

[[noreturn]] void fail(const std::string& message) { throw py::value_error(message); }

void check_size(int64_t size, const char* name) {
  if (size < 0) fail(std::string(name) + " must be >= 0, got " + std::to_string(size));
}

// A null pointer is fine only for an array without elements.
void check_pointer(Pointer pointer, const char* name, int64_t elements) {
  if (pointer == 0 && elements > 0) fail(std::string(name) + " is a null device pointer");
}

template <typename T>
T* device_pointer(Pointer pointer, const char* name, int64_t elements) {
  check_pointer(pointer, name, elements);
  return reinterpret_cast<T*>(pointer);
}

template <typename T>
T* optional_pointer(const std::optional<Pointer>& pointer, const char* name, int64_t elements) {
  return pointer ? device_pointer<T>(*pointer, name, elements) : nullptr;
}

StridedMatrix matrix_view(const Matrix& matrix, const char* name, int64_t elements) {
  const auto [pointer, rs, cs] = matrix;
  return {device_pointer<const float>(pointer, name, elements), rs, cs, 0};
}

StridedMatrix batched_view(const BatchedMatrix& matrix, const char* name, int64_t elements) {
  const auto [pointer, rs, cs, bs] = matrix;
  return {device_pointer<const float>(pointer, name, elements), rs, cs, bs};
}

cudaStream_t as_stream(Pointer stream) { return reinterpret_cast<cudaStream_t>(stream); }

py::list device_info() {
  py::list devices;
  for (const auto& device : mdlfast::cuda::device_info()) {
    py::dict entry;
    entry["name"] = device.name;
    entry["compute_capability"] = std::to_string(device.major) + "." + std::to_string(device.minor);
    entry["total_memory_bytes"] = device.total_memory_bytes;
    entry["multiprocessors"] = device.multiprocessors;
    devices.append(entry);
  }
  return devices;
}

void gemm(Pointer out, const BatchedMatrix& a, const BatchedMatrix& b, int64_t batch, int64_t m,
          int64_t n, int64_t k, float alpha, float beta, const std::optional<BatchedMatrix>& c,
          Pointer stream) {
  check_size(batch, "batch");
  check_size(m, "m");
  check_size(n, "n");
  check_size(k, "k");
  float* out_ptr = device_pointer<float>(out, "out", batch * m * n);
  mdlfast::GemmEpilogue ep;
  ep.alpha = alpha;
  ep.beta = beta;
  if (beta != 0.0f) {
    if (!c) fail("c is required when beta != 0");
    ep.c = batched_view(*c, "c", batch * m * n);
  }
  const StridedMatrix a_view = batched_view(a, "a", batch * m * k);
  const StridedMatrix b_view = batched_view(b, "b", batch * k * n);
  py::gil_scoped_release release;
  mdlfast::cuda::gemm(out_ptr, a_view, b_view, batch, m, n, k, ep, as_stream(stream));
}

void linear(Pointer y, const std::optional<Pointer>& z, const Matrix& x, const Matrix& w,
            const std::optional<Pointer>& bias, int64_t m, int64_t in, int64_t out,
            const std::string& activation, Pointer stream) {
  check_size(m, "m");
  check_size(in, "in");
  check_size(out, "out");
  float* y_ptr = device_pointer<float>(y, "y", m * out);
  float* z_ptr = optional_pointer<float>(z, "z", m * out);
  const StridedMatrix x_view = matrix_view(x, "x", m * in);
  const StridedMatrix w_view = matrix_view(w, "w", out * in);
  const float* bias_ptr = optional_pointer<const float>(bias, "b", out);
  const Activation act = parse_activation(activation);
  py::gil_scoped_release release;
  mdlfast::cuda::linear(y_ptr, z_ptr, x_view, w_view, bias_ptr, m, in, out, act, as_stream(stream));
}

int64_t linear_backward_workspace_size(int64_t m, int64_t out, const std::string& activation) {
  check_size(m, "m");
  check_size(out, "out");
  return mdlfast::cuda::linear_backward_workspace_size(m, out, parse_activation(activation));
}

void linear_backward(Pointer dx, Pointer dw, Pointer db, Pointer workspace, Pointer dy,
                     const Matrix& x, const Matrix& w, const std::optional<Pointer>& y,
                     const std::optional<Pointer>& z, int64_t m, int64_t in, int64_t out,
                     const std::string& activation, Pointer stream) {
  check_size(m, "m");
  check_size(in, "in");
  check_size(out, "out");
  const Activation act = parse_activation(activation);
  if (act == Activation::gelu && !z) fail("activation 'gelu' needs the pre-activation z");
  if (act != Activation::none && !y && !z) fail("y or z is required with an activation");
  float* dx_ptr = device_pointer<float>(dx, "dx", m * in);
  float* dw_ptr = device_pointer<float>(dw, "dw", out * in);
  float* db_ptr = device_pointer<float>(db, "db", out);
  float* workspace_ptr = device_pointer<float>(
      workspace, "workspace", mdlfast::cuda::linear_backward_workspace_size(m, out, act));
  const float* dy_ptr = device_pointer<const float>(dy, "dy", m * out);
  const StridedMatrix x_view = matrix_view(x, "x", m * in);
  const StridedMatrix w_view = matrix_view(w, "w", out * in);
  const float* y_ptr = optional_pointer<const float>(y, "y", m * out);
  const float* z_ptr = optional_pointer<const float>(z, "z", m * out);
  py::gil_scoped_release release;
  mdlfast::cuda::linear_backward(dx_ptr, dw_ptr, db_ptr, workspace_ptr, dy_ptr, x_view, w_view,
                                 y_ptr, z_ptr, m, in, out, act, as_stream(stream));
}

// The multi-tensor optimizer steps take the device table of cuda/optim.cuh: rows (count x 6
// int64) and chunk_starts (count + 1 int64), filled by mdlfast._cuda_dispatch.
mdlfast::cuda::OptimTable optim_table(Pointer rows, Pointer chunk_starts, int64_t count, int64_t chunks) {
  check_size(count, "count");
  check_size(chunks, "chunks");
  if (chunks > 0 && count == 0) fail("chunks > 0 needs at least one tensor");
  return {device_pointer<const int64_t>(rows, "rows", count),
          device_pointer<const int64_t>(chunk_starts, "chunk_starts", count + 1), count, chunks};
}

void sgd_step(Pointer rows, Pointer chunk_starts, int64_t count, int64_t chunks, double lr, double momentum,
              double dampening, bool nesterov, double weight_decay, bool first_step, Pointer stream) {
  const auto table = optim_table(rows, chunk_starts, count, chunks);
  mdlfast::cpu::SgdOptions options;
  options.lr = lr;
  options.momentum = momentum;
  options.dampening = dampening;
  options.nesterov = nesterov;
  options.weight_decay = weight_decay;
  options.first_step = first_step;
  py::gil_scoped_release release;
  mdlfast::cuda::sgd_step(table, options, as_stream(stream));
}

void rmsprop_step(Pointer rows, Pointer chunk_starts, int64_t count, int64_t chunks, double lr, double alpha,
                  double eps, double weight_decay, double momentum, bool centered, Pointer stream) {
  const auto table = optim_table(rows, chunk_starts, count, chunks);
  mdlfast::cpu::RmspropOptions options;
  options.lr = lr;
  options.alpha = alpha;
  options.eps = eps;
  options.weight_decay = weight_decay;
  options.momentum = momentum;
  options.centered = centered;
  py::gil_scoped_release release;
  mdlfast::cuda::rmsprop_step(table, options, as_stream(stream));
}

void adagrad_step(Pointer rows, Pointer chunk_starts, int64_t count, int64_t chunks, double lr, double eps,
                  double weight_decay, Pointer stream) {
  const auto table = optim_table(rows, chunk_starts, count, chunks);
  mdlfast::cpu::AdagradOptions options;
  options.lr = lr;
  options.eps = eps;
  options.weight_decay = weight_decay;
  py::gil_scoped_release release;
  mdlfast::cuda::adagrad_step(table, options, as_stream(stream));
}

void adam_step(Pointer rows, Pointer chunk_starts, int64_t count, int64_t chunks, int64_t step, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool decoupled, Pointer stream) {
  if (step < 1) fail("step must be >= 1");
  const auto table = optim_table(rows, chunk_starts, count, chunks);
  mdlfast::cpu::AdamOptions options;
  options.lr = lr;
  options.beta1 = beta1;
  options.beta2 = beta2;
  options.eps = eps;
  options.weight_decay = weight_decay;
  options.step = step;
  options.decoupled = decoupled;
  py::gil_scoped_release release;
  mdlfast::cuda::adam_step(table, options, as_stream(stream));
}

void embedding(Pointer y, Pointer indices, Pointer weight, int64_t n, int64_t num_embeddings, int64_t dim,
               Pointer stream) {
  check_size(n, "n");
  check_size(num_embeddings, "num_embeddings");
  check_size(dim, "dim");
  if (n > 0 && num_embeddings == 0) fail("num_embeddings must be > 0 when there are indices");
  float* y_ptr = device_pointer<float>(y, "y", n * dim);
  const int64_t* index_ptr = device_pointer<const int64_t>(indices, "indices", n);
  const float* weight_ptr = device_pointer<const float>(weight, "weight", num_embeddings * dim);
  py::gil_scoped_release release;
  mdlfast::cuda::embedding(y_ptr, index_ptr, weight_ptr, n, dim, as_stream(stream));
}

void embedding_backward(Pointer dweight, Pointer dy, Pointer order, Pointer starts, int64_t n,
                        int64_t num_embeddings, int64_t dim, int64_t padding_idx, Pointer stream) {
  check_size(n, "n");
  check_size(num_embeddings, "num_embeddings");
  check_size(dim, "dim");
  if (padding_idx >= num_embeddings) fail("padding_idx must be < num_embeddings (or negative for none)");
  float* dweight_ptr = device_pointer<float>(dweight, "dweight", num_embeddings * dim);
  const float* dy_ptr = device_pointer<const float>(dy, "dy", n * dim);
  const int64_t* order_ptr = device_pointer<const int64_t>(order, "order", n);
  const int64_t* starts_ptr = device_pointer<const int64_t>(starts, "starts", num_embeddings + 1);
  py::gil_scoped_release release;
  mdlfast::cuda::embedding_backward(dweight_ptr, dy_ptr, order_ptr, starts_ptr, num_embeddings, dim,
                                    padding_idx, as_stream(stream));
}

void layer_norm(Pointer y, Pointer mean, Pointer rstd, Pointer x, const std::optional<Pointer>& gamma,
                const std::optional<Pointer>& beta, int64_t rows, int64_t d, double eps, Pointer stream) {
  check_size(rows, "rows");
  if (d < 1) fail("d must be >= 1, got " + std::to_string(d));
  float* y_ptr = device_pointer<float>(y, "y", rows * d);
  float* mean_ptr = device_pointer<float>(mean, "mean", rows);
  float* rstd_ptr = device_pointer<float>(rstd, "rstd", rows);
  const float* x_ptr = device_pointer<const float>(x, "x", rows * d);
  const float* gamma_ptr = optional_pointer<const float>(gamma, "gamma", d);
  const float* beta_ptr = optional_pointer<const float>(beta, "beta", d);
  py::gil_scoped_release release;
  mdlfast::cuda::layer_norm(y_ptr, mean_ptr, rstd_ptr, x_ptr, gamma_ptr, beta_ptr, rows, d,
                            static_cast<float>(eps), as_stream(stream));
}

int64_t layer_norm_backward_workspace_size(int64_t rows, int64_t d) {
  check_size(rows, "rows");
  check_size(d, "d");
  return mdlfast::cuda::layer_norm_backward_workspace_size(rows, d);
}

void layer_norm_backward(Pointer dx, const std::optional<Pointer>& dgamma, const std::optional<Pointer>& dbeta,
                         const std::optional<Pointer>& workspace, Pointer dy, Pointer x,
                         const std::optional<Pointer>& gamma, Pointer mean, Pointer rstd, int64_t rows, int64_t d,
                         Pointer stream) {
  check_size(rows, "rows");
  if (d < 1) fail("d must be >= 1, got " + std::to_string(d));
  if (dgamma.has_value() != dbeta.has_value()) fail("dgamma and dbeta come together");
  if (dgamma && !gamma) fail("dgamma needs gamma");
  float* dx_ptr = device_pointer<float>(dx, "dx", rows * d);
  float* dgamma_ptr = optional_pointer<float>(dgamma, "dgamma", d);
  float* dbeta_ptr = optional_pointer<float>(dbeta, "dbeta", d);
  float* workspace_ptr = nullptr;
  if (dgamma) {
    if (!workspace) fail("workspace is required with dgamma");
    workspace_ptr = device_pointer<float>(*workspace, "workspace",
                                          mdlfast::cuda::layer_norm_backward_workspace_size(rows, d));
  }
  const float* dy_ptr = device_pointer<const float>(dy, "dy", rows * d);
  const float* x_ptr = device_pointer<const float>(x, "x", rows * d);
  const float* gamma_ptr = optional_pointer<const float>(gamma, "gamma", d);
  const float* mean_ptr = device_pointer<const float>(mean, "mean", rows);
  const float* rstd_ptr = device_pointer<const float>(rstd, "rstd", rows);
  py::gil_scoped_release release;
  mdlfast::cuda::layer_norm_backward(dx_ptr, dgamma_ptr, dbeta_ptr, workspace_ptr, dy_ptr, x_ptr, gamma_ptr,
                                     mean_ptr, rstd_ptr, rows, d, as_stream(stream));
}

void dropout(Pointer y, Pointer mask, Pointer x, int64_t n, uint64_t seed, uint64_t offset, uint32_t threshold,
             float scale, Pointer stream) {
  check_size(n, "n");
  if (threshold > (1u << 24)) fail("threshold must be <= 2**24");
  float* y_ptr = device_pointer<float>(y, "y", n);
  uint8_t* mask_ptr = device_pointer<uint8_t>(mask, "mask", n);
  const float* x_ptr = device_pointer<const float>(x, "x", n);
  py::gil_scoped_release release;
  mdlfast::cuda::dropout(y_ptr, mask_ptr, x_ptr, n, seed, offset, threshold, scale, as_stream(stream));
}

void dropout_backward(Pointer dx, Pointer dy, Pointer mask, int64_t n, float scale, Pointer stream) {
  check_size(n, "n");
  float* dx_ptr = device_pointer<float>(dx, "dx", n);
  const float* dy_ptr = device_pointer<const float>(dy, "dy", n);
  const uint8_t* mask_ptr = device_pointer<const uint8_t>(mask, "mask", n);
  py::gil_scoped_release release;
  mdlfast::cuda::dropout_backward(dx_ptr, dy_ptr, mask_ptr, n, scale, as_stream(stream));
}

mdlfast::cpu::PointwiseKind parse_pointwise_kind(const std::string& name) {
  using mdlfast::cpu::PointwiseKind;
  static const std::pair<const char*, PointwiseKind> kinds[] = {
      {"relu", PointwiseKind::relu},       {"leaky_relu", PointwiseKind::leaky_relu},
      {"elu", PointwiseKind::elu},         {"selu", PointwiseKind::selu},
      {"gelu", PointwiseKind::gelu},       {"sigmoid", PointwiseKind::sigmoid},
      {"tanh", PointwiseKind::tanh},       {"softplus", PointwiseKind::softplus},
      {"silu", PointwiseKind::silu},       {"step", PointwiseKind::step},
      {"hardtanh", PointwiseKind::hardtanh}};
  for (const auto& [known, kind] : kinds)
    if (name == known) return kind;
  fail("unknown activation kind '" + name + "'");
}

void activation(Pointer y, Pointer x, int64_t n, const std::string& kind, float alpha, Pointer stream) {
  check_size(n, "n");
  const auto parsed = parse_pointwise_kind(kind);
  float* y_ptr = device_pointer<float>(y, "y", n);
  const float* x_ptr = device_pointer<const float>(x, "x", n);
  py::gil_scoped_release release;
  mdlfast::cuda::activation_forward(y_ptr, x_ptr, n, parsed, alpha, as_stream(stream));
}

void activation_backward(Pointer dx, Pointer dy, Pointer input_or_output, bool is_output, int64_t n,
                         const std::string& kind, float alpha, Pointer stream) {
  using mdlfast::cpu::PointwiseKind;
  check_size(n, "n");
  const auto parsed = parse_pointwise_kind(kind);
  if (parsed == PointwiseKind::step) fail("activation 'step' has no gradient");
  if (is_output && parsed != PointwiseKind::relu && parsed != PointwiseKind::sigmoid &&
      parsed != PointwiseKind::tanh)
    fail("only relu, sigmoid and tanh take the output; '" + kind + "' needs the input");
  float* dx_ptr = device_pointer<float>(dx, "dx", n);
  const float* dy_ptr = device_pointer<const float>(dy, "dy", n);
  const float* v_ptr = device_pointer<const float>(input_or_output, "input_or_output", n);
  py::gil_scoped_release release;
  mdlfast::cuda::activation_backward(dx_ptr, dy_ptr, v_ptr, is_output, n, parsed, alpha, as_stream(stream));
}

void check_slab(int64_t outer, int64_t n, int64_t inner) {
  check_size(outer, "outer");
  check_size(n, "n");
  check_size(inner, "inner");
}

void softmax(Pointer y, Pointer x, int64_t outer, int64_t n, int64_t inner, bool log, Pointer stream) {
  check_slab(outer, n, inner);
  const int64_t size = outer * n * inner;
  float* y_ptr = device_pointer<float>(y, "y", size);
  const float* x_ptr = device_pointer<const float>(x, "x", size);
  py::gil_scoped_release release;
  mdlfast::cuda::softmax_forward(y_ptr, x_ptr, outer, n, inner, log, as_stream(stream));
}

void softmax_backward(Pointer dx, Pointer dy, Pointer y, int64_t outer, int64_t n, int64_t inner, bool log,
                      Pointer stream) {
  check_slab(outer, n, inner);
  const int64_t size = outer * n * inner;
  float* dx_ptr = device_pointer<float>(dx, "dx", size);
  const float* dy_ptr = device_pointer<const float>(dy, "dy", size);
  const float* y_ptr = device_pointer<const float>(y, "y", size);
  py::gil_scoped_release release;
  mdlfast::cuda::softmax_backward(dx_ptr, dy_ptr, y_ptr, outer, n, inner, log, as_stream(stream));
}

// The geometry of a pooling call, checked as csrc/cpu/pool.h requires it.
mdlfast::cpu::PoolGeometry pool_geometry(int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int64_t kernel_h,
                                         int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_h,
                                         int64_t pad_w) {
  for (int64_t v : {in_h, in_w, out_h, out_w, pad_h, pad_w}) check_size(v, "pooling size");
  if (kernel_h < 1 || kernel_w < 1 || stride_h < 1 || stride_w < 1) fail("kernel and stride must be >= 1");
  if (2 * pad_h > kernel_h || 2 * pad_w > kernel_w) fail("padding must be at most half the kernel");
  if ((out_h > 0 && (out_h - 1) * stride_h + kernel_h > in_h + 2 * pad_h) ||
      (out_w > 0 && (out_w - 1) * stride_w + kernel_w > in_w + 2 * pad_w))
    fail("the output size does not fit the input and window");
  return {in_h, in_w, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w};
}

void max_pool2d(Pointer y, Pointer indices, Pointer x, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                int64_t out_w, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_h,
                int64_t pad_w, Pointer stream) {
  check_size(planes, "planes");
  const auto g = pool_geometry(in_h, in_w, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
  float* y_ptr = device_pointer<float>(y, "y", planes * out_h * out_w);
  int64_t* index_ptr = device_pointer<int64_t>(indices, "indices", planes * out_h * out_w);
  const float* x_ptr = device_pointer<const float>(x, "x", planes * in_h * in_w);
  py::gil_scoped_release release;
  mdlfast::cuda::max_pool2d(y_ptr, index_ptr, x_ptr, planes, g, as_stream(stream));
}

void max_pool2d_backward(Pointer dx, Pointer dy, Pointer indices, int64_t planes, int64_t in_hw, int64_t out_hw,
                         Pointer stream) {
  check_size(planes, "planes");
  check_size(in_hw, "in_hw");
  check_size(out_hw, "out_hw");
  if (out_hw > 0 && in_hw == 0) fail("indices point into an empty plane");
  float* dx_ptr = device_pointer<float>(dx, "dx", planes * in_hw);
  const float* dy_ptr = device_pointer<const float>(dy, "dy", planes * out_hw);
  const int64_t* index_ptr = device_pointer<const int64_t>(indices, "indices", planes * out_hw);
  py::gil_scoped_release release;
  mdlfast::cuda::max_pool2d_backward(dx_ptr, dy_ptr, index_ptr, planes, in_hw, out_hw, as_stream(stream));
}

void avg_pool2d(Pointer y, Pointer x, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w,
                int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                bool count_include_pad, Pointer stream) {
  check_size(planes, "planes");
  const auto g = pool_geometry(in_h, in_w, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
  float* y_ptr = device_pointer<float>(y, "y", planes * out_h * out_w);
  const float* x_ptr = device_pointer<const float>(x, "x", planes * in_h * in_w);
  py::gil_scoped_release release;
  mdlfast::cuda::avg_pool2d(y_ptr, x_ptr, planes, g, count_include_pad, as_stream(stream));
}

void avg_pool2d_backward(Pointer dx, Pointer dy, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                         int64_t out_w, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                         int64_t pad_h, int64_t pad_w, bool count_include_pad, Pointer stream) {
  check_size(planes, "planes");
  const auto g = pool_geometry(in_h, in_w, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
  float* dx_ptr = device_pointer<float>(dx, "dx", planes * in_h * in_w);
  const float* dy_ptr = device_pointer<const float>(dy, "dy", planes * out_h * out_w);
  py::gil_scoped_release release;
  mdlfast::cuda::avg_pool2d_backward(dx_ptr, dy_ptr, planes, g, count_include_pad, as_stream(stream));
}

void batch_norm(Pointer y, Pointer save_mean, Pointer save_invstd, Pointer x, const std::optional<Pointer>& gamma,
                const std::optional<Pointer>& beta, const std::optional<Pointer>& running_mean,
                const std::optional<Pointer>& running_var, int64_t n, int64_t c, int64_t s, bool training,
                float momentum, float eps, Pointer stream) {
  check_slab(n, c, s);
  if (running_mean.has_value() != running_var.has_value())
    fail("running_mean and running_var must both be given or both be None");
  if (!(momentum >= 0.0f && momentum <= 1.0f)) fail("momentum must lie in [0, 1]");
  if (!(eps > 0.0f)) fail("eps must be > 0");
  const bool batch_stats = training || !running_mean;
  if (batch_stats && n * s < 2) fail("batch statistics need more than 1 value per channel");
  float* y_ptr = device_pointer<float>(y, "y", n * c * s);
  float* mean_ptr = device_pointer<float>(save_mean, "save_mean", c);
  float* invstd_ptr = device_pointer<float>(save_invstd, "save_invstd", c);
  const float* x_ptr = device_pointer<const float>(x, "x", n * c * s);
  const float* gamma_ptr = optional_pointer<const float>(gamma, "gamma", c);
  const float* beta_ptr = optional_pointer<const float>(beta, "beta", c);
  float* rm_ptr = optional_pointer<float>(running_mean, "running_mean", c);
  float* rv_ptr = optional_pointer<float>(running_var, "running_var", c);
  py::gil_scoped_release release;
  if (batch_stats)
    mdlfast::cuda::batch_norm_training(y_ptr, mean_ptr, invstd_ptr, rm_ptr, rv_ptr, x_ptr, gamma_ptr, beta_ptr, n, c,
                                       s, momentum, eps, as_stream(stream));
  else
    mdlfast::cuda::batch_norm_inference(y_ptr, mean_ptr, invstd_ptr, x_ptr, gamma_ptr, beta_ptr, rm_ptr, rv_ptr, n,
                                        c, s, eps, as_stream(stream));
}

void batch_norm_backward(Pointer dx, const std::optional<Pointer>& dgamma, const std::optional<Pointer>& dbeta,
                         Pointer dy, Pointer x, const std::optional<Pointer>& gamma, Pointer save_mean,
                         Pointer save_invstd, int64_t n, int64_t c, int64_t s, bool training, Pointer stream) {
  check_slab(n, c, s);
  if (dgamma.has_value() != dbeta.has_value()) fail("dgamma and dbeta come together");
  float* dx_ptr = device_pointer<float>(dx, "dx", n * c * s);
  float* dgamma_ptr = optional_pointer<float>(dgamma, "dgamma", c);
  float* dbeta_ptr = optional_pointer<float>(dbeta, "dbeta", c);
  const float* dy_ptr = device_pointer<const float>(dy, "dy", n * c * s);
  const float* x_ptr = device_pointer<const float>(x, "x", n * c * s);
  const float* gamma_ptr = optional_pointer<const float>(gamma, "gamma", c);
  const float* mean_ptr = device_pointer<const float>(save_mean, "save_mean", c);
  const float* invstd_ptr = device_pointer<const float>(save_invstd, "save_invstd", c);
  py::gil_scoped_release release;
  mdlfast::cuda::batch_norm_backward(dx_ptr, dgamma_ptr, dbeta_ptr, dy_ptr, x_ptr, gamma_ptr, mean_ptr, invstd_ptr,
                                     n, c, s, training, as_stream(stream));
}

}  // namespace

PYBIND11_MODULE(_cuda, module) {
  module.doc() =
      "mdlfast CUDA kernels on raw device pointers (use mdlfast.kernels with CuPy arrays)";

  module.def("device_info", &device_info,
             "One dict per visible GPU (name, compute_capability, total_memory_bytes, "
             "multiprocessors); an empty list without a driver or a GPU");

  module.def("gemm", &gemm, py::arg("out"), py::arg("a"), py::arg("b"), py::arg("batch"),
             py::arg("m"), py::arg("n"), py::arg("k"), py::arg("alpha"), py::arg("beta"),
             py::arg("c"), py::arg("stream"),
             "out[b] = alpha·a[b]·b[b] + beta·c[b]; operands are (pointer, row stride, column "
             "stride, batch stride) tuples, out is contiguous [batch, m, n]");
  module.def("linear", &linear, py::arg("y"), py::arg("z"), py::arg("x"), py::arg("w"),
             py::arg("b"), py::arg("m"), py::arg("in_features"), py::arg("out_features"),
             py::arg("activation"), py::arg("stream"),
             "y = activation(x·wᵀ + b); x and w are (pointer, row stride, column stride) "
             "tuples");
  module.def("linear_backward_workspace_size", &linear_backward_workspace_size, py::arg("m"),
             py::arg("out_features"), py::arg("activation"),
             "float32 elements of scratch memory linear_backward needs");
  module.def("linear_backward", &linear_backward, py::arg("dx"), py::arg("dw"), py::arg("db"),
             py::arg("workspace"), py::arg("dy"), py::arg("x"), py::arg("w"), py::arg("y"),
             py::arg("z"), py::arg("m"), py::arg("in_features"), py::arg("out_features"),
             py::arg("activation"), py::arg("stream"),
             "dx, dw, db of linear; dy, y, z contiguous [m, out_features]");

  module.attr("optim_chunk_elements") = mdlfast::cuda::kOptimChunkElements;
  module.attr("optim_table_columns") = mdlfast::cuda::kOptimTableColumns;
  const char* table_doc =
      "; rows (count x 6 int64: param, grad, state0..2, size) and chunk_starts (count + 1 int64) "
      "are device pointers to the table of csrc/cuda/optim.cuh";
  module.def("sgd_step", &sgd_step, py::arg("rows"), py::arg("chunk_starts"), py::arg("count"),
             py::arg("chunks"), py::arg("lr"), py::arg("momentum"), py::arg("dampening"),
             py::arg("nesterov"), py::arg("weight_decay"), py::arg("first_step"), py::arg("stream"),
             (std::string("torch.optim.SGD's step over every tensor of the table") + table_doc).c_str());
  module.def("rmsprop_step", &rmsprop_step, py::arg("rows"), py::arg("chunk_starts"), py::arg("count"),
             py::arg("chunks"), py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"),
             py::arg("momentum"), py::arg("centered"), py::arg("stream"),
             (std::string("torch.optim.RMSprop's step over every tensor of the table") + table_doc).c_str());
  module.def("adagrad_step", &adagrad_step, py::arg("rows"), py::arg("chunk_starts"), py::arg("count"),
             py::arg("chunks"), py::arg("lr"), py::arg("eps"), py::arg("weight_decay"), py::arg("stream"),
             (std::string("torch.optim.Adagrad's step over every tensor of the table") + table_doc).c_str());
  module.def("adam_step", &adam_step, py::arg("rows"), py::arg("chunk_starts"), py::arg("count"),
             py::arg("chunks"), py::arg("step"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"),
             py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled"), py::arg("stream"),
             (std::string("torch.optim.Adam's (AdamW's) step over every tensor of the table") + table_doc).c_str());

  module.def("embedding", &embedding, py::arg("y"), py::arg("indices"), py::arg("weight"), py::arg("n"),
             py::arg("num_embeddings"), py::arg("dim"), py::arg("stream"),
             "y [n, dim] = weight[indices]; int64 indices, checked in range by the caller");
  module.def("embedding_backward", &embedding_backward, py::arg("dweight"), py::arg("dy"), py::arg("order"),
             py::arg("starts"), py::arg("n"), py::arg("num_embeddings"), py::arg("dim"), py::arg("padding_idx"),
             py::arg("stream"),
             "dweight [num_embeddings, dim]: dy's rows summed per index in the order given by order "
             "(positions sorted by index) and starts (num_embeddings + 1 row offsets into order)");
  module.def("layer_norm", &layer_norm, py::arg("y"), py::arg("mean"), py::arg("rstd"), py::arg("x"),
             py::arg("gamma"), py::arg("beta"), py::arg("rows"), py::arg("d"), py::arg("eps"), py::arg("stream"),
             "layer normalisation of contiguous [rows, d] x over its last axis");
  module.def("layer_norm_backward_workspace_size", &layer_norm_backward_workspace_size, py::arg("rows"),
             py::arg("d"), "float32 elements of scratch memory layer_norm_backward needs for dgamma and dbeta");
  module.def("layer_norm_backward", &layer_norm_backward, py::arg("dx"), py::arg("dgamma"), py::arg("dbeta"),
             py::arg("workspace"), py::arg("dy"), py::arg("x"), py::arg("gamma"), py::arg("mean"),
             py::arg("rstd"), py::arg("rows"), py::arg("d"), py::arg("stream"),
             "dx (and dgamma, dbeta, both or neither) of layer_norm; all contiguous");

  module.def("dropout", &dropout, py::arg("y"), py::arg("mask"), py::arg("x"), py::arg("n"), py::arg("seed"),
             py::arg("offset"), py::arg("threshold"), py::arg("scale"), py::arg("stream"),
             "dropout of n contiguous floats with the Philox-4x32-10 map of the CPU kernel; mask is 1 byte "
             "an element");
  module.def("dropout_backward", &dropout_backward, py::arg("dx"), py::arg("dy"), py::arg("mask"), py::arg("n"),
             py::arg("scale"), py::arg("stream"), "dx = dy·(mask ? scale : 0) over n contiguous elements");

  module.def("activation", &activation, py::arg("y"), py::arg("x"), py::arg("n"), py::arg("kind"), py::arg("alpha"),
             py::arg("stream"), "y = kind(x) over n contiguous floats (the kinds of mdlfast.kernels.activation)");
  module.def("activation_backward", &activation_backward, py::arg("dx"), py::arg("dy"), py::arg("input_or_output"),
             py::arg("is_output"), py::arg("n"), py::arg("kind"), py::arg("alpha"), py::arg("stream"),
             "dx = dy·kind'(x) over n contiguous floats; input_or_output is y when is_output");

  module.def("softmax", &softmax, py::arg("y"), py::arg("x"), py::arg("outer"), py::arg("n"), py::arg("inner"),
             py::arg("log"), py::arg("stream"),
             "softmax (log_softmax when log) along the middle axis of contiguous [outer, n, inner] x");
  module.def("softmax_backward", &softmax_backward, py::arg("dx"), py::arg("dy"), py::arg("y"), py::arg("outer"),
             py::arg("n"), py::arg("inner"), py::arg("log"), py::arg("stream"),
             "the backward of softmax (log_softmax when log) from its output y");

  module.def("max_pool2d", &max_pool2d, py::arg("y"), py::arg("indices"), py::arg("x"), py::arg("planes"),
             py::arg("in_h"), py::arg("in_w"), py::arg("out_h"), py::arg("out_w"), py::arg("kernel_h"),
             py::arg("kernel_w"), py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"),
             py::arg("stream"), "max pooling of contiguous [planes, in_h, in_w] x, with int64 indices");
  module.def("max_pool2d_backward", &max_pool2d_backward, py::arg("dx"), py::arg("dy"), py::arg("indices"),
             py::arg("planes"), py::arg("in_hw"), py::arg("out_hw"), py::arg("stream"),
             "dy scattered to the positions in indices (checked in [0, in_hw) by the caller)");
  module.def("avg_pool2d", &avg_pool2d, py::arg("y"), py::arg("x"), py::arg("planes"), py::arg("in_h"),
             py::arg("in_w"), py::arg("out_h"), py::arg("out_w"), py::arg("kernel_h"), py::arg("kernel_w"),
             py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"),
             py::arg("count_include_pad"), py::arg("stream"), "average pooling of contiguous [planes, in_h, in_w]");
  module.def("avg_pool2d_backward", &avg_pool2d_backward, py::arg("dx"), py::arg("dy"), py::arg("planes"),
             py::arg("in_h"), py::arg("in_w"), py::arg("out_h"), py::arg("out_w"), py::arg("kernel_h"),
             py::arg("kernel_w"), py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"),
             py::arg("count_include_pad"), py::arg("stream"), "the gradient of avg_pool2d, gathered per input");

  module.def("batch_norm", &batch_norm, py::arg("y"), py::arg("save_mean"), py::arg("save_invstd"), py::arg("x"),
             py::arg("gamma"), py::arg("beta"), py::arg("running_mean"), py::arg("running_var"), py::arg("n"),
             py::arg("c"), py::arg("s"), py::arg("training"), py::arg("momentum"), py::arg("eps"), py::arg("stream"),
             "batch normalisation of contiguous [n, c, s] x (batch statistics when training or without running "
             "statistics, which training updates in place)");
  module.def("batch_norm_backward", &batch_norm_backward, py::arg("dx"), py::arg("dgamma"), py::arg("dbeta"),
             py::arg("dy"), py::arg("x"), py::arg("gamma"), py::arg("save_mean"), py::arg("save_invstd"),
             py::arg("n"), py::arg("c"), py::arg("s"), py::arg("training"), py::arg("stream"),
             "dx (and dgamma, dbeta) of batch_norm over contiguous [n, c, s] arrays");
}
