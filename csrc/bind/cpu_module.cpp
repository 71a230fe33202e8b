// mdlfast._cpu: the pybind11 face of the C++ kernels. The public, validated API is
// mdlfast.kernels; the checks here are a last line of defence so that a direct call with bad
// arrays raises instead of reading out of bounds. The GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bind/activation_names.h"
#include "common/isa.h"
#include "common/threads.h"
#include "cpu/gemm.h"
#include "cpu/linear.h"

namespace py = pybind11;
using mdlfast::Activation;
using mdlfast::StridedMatrix;

namespace {

using mdlfast::bind::parse_activation;

[[noreturn]] void fail(const std::string& message) { throw py::value_error(message); }

void check_float32(const py::array& array, const char* name) {
  if (!py::isinstance<py::array_t<float>>(array) || array.dtype().kind() != 'f' || array.itemsize() != 4)
    throw py::type_error(std::string(name) + " must be a float32 array");
}

// The kernels address elements, so an array whose strides are not whole elements (a view into a
// structured array, say) is copied first; the returned array must outlive the kernel call.
py::array element_strided(const py::array& array) {
  for (py::ssize_t axis = 0; axis < array.ndim(); ++axis)
    if (array.strides(axis) % static_cast<py::ssize_t>(sizeof(float)) != 0)
      return py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(array);
  return array;
}

int64_t element_stride(const py::array& array, int axis) {
  return static_cast<int64_t>(array.strides(axis)) / static_cast<int64_t>(sizeof(float));
}

void check_shape(const py::array& array, const char* name, std::vector<int64_t> shape) {
  if (array.ndim() != static_cast<py::ssize_t>(shape.size()))
    fail(std::string(name) + " must have " + std::to_string(shape.size()) + " dimensions");
  for (size_t i = 0; i < shape.size(); ++i)
    if (array.shape(static_cast<py::ssize_t>(i)) != shape[i])
      fail(std::string(name) + " has the wrong shape on axis " + std::to_string(i));
}

// A read-only strided view of a 2-D or 3-D (batch-first) float32 array whose strides are whole
// elements (see element_strided); a 2-D array is one item, batch stride 0.
StridedMatrix input_view(const py::array& array, const char* name, std::vector<int64_t> shape) {
  check_float32(array, name);
  check_shape(array, name, shape);
  const int nd = static_cast<int>(array.ndim());
  StridedMatrix view;
  view.data = static_cast<const float*>(array.data());
  view.rs = element_stride(array, nd - 2);
  view.cs = element_stride(array, nd - 1);
  view.bs = nd == 3 ? element_stride(array, 0) : 0;
  return view;
}

const float* contiguous_input(const py::array& array, const char* name, std::vector<int64_t> shape) {
  check_float32(array, name);
  check_shape(array, name, shape);
  if (!(array.flags() & py::array::c_style)) fail(std::string(name) + " must be C-contiguous");
  return static_cast<const float*>(array.data());
}

float* output_buffer(py::array& array, const char* name, std::vector<int64_t> shape) {
  check_float32(array, name);
  check_shape(array, name, shape);
  if (!(array.flags() & py::array::c_style)) fail(std::string(name) + " must be C-contiguous");
  if (!array.writeable()) fail(std::string(name) + " must be writeable");
  return static_cast<float*>(array.mutable_data());
}

// out = alpha · a · b + beta · c, either all 2-D (one product) or all 3-D [batch, rows, cols]
// (a batch stride of 0 broadcasts an operand).
void gemm(py::array out, const py::array& a, const py::array& b, float alpha, float beta,
          const py::object& c) {
  const auto nd = out.ndim();
  if (nd != 2 && nd != 3) fail("out must have 2 dimensions (m, n) or 3 (batch, m, n)");
  if (a.ndim() != nd) fail("a must have as many dimensions as out");
  const int64_t batch = nd == 3 ? out.shape(0) : 1;
  const int64_t m = out.shape(nd - 2), n = out.shape(nd - 1), k = a.shape(nd - 1);
  auto shape = [nd, batch](int64_t rows, int64_t cols) {
    return nd == 3 ? std::vector<int64_t>{batch, rows, cols} : std::vector<int64_t>{rows, cols};
  };
  float* out_ptr = output_buffer(out, "out", shape(m, n));
  const py::array a_elements = element_strided(a), b_elements = element_strided(b);
  const StridedMatrix a_view = input_view(a_elements, "a", shape(m, k));
  const StridedMatrix b_view = input_view(b_elements, "b", shape(k, n));
  mdlfast::GemmEpilogue ep;
  ep.alpha = alpha;
  ep.beta = beta;
  py::array c_elements;
  if (beta != 0.0f) {
    if (c.is_none()) fail("c is required when beta != 0");
    c_elements = element_strided(c.cast<py::array>());
    ep.c = input_view(c_elements, "c", shape(m, n));
  }
  py::gil_scoped_release release;
  mdlfast::cpu::gemm(out_ptr, a_view, b_view, batch, m, n, k, ep);
}

void linear(py::array y, const py::object& z, const py::array& x, const py::array& w,
            const py::object& bias, const std::string& activation) {
  if (x.ndim() != 2 || w.ndim() != 2) fail("x and w must have 2 dimensions");
  const int64_t m = x.shape(0), in = x.shape(1), out = w.shape(0);
  float* y_ptr = output_buffer(y, "y", {m, out});
  float* z_ptr = nullptr;
  if (!z.is_none()) {
    py::array z_array = z.cast<py::array>();
    z_ptr = output_buffer(z_array, "z", {m, out});
  }
  const py::array x_elements = element_strided(x), w_elements = element_strided(w);
  const StridedMatrix x_view = input_view(x_elements, "x", {m, in});
  const StridedMatrix w_view = input_view(w_elements, "w", {out, in});
  const float* bias_ptr = bias.is_none() ? nullptr : contiguous_input(bias.cast<py::array>(), "b", {out});
  const Activation act = parse_activation(activation);
  py::gil_scoped_release release;
  mdlfast::cpu::linear(y_ptr, z_ptr, x_view, w_view, bias_ptr, m, in, out, act);
}

void linear_backward(py::array dx, py::array dw, py::array db, const py::array& dy,
                     const py::array& x, const py::array& w, const py::object& y,
                     const py::object& z, const std::string& activation) {
  if (x.ndim() != 2 || w.ndim() != 2) fail("x and w must have 2 dimensions");
  const int64_t m = x.shape(0), in = x.shape(1), out = w.shape(0);
  float* dx_ptr = output_buffer(dx, "dx", {m, in});
  float* dw_ptr = output_buffer(dw, "dw", {out, in});
  float* db_ptr = output_buffer(db, "db", {out});
  const float* dy_ptr = contiguous_input(dy, "dy", {m, out});
  const py::array x_elements = element_strided(x), w_elements = element_strided(w);
  const StridedMatrix x_view = input_view(x_elements, "x", {m, in});
  const StridedMatrix w_view = input_view(w_elements, "w", {out, in});
  const float* y_ptr = y.is_none() ? nullptr : contiguous_input(y.cast<py::array>(), "y", {m, out});
  const float* z_ptr = z.is_none() ? nullptr : contiguous_input(z.cast<py::array>(), "z", {m, out});
  const Activation act = parse_activation(activation);
  if (act == Activation::gelu && !z_ptr) fail("activation 'gelu' needs the pre-activation z");
  if (act != Activation::none && !y_ptr && !z_ptr) fail("y or z is required with an activation");
  py::gil_scoped_release release;
  mdlfast::cpu::linear_backward(dx_ptr, dw_ptr, db_ptr, dy_ptr, x_view, w_view, y_ptr, z_ptr, m,
                                in, out, act);
}

}  // namespace

PYBIND11_MODULE(_cpu, module) {
  module.doc() = "mdlfast C++ CPU kernels (use mdlfast.kernels, which validates arguments)";

  module.def("supported_isas", [] {
    std::vector<std::string> names;
    for (auto isa : {mdlfast::Isa::generic, mdlfast::Isa::avx2, mdlfast::Isa::avx512})
      if (mdlfast::isa_supported(isa)) names.emplace_back(mdlfast::isa_name(isa));
    return names;
  });
  module.def("active_isa", [] { return std::string(mdlfast::isa_name(mdlfast::active_isa())); });
  module.def("set_isa", [](const std::string& name) {
    mdlfast::Isa isa;
    if (!mdlfast::parse_isa(name.c_str(), &isa))
      fail("unknown ISA '" + name + "'; expected one of generic, avx2, avx512");
    if (!mdlfast::isa_supported(isa)) fail("this CPU does not support the ISA '" + name + "'");
    mdlfast::set_active_isa(isa);
  });
  module.def("num_threads", &mdlfast::num_threads);
  module.def("set_num_threads", [](int n) {
    if (n < 1) fail("num_threads must be >= 1");
    mdlfast::set_num_threads(n);
  });

  module.def(
      "measure_peak_gflops",
      [](int threads, double seconds) {
        if (threads < 1) fail("threads must be >= 1");
        if (!(seconds > 0.0)) fail("seconds must be > 0");
        py::gil_scoped_release release;
        return mdlfast::cpu::measure_peak_gflops(threads, seconds);
      },
      py::arg("threads"), py::arg("seconds") = 0.5,
      "float32 FMA peak (GFLOP/s) of the active ISA path on `threads` threads");

  module.def("gemm", &gemm, py::arg("out"), py::arg("a"), py::arg("b"), py::arg("alpha"),
             py::arg("beta"), py::arg("c"));
  module.def("linear", &linear, py::arg("y"), py::arg("z"), py::arg("x"), py::arg("w"),
             py::arg("b"), py::arg("activation"));
  module.def("linear_backward", &linear_backward, py::arg("dx"), py::arg("dw"), py::arg("db"),
             py::arg("dy"), py::arg("x"), py::arg("w"), py::arg("y"), py::arg("z"),
             py::arg("activation"));
}
