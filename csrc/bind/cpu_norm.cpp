// The normalisation family's bindings: layer_norm, layer_norm_backward on [rows, d] arrays (the
// Python layer flattens the leading axes). The GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/norm.h"

namespace py = pybind11;
using namespace mdlfast::bind;

namespace {

const float* optional_input(const py::object& array, const char* name, int64_t d) {
  return array.is_none() ? nullptr : contiguous_input(array.cast<py::array>(), name, {d});
}

void layer_norm(py::array y, py::array mean, py::array rstd, const py::array& x,
                const py::object& gamma, const py::object& beta, float eps) {
  if (x.ndim() != 2) fail("x must have 2 dimensions (rows, d)");
  const int64_t rows = x.shape(0), d = x.shape(1);
  if (d < 1) fail("x's last dimension must be >= 1");
  if (!(eps > 0.0f)) fail("eps must be > 0");
  const float* x_ptr = contiguous_input(x, "x", {rows, d});
  const float* gamma_ptr = optional_input(gamma, "gamma", d);
  const float* beta_ptr = optional_input(beta, "beta", d);
  float* y_ptr = output_buffer(y, "y", {rows, d});
  float* mean_ptr = output_buffer(mean, "mean", {rows});
  float* rstd_ptr = output_buffer(rstd, "rstd", {rows});
  py::gil_scoped_release release;
  mdlfast::cpu::layer_norm(y_ptr, mean_ptr, rstd_ptr, x_ptr, gamma_ptr, beta_ptr, rows, d, eps);
}

void layer_norm_backward(py::array dx, py::object dgamma, py::object dbeta, const py::array& dy,
                         const py::array& x, const py::object& gamma, const py::array& mean,
                         const py::array& rstd) {
  if (x.ndim() != 2) fail("x must have 2 dimensions (rows, d)");
  const int64_t rows = x.shape(0), d = x.shape(1);
  if (d < 1) fail("x's last dimension must be >= 1");
  if (dgamma.is_none() != dbeta.is_none()) fail("dgamma and dbeta must both be given or both None");
  const float* x_ptr = contiguous_input(x, "x", {rows, d});
  const float* dy_ptr = contiguous_input(dy, "dy", {rows, d});
  const float* gamma_ptr = optional_input(gamma, "gamma", d);
  const float* mean_ptr = contiguous_input(mean, "mean", {rows});
  const float* rstd_ptr = contiguous_input(rstd, "rstd", {rows});
  float* dx_ptr = output_buffer(dx, "dx", {rows, d});
  float* dgamma_ptr = nullptr;
  float* dbeta_ptr = nullptr;
  if (!dgamma.is_none()) {
    py::array dgamma_array = dgamma.cast<py::array>(), dbeta_array = dbeta.cast<py::array>();
    dgamma_ptr = output_buffer(dgamma_array, "dgamma", {d});
    dbeta_ptr = output_buffer(dbeta_array, "dbeta", {d});
  }
  py::gil_scoped_release release;
  mdlfast::cpu::layer_norm_backward(dx_ptr, dgamma_ptr, dbeta_ptr, dy_ptr, x_ptr, gamma_ptr,
                                    mean_ptr, rstd_ptr, rows, d);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_norm(py::module_& module) {
  module.def("layer_norm", &layer_norm, py::arg("y"), py::arg("mean"), py::arg("rstd"),
             py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("eps"));
  module.def("layer_norm_backward", &layer_norm_backward, py::arg("dx"), py::arg("dgamma"),
             py::arg("dbeta"), py::arg("dy"), py::arg("x"), py::arg("gamma"), py::arg("mean"),
             py::arg("rstd"));
}

}  // namespace mdlfast::bind
