// The GEMM family's bindings: gemm, linear, linear_backward. The GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bind/activation_names.h"
#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/gemm.h"
#include "cpu/linear.h"

namespace py = pybind11;
using mdlfast::Activation;
using mdlfast::StridedMatrix;
using namespace mdlfast::bind;

namespace {

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

namespace mdlfast::bind {

void bind_cpu_gemm(py::module_& module) {
  module.def("gemm", &gemm, py::arg("out"), py::arg("a"), py::arg("b"), py::arg("alpha"),
             py::arg("beta"), py::arg("c"));
  module.def("linear", &linear, py::arg("y"), py::arg("z"), py::arg("x"), py::arg("w"),
             py::arg("b"), py::arg("activation"));
  module.def("linear_backward", &linear_backward, py::arg("dx"), py::arg("dw"), py::arg("db"),
             py::arg("dy"), py::arg("x"), py::arg("w"), py::arg("y"), py::arg("z"),
             py::arg("activation"));
}

}  // namespace mdlfast::bind
