// The pooling family's bindings on [planes, H, W] arrays (the Python layer flattens N and C).
// Every shape is re-checked against the geometry, so a direct call cannot reach out of bounds.
// The GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/pool.h"

namespace py = pybind11;
using namespace mdlfast::bind;
using mdlfast::cpu::PoolGeometry;

namespace {

// Checks the hyper-parameters as the Python layer does and derives the output size.
PoolGeometry geometry(int64_t in_h, int64_t in_w, int64_t kernel_h, int64_t kernel_w,
                      int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w) {
  if (in_h < 1 || in_w < 1) fail("the input's spatial size must be at least 1x1");
  if (kernel_h < 1 || kernel_w < 1) fail("kernel_size must be >= 1");
  if (stride_h < 1 || stride_w < 1) fail("stride must be >= 1");
  if (pad_h < 0 || pad_w < 0 || pad_h > kernel_h / 2 || pad_w > kernel_w / 2)
    fail("padding must lie in [0, kernel_size / 2]");
  if (in_h + 2 * pad_h < kernel_h || in_w + 2 * pad_w < kernel_w)
    fail("kernel_size is larger than the padded input");
  return {in_h, in_w, (in_h + 2 * pad_h - kernel_h) / stride_h + 1,
          (in_w + 2 * pad_w - kernel_w) / stride_w + 1, kernel_h, kernel_w, stride_h, stride_w,
          pad_h, pad_w};
}

int64_t* int64_output(py::array& array, const char* name, const std::vector<int64_t>& shape) {
  check_int64(array, name);
  check_shape(array, name, shape);
  if (!(array.flags() & py::array::c_style)) fail(std::string(name) + " must be C-contiguous");
  if (!array.writeable()) fail(std::string(name) + " must be writeable");
  return static_cast<int64_t*>(array.mutable_data());
}

void check_planes(const py::array& x, const char* name) {
  if (x.ndim() != 3) fail(std::string(name) + " must have 3 dimensions (planes, H, W)");
}

void max_pool2d(py::array y, py::array indices, const py::array& x, int64_t kernel_h,
                int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w) {
  check_planes(x, "x");
  const int64_t planes = x.shape(0);
  const PoolGeometry g = geometry(x.shape(1), x.shape(2), kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
  const float* x_ptr = contiguous_input(x, "x", {planes, g.in_h, g.in_w});
  float* y_ptr = output_buffer(y, "y", {planes, g.out_h, g.out_w});
  int64_t* indices_ptr = int64_output(indices, "indices", {planes, g.out_h, g.out_w});
  py::gil_scoped_release release;
  mdlfast::cpu::max_pool2d(y_ptr, indices_ptr, x_ptr, planes, g);
}

void max_pool2d_backward(py::array dx, const py::array& dy, const py::array& indices) {
  check_planes(dx, "dx");
  check_planes(dy, "dy");
  const int64_t planes = dx.shape(0), in_hw = dx.shape(1) * dx.shape(2);
  const int64_t out_h = dy.shape(1), out_w = dy.shape(2);
  float* dx_ptr = output_buffer(dx, "dx", {planes, dx.shape(1), dx.shape(2)});
  const float* dy_ptr = contiguous_input(dy, "dy", {planes, out_h, out_w});
  const int64_t* indices_ptr = contiguous_int64_input(indices, "indices", {planes, out_h, out_w});
  bool valid;
  {
    py::gil_scoped_release release;
    valid = mdlfast::cpu::max_pool2d_backward(dx_ptr, dy_ptr, indices_ptr, planes, dx.shape(1), dx.shape(2),
                                               out_h, out_w);
  }
  if (!valid)
    fail("indices must lie in [0, " + std::to_string(in_hw) + ") (H·W of input_shape)");
}

void avg_pool2d(py::array y, const py::array& x, int64_t kernel_h, int64_t kernel_w,
                int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                bool count_include_pad) {
  check_planes(x, "x");
  const int64_t planes = x.shape(0);
  const PoolGeometry g = geometry(x.shape(1), x.shape(2), kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
  const float* x_ptr = contiguous_input(x, "x", {planes, g.in_h, g.in_w});
  float* y_ptr = output_buffer(y, "y", {planes, g.out_h, g.out_w});
  py::gil_scoped_release release;
  mdlfast::cpu::avg_pool2d(y_ptr, x_ptr, planes, g, count_include_pad);
}

void avg_pool2d_backward(py::array dx, const py::array& dy, int64_t kernel_h, int64_t kernel_w,
                         int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                         bool count_include_pad) {
  check_planes(dx, "dx");
  const int64_t planes = dx.shape(0);
  const PoolGeometry g = geometry(dx.shape(1), dx.shape(2), kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w);
  float* dx_ptr = output_buffer(dx, "dx", {planes, g.in_h, g.in_w});
  const float* dy_ptr = contiguous_input(dy, "dy", {planes, g.out_h, g.out_w});
  py::gil_scoped_release release;
  mdlfast::cpu::avg_pool2d_backward(dx_ptr, dy_ptr, planes, g, count_include_pad);
}

void adaptive_avg_pool2d(py::array y, const py::array& x) {
  check_planes(x, "x");
  check_planes(y, "y");
  const int64_t planes = x.shape(0), in_h = x.shape(1), in_w = x.shape(2);
  const int64_t out_h = y.shape(1), out_w = y.shape(2);
  if (in_h < 1 || in_w < 1 || out_h < 1 || out_w < 1) fail("spatial sizes must be at least 1x1");
  const float* x_ptr = contiguous_input(x, "x", {planes, in_h, in_w});
  float* y_ptr = output_buffer(y, "y", {planes, out_h, out_w});
  py::gil_scoped_release release;
  mdlfast::cpu::adaptive_avg_pool2d(y_ptr, x_ptr, planes, in_h, in_w, out_h, out_w);
}

void adaptive_avg_pool2d_backward(py::array dx, const py::array& dy) {
  check_planes(dx, "dx");
  check_planes(dy, "dy");
  const int64_t planes = dx.shape(0), in_h = dx.shape(1), in_w = dx.shape(2);
  const int64_t out_h = dy.shape(1), out_w = dy.shape(2);
  if (in_h < 1 || in_w < 1 || out_h < 1 || out_w < 1) fail("spatial sizes must be at least 1x1");
  float* dx_ptr = output_buffer(dx, "dx", {planes, in_h, in_w});
  const float* dy_ptr = contiguous_input(dy, "dy", {planes, out_h, out_w});
  py::gil_scoped_release release;
  mdlfast::cpu::adaptive_avg_pool2d_backward(dx_ptr, dy_ptr, planes, in_h, in_w, out_h, out_w);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_pool(py::module_& module) {
  module.def("max_pool2d", &max_pool2d, py::arg("y"), py::arg("indices"), py::arg("x"),
             py::arg("kernel_h"), py::arg("kernel_w"), py::arg("stride_h"), py::arg("stride_w"),
             py::arg("pad_h"), py::arg("pad_w"));
  module.def("max_pool2d_backward", &max_pool2d_backward, py::arg("dx"), py::arg("dy"),
             py::arg("indices"));
  module.def("avg_pool2d", &avg_pool2d, py::arg("y"), py::arg("x"), py::arg("kernel_h"),
             py::arg("kernel_w"), py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"),
             py::arg("pad_w"), py::arg("count_include_pad"));
  module.def("avg_pool2d_backward", &avg_pool2d_backward, py::arg("dx"), py::arg("dy"),
             py::arg("kernel_h"), py::arg("kernel_w"), py::arg("stride_h"), py::arg("stride_w"),
             py::arg("pad_h"), py::arg("pad_w"), py::arg("count_include_pad"));
  module.def("adaptive_avg_pool2d", &adaptive_avg_pool2d, py::arg("y"), py::arg("x"));
  module.def("adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward, py::arg("dx"),
             py::arg("dy"));
}

}  // namespace mdlfast::bind
