// The batch-norm bindings on [n, c, s] arrays (the Python layer flattens the spatial axes). The
// GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/batch_norm.h"

namespace py = pybind11;
using namespace mdlfast::bind;

namespace {

const float* optional_input(const py::object& array, const char* name, int64_t c) {
  return array.is_none() ? nullptr : contiguous_input(array.cast<py::array>(), name, {c});
}

void check_x(const py::array& x) {
  if (x.ndim() != 3) fail("x must have 3 dimensions (n, c, s)");
}

void batch_norm(py::array y, py::array save_mean, py::array save_invstd, const py::array& x,
                const py::object& gamma, const py::object& beta, py::object running_mean,
                py::object running_var, bool training, float momentum, float eps) {
  check_x(x);
  const int64_t n = x.shape(0), c = x.shape(1), s = x.shape(2);
  if (!(eps > 0.0f)) fail("eps must be > 0");
  if (!(momentum >= 0.0f && momentum <= 1.0f)) fail("momentum must lie in [0, 1]");
  if (running_mean.is_none() != running_var.is_none())
    fail("running_mean and running_var must both be given or both be None");
  const bool batch_stats = training || running_mean.is_none();
  if (batch_stats && n * s < 2) fail("batch statistics need more than 1 value per channel");
  const float* x_ptr = contiguous_input(x, "x", {n, c, s});
  const float* gamma_ptr = optional_input(gamma, "gamma", c);
  const float* beta_ptr = optional_input(beta, "beta", c);
  float* y_ptr = output_buffer(y, "y", {n, c, s});
  float* mean_ptr = output_buffer(save_mean, "save_mean", {c});
  float* invstd_ptr = output_buffer(save_invstd, "save_invstd", {c});
  if (!batch_stats) {  // eval: the running statistics are only read
    const float* rm_ptr = contiguous_input(running_mean.cast<py::array>(), "running_mean", {c});
    const float* rv_ptr = contiguous_input(running_var.cast<py::array>(), "running_var", {c});
    py::gil_scoped_release release;
    mdlfast::cpu::batch_norm_inference(y_ptr, mean_ptr, invstd_ptr, x_ptr, gamma_ptr, beta_ptr,
                                       rm_ptr, rv_ptr, n, c, s, eps);
    return;
  }
  float* rm_ptr = nullptr;
  float* rv_ptr = nullptr;
  if (!running_mean.is_none()) {
    py::array rm = running_mean.cast<py::array>(), rv = running_var.cast<py::array>();
    rm_ptr = output_buffer(rm, "running_mean", {c});
    rv_ptr = output_buffer(rv, "running_var", {c});
  }
  py::gil_scoped_release release;
  mdlfast::cpu::batch_norm_training(y_ptr, mean_ptr, invstd_ptr, rm_ptr, rv_ptr, x_ptr, gamma_ptr,
                                    beta_ptr, n, c, s, momentum, eps);
}

void batch_norm_backward(py::array dx, py::object dgamma, py::object dbeta, const py::array& dy,
                         const py::array& x, const py::object& gamma, const py::array& save_mean,
                         const py::array& save_invstd, bool training) {
  check_x(x);
  const int64_t n = x.shape(0), c = x.shape(1), s = x.shape(2);
  if (dgamma.is_none() != dbeta.is_none()) fail("dgamma and dbeta must both be given or both None");
  const float* x_ptr = contiguous_input(x, "x", {n, c, s});
  const float* dy_ptr = contiguous_input(dy, "dy", {n, c, s});
  const float* gamma_ptr = optional_input(gamma, "gamma", c);
  const float* mean_ptr = contiguous_input(save_mean, "save_mean", {c});
  const float* invstd_ptr = contiguous_input(save_invstd, "save_invstd", {c});
  float* dx_ptr = output_buffer(dx, "dx", {n, c, s});
  float* dgamma_ptr = nullptr;
  float* dbeta_ptr = nullptr;
  if (!dgamma.is_none()) {
    py::array dgamma_array = dgamma.cast<py::array>(), dbeta_array = dbeta.cast<py::array>();
    dgamma_ptr = output_buffer(dgamma_array, "dgamma", {c});
    dbeta_ptr = output_buffer(dbeta_array, "dbeta", {c});
  }
  py::gil_scoped_release release;
  mdlfast::cpu::batch_norm_backward(dx_ptr, dgamma_ptr, dbeta_ptr, dy_ptr, x_ptr, gamma_ptr,
                                    mean_ptr, invstd_ptr, n, c, s, training);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_batch_norm(py::module_& module) {
  module.def("batch_norm", &batch_norm, py::arg("y"), py::arg("save_mean"), py::arg("save_invstd"),
             py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("running_mean"),
             py::arg("running_var"), py::arg("training"), py::arg("momentum"), py::arg("eps"));
  module.def("batch_norm_backward", &batch_norm_backward, py::arg("dx"), py::arg("dgamma"),
             py::arg("dbeta"), py::arg("dy"), py::arg("x"), py::arg("gamma"), py::arg("save_mean"),
             py::arg("save_invstd"), py::arg("training"));
}

}  // namespace mdlfast::bind
