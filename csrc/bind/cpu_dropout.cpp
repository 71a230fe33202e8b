// The dropout family's bindings: dropout, dropout_backward on flat (1-D) float32 arrays with a
// bool (1 byte, 0 or 1) mask. The GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/dropout.h"

namespace py = pybind11;
using namespace mdlfast::bind;

namespace {

int64_t flat_size(const py::array& array, const char* name) {
  if (array.ndim() != 1) fail(std::string(name) + " must be 1-D (flattened)");
  return array.shape(0);
}

void check_mask(const py::array& mask, int64_t n) {
  if (mask.dtype().kind() != 'b' || mask.itemsize() != 1) throw py::type_error("mask must be a bool array");
  check_shape(mask, "mask", {n});
  if (!(mask.flags() & py::array::c_style)) fail("mask must be C-contiguous");
}

void dropout(py::array y, py::array mask, const py::array& x, uint64_t seed, uint64_t offset,
             uint32_t threshold, float scale) {
  const int64_t n = flat_size(x, "x");
  if (threshold > (1u << 24)) fail("threshold must be <= 2**24");
  const float* x_ptr = contiguous_input(x, "x", {n});
  float* y_ptr = output_buffer(y, "y", {n});
  check_mask(mask, n);
  if (!mask.writeable()) fail("mask must be writeable");
  auto* mask_ptr = static_cast<uint8_t*>(mask.mutable_data());
  py::gil_scoped_release release;
  mdlfast::cpu::dropout(y_ptr, mask_ptr, x_ptr, n, seed, offset, threshold, scale);
}

void dropout_backward(py::array dx, const py::array& dy, const py::array& mask, float scale) {
  const int64_t n = flat_size(dy, "dy");
  const float* dy_ptr = contiguous_input(dy, "dy", {n});
  check_mask(mask, n);
  const auto* mask_ptr = static_cast<const uint8_t*>(mask.data());
  float* dx_ptr = output_buffer(dx, "dx", {n});
  py::gil_scoped_release release;
  mdlfast::cpu::dropout_backward(dx_ptr, dy_ptr, mask_ptr, n, scale);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_dropout(py::module_& module) {
  module.def("dropout", &dropout, py::arg("y"), py::arg("mask"), py::arg("x"), py::arg("seed"),
             py::arg("offset"), py::arg("threshold"), py::arg("scale"));
  module.def("dropout_backward", &dropout_backward, py::arg("dx"), py::arg("dy"), py::arg("mask"),
             py::arg("scale"));
}

}  // namespace mdlfast::bind
