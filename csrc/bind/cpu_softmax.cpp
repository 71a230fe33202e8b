// The softmax family's bindings: softmax / log_softmax (log=True) and their backwards on
// C-contiguous [outer, n, inner] float32 arrays (the Python layer reshapes around the axis). The
// GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/softmax.h"

namespace py = pybind11;
using namespace mdlfast::bind;

namespace {

std::vector<int64_t> slab_shape(const py::array& x, const char* name) {
  if (x.ndim() != 3) fail(std::string(name) + " must have 3 dimensions (outer, n, inner)");
  if (x.shape(1) < 1) fail(std::string(name) + "'s softmax axis must have length >= 1");
  return {x.shape(0), x.shape(1), x.shape(2)};
}

void softmax(py::array y, const py::array& x, bool log) {
  const std::vector<int64_t> shape = slab_shape(x, "x");
  const float* x_ptr = contiguous_input(x, "x", shape);
  float* y_ptr = output_buffer(y, "y", shape);
  py::gil_scoped_release release;
  mdlfast::cpu::softmax_forward(y_ptr, x_ptr, shape[0], shape[1], shape[2], log);
}

void softmax_backward(py::array dx, const py::array& dy, const py::array& y, bool log) {
  const std::vector<int64_t> shape = slab_shape(y, "y");
  const float* y_ptr = contiguous_input(y, "y", shape);
  const float* dy_ptr = contiguous_input(dy, "dy", shape);
  float* dx_ptr = output_buffer(dx, "dx", shape);
  py::gil_scoped_release release;
  mdlfast::cpu::softmax_backward(dx_ptr, dy_ptr, y_ptr, shape[0], shape[1], shape[2], log);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_softmax(py::module_& module) {
  module.def("softmax", &softmax, py::arg("y"), py::arg("x"), py::arg("log"));
  module.def("softmax_backward", &softmax_backward, py::arg("dx"), py::arg("dy"), py::arg("y"), py::arg("log"));
}

}  // namespace mdlfast::bind
