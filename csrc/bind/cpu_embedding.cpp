// The embedding family's bindings: embedding, embedding_backward on flat int64 indices [n] (the
// Python layer flattens them). Every index is range-checked before anything is copied. The GIL is
// released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/embedding.h"

namespace py = pybind11;
using namespace mdlfast::bind;

namespace {

const int64_t* checked_indices(const py::array& indices, int64_t num_embeddings) {
  if (indices.ndim() != 1) fail("indices must have 1 dimension");
  const int64_t n = indices.shape(0);
  const int64_t* data = contiguous_int64_input(indices, "indices", {n});
  const int64_t bad = mdlfast::cpu::first_invalid_index(data, n, num_embeddings);
  if (bad >= 0)
    fail("indices must lie in [0, " + std::to_string(num_embeddings) + "), got " +
         std::to_string(data[bad]) + " at position " + std::to_string(bad));
  return data;
}

void embedding(py::array y, const py::array& indices, const py::array& weight) {
  if (weight.ndim() != 2) fail("weight must have 2 dimensions (num_embeddings, dim)");
  const int64_t num_embeddings = weight.shape(0), dim = weight.shape(1);
  const int64_t* index_ptr = checked_indices(indices, num_embeddings);
  const int64_t n = indices.shape(0);
  const float* weight_ptr = contiguous_input(weight, "weight", {num_embeddings, dim});
  float* y_ptr = output_buffer(y, "y", {n, dim});
  py::gil_scoped_release release;
  mdlfast::cpu::embedding(y_ptr, index_ptr, weight_ptr, n, dim);
}

void embedding_backward(py::array dweight, const py::array& dy, const py::array& indices,
                        int64_t padding_idx) {
  if (dweight.ndim() != 2) fail("dweight must have 2 dimensions (num_embeddings, dim)");
  const int64_t num_embeddings = dweight.shape(0), dim = dweight.shape(1);
  if (padding_idx < -1 || padding_idx >= num_embeddings)
    fail("padding_idx must be -1 (none) or lie in [0, num_embeddings)");
  const int64_t* index_ptr = checked_indices(indices, num_embeddings);
  const int64_t n = indices.shape(0);
  const float* dy_ptr = contiguous_input(dy, "dy", {n, dim});
  float* dweight_ptr = output_buffer(dweight, "dweight", {num_embeddings, dim});
  py::gil_scoped_release release;
  mdlfast::cpu::embedding_backward(dweight_ptr, dy_ptr, index_ptr, n, num_embeddings, dim,
                                   padding_idx);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_embedding(py::module_& module) {
  module.def("embedding", &embedding, py::arg("y"), py::arg("indices"), py::arg("weight"));
  module.def("embedding_backward", &embedding_backward, py::arg("dweight"), py::arg("dy"),
             py::arg("indices"), py::arg("padding_idx"));
}

}  // namespace mdlfast::bind
