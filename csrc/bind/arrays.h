// NumPy-array checks and views shared by the _cpu binding files: a last line of defence, so that
// a direct call of mdlfast._cpu with bad arrays raises instead of reading out of bounds (the
// public, validated API is mdlfast.kernels).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/gemm_types.h"

namespace mdlfast::bind {

[[noreturn]] void fail(const std::string& message);  // raises ValueError

// TypeError unless the array holds float32.
void check_float32(const pybind11::array& array, const char* name);

// TypeError unless the array holds int64.
void check_int64(const pybind11::array& array, const char* name);

// ValueError unless the array has exactly this shape.
void check_shape(const pybind11::array& array, const char* name, const std::vector<int64_t>& shape);

// The kernels address elements, so an array whose strides are not whole elements (a view into a
// structured array, say) is copied first; the returned array must outlive the kernel call.
pybind11::array element_strided(const pybind11::array& array);

// A read-only strided view of a 2-D or 3-D (batch-first) float32 array of this shape whose strides
// are whole elements (see element_strided); a 2-D array is one item, batch stride 0.
StridedMatrix input_view(const pybind11::array& array, const char* name, const std::vector<int64_t>& shape);

// The data of a C-contiguous float32 input of this shape.
const float* contiguous_input(const pybind11::array& array, const char* name,
                              const std::vector<int64_t>& shape);

// The data of a C-contiguous int64 input of this shape.
const int64_t* contiguous_int64_input(const pybind11::array& array, const char* name,
                                      const std::vector<int64_t>& shape);

// The data of a C-contiguous, writeable float32 output of this shape.
float* output_buffer(pybind11::array& array, const char* name, const std::vector<int64_t>& shape);

}  // namespace mdlfast::bind
