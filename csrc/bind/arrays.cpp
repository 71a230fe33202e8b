#include "bind/arrays.h"

namespace py = pybind11;

namespace mdlfast::bind {
namespace {

int64_t element_stride(const py::array& array, int axis) {
  return static_cast<int64_t>(array.strides(axis)) / static_cast<int64_t>(sizeof(float));
}

}  // namespace

void fail(const std::string& message) { throw py::value_error(message); }

void check_float32(const py::array& array, const char* name) {
  if (!py::isinstance<py::array_t<float>>(array) || array.dtype().kind() != 'f' || array.itemsize() != 4)
    throw py::type_error(std::string(name) + " must be a float32 array");
}

void check_int64(const py::array& array, const char* name) {
  if (array.dtype().kind() != 'i' || array.itemsize() != 8)
    throw py::type_error(std::string(name) + " must be an int64 array");
}

py::array element_strided(const py::array& array) {
  for (py::ssize_t axis = 0; axis < array.ndim(); ++axis)
    if (array.strides(axis) % static_cast<py::ssize_t>(sizeof(float)) != 0)
      return py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(array);
  return array;
}

void check_shape(const py::array& array, const char* name, const std::vector<int64_t>& shape) {
  if (array.ndim() != static_cast<py::ssize_t>(shape.size()))
    fail(std::string(name) + " must have " + std::to_string(shape.size()) + " dimensions");
  for (size_t i = 0; i < shape.size(); ++i)
    if (array.shape(static_cast<py::ssize_t>(i)) != shape[i])
      fail(std::string(name) + " has the wrong shape on axis " + std::to_string(i));
}

StridedMatrix input_view(const py::array& array, const char* name, const std::vector<int64_t>& shape) {
  check_float32(array, name);
  check_shape(array, name, shape);
  const int nd = static_cast<int>(array.ndim());
  StridedMatrix view;
  view.data = static_cast<const float*>(array.data());
  view.rs = element_stride(array, nd - 2);
  view.cs = element_stride(array, nd - 1);
  view.bs = nd == 3 ? element_stride(array, 0) : 0;
  return view;
}

const float* contiguous_input(const py::array& array, const char* name, const std::vector<int64_t>& shape) {
  check_float32(array, name);
  check_shape(array, name, shape);
  if (!(array.flags() & py::array::c_style)) fail(std::string(name) + " must be C-contiguous");
  return static_cast<const float*>(array.data());
}

const int64_t* contiguous_int64_input(const py::array& array, const char* name,
                                      const std::vector<int64_t>& shape) {
  check_int64(array, name);
  check_shape(array, name, shape);
  if (!(array.flags() & py::array::c_style)) fail(std::string(name) + " must be C-contiguous");
  return static_cast<const int64_t*>(array.data());
}

float* output_buffer(py::array& array, const char* name, const std::vector<int64_t>& shape) {
  check_float32(array, name);
  check_shape(array, name, shape);
  if (!(array.flags() & py::array::c_style)) fail(std::string(name) + " must be C-contiguous");
  if (!array.writeable()) fail(std::string(name) + " must be writeable");
  return static_cast<float*>(array.mutable_data());
}

}  // namespace mdlfast::bind
