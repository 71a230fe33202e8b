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

#include "bind/activation_names.h"
#include "cuda/device_info.cuh"
#include "cuda/gemm.cuh"
#include "cuda/linear.cuh"

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
}
