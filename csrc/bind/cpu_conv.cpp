// The convolution family's bindings: conv2d, conv2d_backward, im2col on C-contiguous NCHW / OIHW
// float32 arrays, with (h, w) pairs for stride, padding and dilation. The geometry is rebuilt from
// the arrays' shapes and checked, so a direct call cannot make a kernel read or write out of
// bounds. The GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/conv.h"
#include "cpu/conv_winograd.h"

namespace py = pybind11;
using namespace mdlfast::bind;
using mdlfast::cpu::ConvShape;

namespace {

using Pair = std::array<int64_t, 2>;

int64_t output_size(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t span = dilation * (k - 1) + 1;
  if (stride < 1 || in + 2 * pad < span) return -1;
  return (in + 2 * pad - span) / stride + 1;
}

ConvShape geometry(const py::array& x, int64_t o, int64_t kh, int64_t kw, Pair stride, Pair padding,
                   Pair dilation, int64_t groups) {
  if (x.ndim() != 4) fail("x must have 4 dimensions (N, C, H, W)");
  ConvShape s{x.shape(0), x.shape(1), x.shape(2), x.shape(3), o, kh, kw, 0, 0,
              stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups};
  s.oh = output_size(s.h, kh, s.sh, s.ph, s.dh);
  s.ow = output_size(s.w, kw, s.sw, s.pw, s.dw);
  if (!mdlfast::cpu::conv_shape_valid(s))
    fail("invalid convolution geometry (channels, groups, stride, padding, dilation or kernel size)");
  return s;
}

ConvShape weight_geometry(const py::array& x, const py::array& w, Pair stride, Pair padding,
                          Pair dilation, int64_t groups) {
  if (w.ndim() != 4) fail("w must have 4 dimensions (O, C/groups, kh, kw)");
  if (groups < 1 || x.ndim() != 4 || w.shape(1) * groups != x.shape(1))
    fail("w must have C/groups input channels");
  return geometry(x, w.shape(0), w.shape(2), w.shape(3), stride, padding, dilation, groups);
}

std::vector<int64_t> x_shape(const ConvShape& s) { return {s.n, s.c, s.h, s.w}; }
std::vector<int64_t> w_shape(const ConvShape& s) { return {s.o, s.c / s.groups, s.kh, s.kw}; }
std::vector<int64_t> y_shape(const ConvShape& s) { return {s.n, s.o, s.oh, s.ow}; }

void conv2d(py::array y, const py::array& x, const py::array& w, const py::object& b, Pair stride,
            Pair padding, Pair dilation, int64_t groups) {
  const ConvShape s = weight_geometry(x, w, stride, padding, dilation, groups);
  const float* x_ptr = contiguous_input(x, "x", x_shape(s));
  const float* w_ptr = contiguous_input(w, "w", w_shape(s));
  const float* b_ptr = b.is_none() ? nullptr : contiguous_input(b.cast<py::array>(), "b", {s.o});
  float* y_ptr = output_buffer(y, "y", y_shape(s));
  py::gil_scoped_release release;
  mdlfast::cpu::conv2d(y_ptr, x_ptr, w_ptr, b_ptr, s);
}

void conv2d_backward(py::array dx, py::array dw, py::array db, const py::array& dy,
                     const py::array& x, const py::array& w, Pair stride, Pair padding,
                     Pair dilation, int64_t groups) {
  const ConvShape s = weight_geometry(x, w, stride, padding, dilation, groups);
  const float* dy_ptr = contiguous_input(dy, "dy", y_shape(s));
  const float* x_ptr = contiguous_input(x, "x", x_shape(s));
  const float* w_ptr = contiguous_input(w, "w", w_shape(s));
  float* dx_ptr = output_buffer(dx, "dx", x_shape(s));
  float* dw_ptr = output_buffer(dw, "dw", w_shape(s));
  float* db_ptr = output_buffer(db, "db", {s.o});
  py::gil_scoped_release release;
  mdlfast::cpu::conv2d_backward(dx_ptr, dw_ptr, db_ptr, dy_ptr, x_ptr, w_ptr, s);
}

// Whether conv2d runs this convolution with Winograd's transforms on the active ISA path: lets the
// tests make sure their shapes exercise it.
bool conv2d_uses_winograd(const py::array& x, const py::array& w, Pair stride, Pair padding, Pair dilation,
                          int64_t groups) {
  const ConvShape s = weight_geometry(x, w, stride, padding, dilation, groups);
  const float* w_ptr = contiguous_input(w, "w", w_shape(s));
  py::gil_scoped_release release;
  return s.n > 0 && mdlfast::cpu::winograd_applies(s, w_ptr);
}

void im2col(py::array cols, const py::array& x, Pair kernel_size, Pair stride, Pair padding,
            Pair dilation) {
  if (x.ndim() != 4) fail("x must have 4 dimensions (N, C, H, W)");
  if (kernel_size[0] < 1 || kernel_size[1] < 1) fail("kernel_size must be >= 1");
  const ConvShape s = geometry(x, 1, kernel_size[0], kernel_size[1], stride, padding, dilation, 1);
  const float* x_ptr = contiguous_input(x, "x", x_shape(s));
  float* cols_ptr = output_buffer(cols, "cols", {s.n, s.c * s.kh * s.kw, s.oh * s.ow});
  py::gil_scoped_release release;
  mdlfast::cpu::im2col(cols_ptr, x_ptr, s);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_conv(py::module_& module) {
  module.def("conv2d", &conv2d, py::arg("y"), py::arg("x"), py::arg("w"), py::arg("b"),
             py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"));
  module.def("conv2d_backward", &conv2d_backward, py::arg("dx"), py::arg("dw"), py::arg("db"),
             py::arg("dy"), py::arg("x"), py::arg("w"), py::arg("stride"), py::arg("padding"),
             py::arg("dilation"), py::arg("groups"));
  module.def("conv2d_uses_winograd", &conv2d_uses_winograd, py::arg("x"), py::arg("w"), py::arg("stride"),
             py::arg("padding"), py::arg("dilation"), py::arg("groups"));
  module.def("im2col", &im2col, py::arg("cols"), py::arg("x"), py::arg("kernel_size"),
             py::arg("stride"), py::arg("padding"), py::arg("dilation"));
}

}  // namespace mdlfast::bind
