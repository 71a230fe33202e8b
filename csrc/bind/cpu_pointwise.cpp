// The activation family's bindings: activation, activation_backward on flat (1-D) float32 arrays
// (the Python layer flattens). The GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/pointwise.h"

namespace py = pybind11;
using namespace mdlfast::bind;
using mdlfast::cpu::PointwiseKind;

namespace {

PointwiseKind parse_kind(const std::string& name) {
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

int64_t flat_size(const py::array& array, const char* name) {
  if (array.ndim() != 1) fail(std::string(name) + " must be 1-D (flattened)");
  return array.shape(0);
}

void activation(py::array y, const py::array& x, const std::string& kind, float alpha) {
  const PointwiseKind parsed = parse_kind(kind);
  const int64_t n = flat_size(x, "x");
  const float* x_ptr = contiguous_input(x, "x", {n});
  float* y_ptr = output_buffer(y, "y", {n});
  py::gil_scoped_release release;
  mdlfast::cpu::activation_forward(y_ptr, x_ptr, n, parsed, alpha);
}

void activation_backward(py::array dx, const py::array& dy, const py::array& input_or_output,
                         bool is_output, const std::string& kind, float alpha) {
  const PointwiseKind parsed = parse_kind(kind);
  if (parsed == PointwiseKind::step) fail("kind 'step' has no backward");
  const bool output_kind = parsed == PointwiseKind::relu || parsed == PointwiseKind::sigmoid ||
                           parsed == PointwiseKind::tanh;
  if (is_output && !output_kind) fail("kind '" + kind + "' needs the forward's input, not its output");
  const int64_t n = flat_size(dy, "dy");
  const float* dy_ptr = contiguous_input(dy, "dy", {n});
  const float* v_ptr = contiguous_input(input_or_output, "input_or_output", {n});
  float* dx_ptr = output_buffer(dx, "dx", {n});
  py::gil_scoped_release release;
  mdlfast::cpu::activation_backward(dx_ptr, dy_ptr, v_ptr, is_output, n, parsed, alpha);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_pointwise(py::module_& module) {
  module.def("activation", &activation, py::arg("y"), py::arg("x"), py::arg("kind"), py::arg("alpha"));
  module.def("activation_backward", &activation_backward, py::arg("dx"), py::arg("dy"),
             py::arg("input_or_output"), py::arg("is_output"), py::arg("kind"), py::arg("alpha"));
}

}  // namespace mdlfast::bind
