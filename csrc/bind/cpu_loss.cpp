// The loss family's bindings: cross_entropy (+ backward) on [rows, classes] logits with int64
// labels; mse and bce_with_logits (+ backwards) on flat (1-D) float32 arrays, the Python layer
// flattening. Forwards return the sum of the losses. The GIL is released while a kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/loss.h"

namespace py = pybind11;
using namespace mdlfast::bind;

namespace {

const float* optional_input(const py::object& array, const char* name, int64_t n) {
  return array.is_none() ? nullptr : contiguous_input(array.cast<py::array>(), name, {n});
}

float* optional_output(const py::object& array, const char* name, int64_t n) {
  if (array.is_none()) return nullptr;
  py::array out = array.cast<py::array>();
  return output_buffer(out, name, {n});
}

const int64_t* checked_labels(const py::array& labels, int64_t rows, int64_t classes, int64_t ignore_index) {
  const int64_t* data = contiguous_int64_input(labels, "labels", {rows});
  for (int64_t r = 0; r < rows; ++r)
    if (data[r] != ignore_index && (data[r] < 0 || data[r] >= classes))
      fail("labels[" + std::to_string(r) + "] = " + std::to_string(data[r]) + " is not a class id in [0, " +
           std::to_string(classes) + ") nor ignore_index");
  return data;
}

void check_smoothing(float label_smoothing) {
  if (!(label_smoothing >= 0.0f && label_smoothing <= 1.0f)) fail("label_smoothing must be in [0, 1]");
}

double cross_entropy(py::array probs, py::array row_loss, const py::array& logits, const py::array& labels,
                     int64_t ignore_index, float label_smoothing) {
  if (logits.ndim() != 2) fail("logits must have 2 dimensions (rows, classes)");
  const int64_t rows = logits.shape(0), classes = logits.shape(1);
  if (classes < 1) fail("logits must have at least one class");
  check_smoothing(label_smoothing);
  const float* logits_ptr = contiguous_input(logits, "logits", {rows, classes});
  const int64_t* labels_ptr = checked_labels(labels, rows, classes, ignore_index);
  float* probs_ptr = output_buffer(probs, "probs", {rows, classes});
  float* loss_ptr = output_buffer(row_loss, "row_loss", {rows});
  py::gil_scoped_release release;
  return mdlfast::cpu::cross_entropy(probs_ptr, loss_ptr, logits_ptr, labels_ptr, rows, classes, ignore_index,
                                     label_smoothing);
}

void cross_entropy_backward(py::array dlogits, const py::array& probs, const py::array& labels,
                            const py::object& dloss, float scale, int64_t ignore_index, float label_smoothing) {
  if (probs.ndim() != 2) fail("probs must have 2 dimensions (rows, classes)");
  const int64_t rows = probs.shape(0), classes = probs.shape(1);
  if (classes < 1) fail("probs must have at least one class");
  check_smoothing(label_smoothing);
  const float* probs_ptr = contiguous_input(probs, "probs", {rows, classes});
  const int64_t* labels_ptr = checked_labels(labels, rows, classes, ignore_index);
  const float* dloss_ptr = optional_input(dloss, "dloss", rows);
  float* out = output_buffer(dlogits, "dlogits", {rows, classes});
  py::gil_scoped_release release;
  mdlfast::cpu::cross_entropy_backward(out, probs_ptr, labels_ptr, dloss_ptr, scale, rows, classes,
                                       ignore_index, label_smoothing);
}

int64_t flat_size(const py::array& array, const char* name) {
  if (array.ndim() != 1) fail(std::string(name) + " must be 1-D (flattened)");
  return array.shape(0);
}

double mse(const py::object& loss, const py::array& pred, const py::array& target) {
  const int64_t n = flat_size(pred, "pred");
  const float* pred_ptr = contiguous_input(pred, "pred", {n});
  const float* target_ptr = contiguous_input(target, "target", {n});
  float* loss_ptr = optional_output(loss, "loss", n);
  py::gil_scoped_release release;
  return mdlfast::cpu::mse(loss_ptr, pred_ptr, target_ptr, n);
}

void mse_backward(py::array dpred, const py::array& pred, const py::array& target, const py::object& dloss,
                  float scale) {
  const int64_t n = flat_size(pred, "pred");
  const float* pred_ptr = contiguous_input(pred, "pred", {n});
  const float* target_ptr = contiguous_input(target, "target", {n});
  const float* dloss_ptr = optional_input(dloss, "dloss", n);
  float* out = output_buffer(dpred, "dpred", {n});
  py::gil_scoped_release release;
  mdlfast::cpu::mse_backward(out, pred_ptr, target_ptr, dloss_ptr, scale, n);
}

// classes: the length of the last axis, by which pos_weight is indexed; n must be a multiple of it.
void check_classes(int64_t n, int64_t classes) {
  if (classes < 1 || n % classes != 0) fail("classes must be >= 1 and divide the number of logits");
}

double bce_with_logits(const py::object& loss, const py::array& logits, const py::array& target,
                       const py::object& pos_weight, int64_t classes) {
  const int64_t n = flat_size(logits, "logits");
  check_classes(n, classes);
  const float* logits_ptr = contiguous_input(logits, "logits", {n});
  const float* target_ptr = contiguous_input(target, "target", {n});
  const float* pos_weight_ptr = optional_input(pos_weight, "pos_weight", classes);
  float* loss_ptr = optional_output(loss, "loss", n);
  py::gil_scoped_release release;
  return mdlfast::cpu::bce_with_logits(loss_ptr, logits_ptr, target_ptr, pos_weight_ptr, n, classes);
}

void bce_with_logits_backward(py::array dlogits, const py::array& logits, const py::array& target,
                              const py::object& pos_weight, const py::object& dloss, float scale, int64_t classes) {
  const int64_t n = flat_size(logits, "logits");
  check_classes(n, classes);
  const float* logits_ptr = contiguous_input(logits, "logits", {n});
  const float* target_ptr = contiguous_input(target, "target", {n});
  const float* pos_weight_ptr = optional_input(pos_weight, "pos_weight", classes);
  const float* dloss_ptr = optional_input(dloss, "dloss", n);
  float* out = output_buffer(dlogits, "dlogits", {n});
  py::gil_scoped_release release;
  mdlfast::cpu::bce_with_logits_backward(out, logits_ptr, target_ptr, pos_weight_ptr, dloss_ptr, scale, n,
                                         classes);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_loss(py::module_& module) {
  module.def("cross_entropy", &cross_entropy, py::arg("probs"), py::arg("row_loss"), py::arg("logits"),
             py::arg("labels"), py::arg("ignore_index"), py::arg("label_smoothing"));
  module.def("cross_entropy_backward", &cross_entropy_backward, py::arg("dlogits"), py::arg("probs"),
             py::arg("labels"), py::arg("dloss"), py::arg("scale"), py::arg("ignore_index"),
             py::arg("label_smoothing"));
  module.def("mse", &mse, py::arg("loss"), py::arg("pred"), py::arg("target"));
  module.def("mse_backward", &mse_backward, py::arg("dpred"), py::arg("pred"), py::arg("target"),
             py::arg("dloss"), py::arg("scale"));
  module.def("bce_with_logits", &bce_with_logits, py::arg("loss"), py::arg("logits"), py::arg("target"),
             py::arg("pos_weight"), py::arg("classes"));
  module.def("bce_with_logits_backward", &bce_with_logits_backward, py::arg("dlogits"), py::arg("logits"),
             py::arg("target"), py::arg("pos_weight"), py::arg("dloss"), py::arg("scale"), py::arg("classes"));
}

}  // namespace mdlfast::bind
