// The recurrent family's bindings: recurrent_forward, recurrent_backward for kind "rnn_tanh",
// "rnn_relu", "lstm" or "gru" (csrc/cpu/rnn.h). Every shape is re-checked against x [T, N, I] and
// w_hh [G·H, H]; the arrays a kind does not use must be None. The GIL is released while a kernel
// runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/rnn.h"

namespace py = pybind11;
using namespace mdlfast::bind;
using mdlfast::cpu::RecurrentKind;
using mdlfast::cpu::RecurrentSizes;

namespace {

RecurrentKind parse_kind(const std::string& kind) {
  if (kind == "rnn_tanh") return RecurrentKind::rnn_tanh;
  if (kind == "rnn_relu") return RecurrentKind::rnn_relu;
  if (kind == "lstm") return RecurrentKind::lstm;
  if (kind == "gru") return RecurrentKind::gru;
  fail("kind must be one of 'rnn_tanh', 'rnn_relu', 'lstm', 'gru', got '" + kind + "'");
}

// An array the kind needs (`needed`) must be given with this shape; one it does not must be None.
// `optional` arrays (biases, incoming gradients) may be None either way.
const float* input_for(const py::object& array, const char* name, const std::vector<int64_t>& shape,
                       bool needed, bool optional = false) {
  if (array.is_none()) {
    if (needed && !optional) fail(std::string(name) + " is required for this kind");
    return nullptr;
  }
  if (!needed) fail(std::string(name) + " must be None for this kind");
  return contiguous_input(array.cast<py::array>(), name, shape);
}

float* output_for(const py::object& array, const char* name, const std::vector<int64_t>& shape,
                  bool needed, bool optional = false) {
  if (array.is_none()) {
    if (needed && !optional) fail(std::string(name) + " is required for this kind");
    return nullptr;
  }
  if (!needed) fail(std::string(name) + " must be None for this kind");
  py::array out = array.cast<py::array>();
  return output_buffer(out, name, shape);
}

struct Shapes {
  RecurrentKind kind;
  RecurrentSizes sizes;
  int64_t width;  // G·H
};

Shapes shapes_from(const std::string& kind_name, const py::array& x, const py::array& w_hh) {
  const RecurrentKind kind = parse_kind(kind_name);
  const int gates = mdlfast::cpu::recurrent_gates(kind);
  if (x.ndim() != 3) fail("x must have 3 dimensions (T, N, in)");
  if (w_hh.ndim() != 2 || w_hh.shape(1) < 1 || w_hh.shape(0) != gates * w_hh.shape(1))
    fail("w_hh must have shape (G·H, H) with H >= 1");
  return {kind, {x.shape(0), x.shape(1), x.shape(2), w_hh.shape(1)}, gates * w_hh.shape(1)};
}

void recurrent_forward(const std::string& kind_name, const py::object& hs, const py::object& cs,
                       const py::object& gates, const py::object& hn, const py::array& x,
                       const py::array& h0, const py::object& c0, const py::array& w_ih,
                       const py::array& w_hh, const py::object& b_ih, const py::object& b_hh) {
  const Shapes sh = shapes_from(kind_name, x, w_hh);
  const auto [t, n, i, h] = sh.sizes;
  const bool lstm = sh.kind == RecurrentKind::lstm, gru = sh.kind == RecurrentKind::gru;
  const float* x_ptr = contiguous_input(x, "x", {t, n, i});
  const float* h0_ptr = contiguous_input(h0, "h0", {n, h});
  const float* c0_ptr = input_for(c0, "c0", {n, h}, lstm);
  const float* w_ih_ptr = contiguous_input(w_ih, "w_ih", {sh.width, i});
  const float* w_hh_ptr = contiguous_input(w_hh, "w_hh", {sh.width, h});
  const float* b_ih_ptr = input_for(b_ih, "b_ih", {sh.width}, true, true);
  const float* b_hh_ptr = input_for(b_hh, "b_hh", {sh.width}, true, true);
  float* hs_ptr = output_for(hs, "hs", {t + 1, n, h}, true);
  float* cs_ptr = output_for(cs, "cs", {t + 1, n, h}, lstm);
  float* gates_ptr = output_for(gates, "gates", {t, n, sh.width}, lstm || gru);
  float* hn_ptr = output_for(hn, "hn", {t, n, h}, gru);
  py::gil_scoped_release release;
  mdlfast::cpu::recurrent_forward(sh.kind, hs_ptr, cs_ptr, gates_ptr, hn_ptr, x_ptr, h0_ptr, c0_ptr,
                                  w_ih_ptr, w_hh_ptr, b_ih_ptr, b_hh_ptr, sh.sizes);
}

void recurrent_backward(const std::string& kind_name, const py::array& dx, const py::array& dh0,
                        const py::object& dc0, const py::array& dw_ih, const py::array& dw_hh,
                        const py::object& db_ih, const py::object& db_hh, const py::object& dy,
                        const py::object& dh_n, const py::object& dc_n, const py::array& x,
                        const py::array& w_ih, const py::array& w_hh, const py::array& hs,
                        const py::object& cs, const py::object& gates, const py::object& hn) {
  const Shapes sh = shapes_from(kind_name, x, w_hh);
  const auto [t, n, i, h] = sh.sizes;
  const bool lstm = sh.kind == RecurrentKind::lstm, gru = sh.kind == RecurrentKind::gru;
  const float* x_ptr = contiguous_input(x, "x", {t, n, i});
  const float* w_ih_ptr = contiguous_input(w_ih, "w_ih", {sh.width, i});
  const float* w_hh_ptr = contiguous_input(w_hh, "w_hh", {sh.width, h});
  const float* hs_ptr = contiguous_input(hs, "hs", {t + 1, n, h});
  const float* cs_ptr = input_for(cs, "cs", {t + 1, n, h}, lstm);
  const float* gates_ptr = input_for(gates, "gates", {t, n, sh.width}, lstm || gru);
  const float* hn_ptr = input_for(hn, "hn", {t, n, h}, gru);
  const float* dy_ptr = input_for(dy, "dy", {t, n, h}, true, true);
  const float* dh_n_ptr = input_for(dh_n, "dh_n", {n, h}, true, true);
  const float* dc_n_ptr = input_for(dc_n, "dc_n", {n, h}, lstm, true);
  py::array dx_out = dx, dh0_out = dh0, dw_ih_out = dw_ih, dw_hh_out = dw_hh;
  float* dx_ptr = output_buffer(dx_out, "dx", {t, n, i});
  float* dh0_ptr = output_buffer(dh0_out, "dh0", {n, h});
  float* dc0_ptr = output_for(dc0, "dc0", {n, h}, lstm);
  float* dw_ih_ptr = output_buffer(dw_ih_out, "dw_ih", {sh.width, i});
  float* dw_hh_ptr = output_buffer(dw_hh_out, "dw_hh", {sh.width, h});
  float* db_ih_ptr = output_for(db_ih, "db_ih", {sh.width}, true, true);
  float* db_hh_ptr = output_for(db_hh, "db_hh", {sh.width}, true, true);
  py::gil_scoped_release release;
  mdlfast::cpu::recurrent_backward(sh.kind, dx_ptr, dh0_ptr, dc0_ptr, dw_ih_ptr, dw_hh_ptr, db_ih_ptr,
                                   db_hh_ptr, dy_ptr, dh_n_ptr, dc_n_ptr, x_ptr, w_ih_ptr, w_hh_ptr,
                                   hs_ptr, cs_ptr, gates_ptr, hn_ptr, sh.sizes);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_rnn(py::module_& module) {
  module.def("recurrent_forward", &recurrent_forward, py::arg("kind"), py::arg("hs"), py::arg("cs"),
             py::arg("gates"), py::arg("hn"), py::arg("x"), py::arg("h0"), py::arg("c0"),
             py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih"), py::arg("b_hh"));
  module.def("recurrent_backward", &recurrent_backward, py::arg("kind"), py::arg("dx"), py::arg("dh0"),
             py::arg("dc0"), py::arg("dw_ih"), py::arg("dw_hh"), py::arg("db_ih"), py::arg("db_hh"),
             py::arg("dy"), py::arg("dh_n"), py::arg("dc_n"), py::arg("x"), py::arg("w_ih"),
             py::arg("w_hh"), py::arg("hs"), py::arg("cs"), py::arg("gates"), py::arg("hn"));
}

}  // namespace mdlfast::bind
