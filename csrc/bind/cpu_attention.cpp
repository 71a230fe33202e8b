// The attention family's bindings: attention, attention_backward on C-contiguous [B, H, T, d]
// arrays, with an optional C-contiguous boolean mask of 4 axes, each 1 (broadcast) or full size.
// The GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <string>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/attention.h"

namespace py = pybind11;
using namespace mdlfast::bind;
using mdlfast::cpu::AttentionProblem;

namespace {

// The problem's sizes from q, k, v (which it checks), its scale, causal flag and mask.
AttentionProblem problem_of(const py::array& q, const py::array& k, const py::array& v,
                            float scale, bool causal, const py::object& mask) {
  for (const auto& [array, name] : {std::pair{&q, "q"}, {&k, "k"}, {&v, "v"}})
    if (array->ndim() != 4) fail(std::string(name) + " must have 4 dimensions (B, heads, T, d)");
  AttentionProblem p;
  p.batch = q.shape(0);
  p.heads = q.shape(1);
  p.tq = q.shape(2);
  p.d = q.shape(3);
  p.tk = k.shape(2);
  p.dv = v.shape(3);
  p.scale = scale;
  p.causal = causal;
  if (p.d < 1) fail("q's last dimension (d) must be >= 1");
  if (!std::isfinite(scale)) fail("scale must be finite");
  contiguous_input(q, "q", {p.batch, p.heads, p.tq, p.d});
  contiguous_input(k, "k", {p.batch, p.heads, p.tk, p.d});
  contiguous_input(v, "v", {p.batch, p.heads, p.tk, p.dv});
  if (mask.is_none()) return p;
  if (causal) fail("mask and causal cannot be combined");
  const py::array m = mask.cast<py::array>();
  if (m.dtype().kind() != 'b' || m.itemsize() != 1) throw py::type_error("mask must be a bool array");
  if (m.ndim() != 4) fail("mask must have 4 dimensions");
  if (!(m.flags() & py::array::c_style)) fail("mask must be C-contiguous");
  const int64_t full[4] = {p.batch, p.heads, p.tq, p.tk};
  int64_t stride = 1;
  for (int axis = 3; axis >= 0; --axis) {
    const int64_t size = m.shape(axis);
    if (size != 1 && size != full[axis])
      fail("mask must have 1 or " + std::to_string(full[axis]) + " on axis " + std::to_string(axis));
    p.mask_strides[axis] = size == 1 ? 0 : stride;
    stride *= size;
  }
  p.mask = static_cast<const uint8_t*>(m.data());
  return p;
}

void attention(py::array out, py::array lse, const py::array& q, const py::array& k,
               const py::array& v, float scale, bool causal, const py::object& mask) {
  const AttentionProblem p = problem_of(q, k, v, scale, causal, mask);
  float* out_ptr = output_buffer(out, "out", {p.batch, p.heads, p.tq, p.dv});
  float* lse_ptr = output_buffer(lse, "lse", {p.batch, p.heads, p.tq});
  const auto* q_ptr = static_cast<const float*>(q.data());
  const auto* k_ptr = static_cast<const float*>(k.data());
  const auto* v_ptr = static_cast<const float*>(v.data());
  py::gil_scoped_release release;
  mdlfast::cpu::attention(out_ptr, lse_ptr, q_ptr, k_ptr, v_ptr, p);
}

void attention_backward(py::array dq, py::array dk, py::array dv, const py::array& dout,
                        const py::array& q, const py::array& k, const py::array& v,
                        const py::array& out, const py::array& lse, float scale, bool causal,
                        const py::object& mask) {
  const AttentionProblem p = problem_of(q, k, v, scale, causal, mask);
  const float* dout_ptr = contiguous_input(dout, "dout", {p.batch, p.heads, p.tq, p.dv});
  const float* out_ptr = contiguous_input(out, "out", {p.batch, p.heads, p.tq, p.dv});
  const float* lse_ptr = contiguous_input(lse, "lse", {p.batch, p.heads, p.tq});
  float* dq_ptr = output_buffer(dq, "dq", {p.batch, p.heads, p.tq, p.d});
  float* dk_ptr = output_buffer(dk, "dk", {p.batch, p.heads, p.tk, p.d});
  float* dv_ptr = output_buffer(dv, "dv", {p.batch, p.heads, p.tk, p.dv});
  const auto* q_ptr = static_cast<const float*>(q.data());
  const auto* k_ptr = static_cast<const float*>(k.data());
  const auto* v_ptr = static_cast<const float*>(v.data());
  py::gil_scoped_release release;
  mdlfast::cpu::attention_backward(dq_ptr, dk_ptr, dv_ptr, dout_ptr, q_ptr, k_ptr, v_ptr, out_ptr,
                                   lse_ptr, p);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_attention(py::module_& module) {
  module.def("attention", &attention, py::arg("out"), py::arg("lse"), py::arg("q"), py::arg("k"),
             py::arg("v"), py::arg("scale"), py::arg("causal"), py::arg("mask"));
  module.def("attention_backward", &attention_backward, py::arg("dq"), py::arg("dk"),
             py::arg("dv"), py::arg("dout"), py::arg("q"), py::arg("k"), py::arg("v"),
             py::arg("out"), py::arg("lse"), py::arg("scale"), py::arg("causal"), py::arg("mask"));
}

}  // namespace mdlfast::bind
