// The fused optimizer steps' bindings: sgd_step, rmsprop_step, adagrad_step, adam_step, each over
// lists of tensors (one parameter tensor is a list of one). The GIL is released while a step runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "cpu/optim.h"

namespace py = pybind11;
using mdlfast::cpu::OptimTensor;
using namespace mdlfast::bind;

namespace {

using Arrays = std::vector<py::array>;

std::vector<int64_t> shape_of(const py::array& array) {
  return std::vector<int64_t>(array.shape(), array.shape() + array.ndim());
}

// One OptimTensor per parameter; states[s] fills state slot s and is either empty (the slot is
// unused) or as long as params. Every array must match its parameter's shape, be C-contiguous
// float32, and (all but the gradients) writeable.
std::vector<OptimTensor> gather(Arrays& params, const Arrays& grads, std::vector<Arrays*> states) {
  if (grads.size() != params.size()) fail("grads must have one array per parameter");
  for (const Arrays* state : states)
    if (!state->empty() && state->size() != params.size())
      fail("each state list must have one array per parameter");
  std::vector<OptimTensor> tensors(params.size());
  for (size_t k = 0; k < params.size(); ++k) {
    const std::vector<int64_t> shape = shape_of(params[k]);
    tensors[k].param = output_buffer(params[k], "param", shape);
    tensors[k].grad = contiguous_input(grads[k], "grad", shape);
    tensors[k].size = static_cast<int64_t>(params[k].size());
    for (size_t s = 0; s < states.size(); ++s)
      if (!states[s]->empty()) tensors[k].state[s] = output_buffer((*states[s])[k], "state", shape);
  }
  return tensors;
}

void sgd_step(Arrays params, const Arrays& grads, Arrays bufs, double lr, double momentum,
              double dampening, bool nesterov, double weight_decay, bool first_step) {
  if (momentum != 0.0 && bufs.empty()) fail("bufs are required when momentum != 0");
  const auto tensors = gather(params, grads, {&bufs});
  mdlfast::cpu::SgdOptions options;
  options.lr = lr;
  options.momentum = momentum;
  options.dampening = dampening;
  options.nesterov = nesterov;
  options.weight_decay = weight_decay;
  options.first_step = first_step;
  py::gil_scoped_release release;
  mdlfast::cpu::sgd_step(tensors.data(), static_cast<int64_t>(tensors.size()), options);
}

void rmsprop_step(Arrays params, const Arrays& grads, Arrays square_avgs, Arrays bufs,
                  Arrays grad_avgs, double lr, double alpha, double eps, double weight_decay,
                  double momentum, bool centered) {
  if (square_avgs.size() != params.size()) fail("square_avgs must have one array per parameter");
  if (momentum > 0.0 && bufs.empty()) fail("bufs are required when momentum > 0");
  if (centered && grad_avgs.empty()) fail("grad_avgs are required when centered");
  const auto tensors = gather(params, grads, {&square_avgs, &bufs, &grad_avgs});
  mdlfast::cpu::RmspropOptions options;
  options.lr = lr;
  options.alpha = alpha;
  options.eps = eps;
  options.weight_decay = weight_decay;
  options.momentum = momentum;
  options.centered = centered;
  py::gil_scoped_release release;
  mdlfast::cpu::rmsprop_step(tensors.data(), static_cast<int64_t>(tensors.size()), options);
}

void adagrad_step(Arrays params, const Arrays& grads, Arrays sum_sqs, double lr, double eps,
                  double weight_decay) {
  if (sum_sqs.size() != params.size()) fail("sum_sqs must have one array per parameter");
  const auto tensors = gather(params, grads, {&sum_sqs});
  mdlfast::cpu::AdagradOptions options;
  options.lr = lr;
  options.eps = eps;
  options.weight_decay = weight_decay;
  py::gil_scoped_release release;
  mdlfast::cpu::adagrad_step(tensors.data(), static_cast<int64_t>(tensors.size()), options);
}

void adam_step(Arrays params, const Arrays& grads, Arrays ms, Arrays vs, int64_t step, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool decoupled) {
  if (ms.size() != params.size() || vs.size() != params.size())
    fail("ms and vs must have one array per parameter");
  if (step < 1) fail("step must be >= 1");
  const auto tensors = gather(params, grads, {&ms, &vs});
  mdlfast::cpu::AdamOptions options;
  options.lr = lr;
  options.beta1 = beta1;
  options.beta2 = beta2;
  options.eps = eps;
  options.weight_decay = weight_decay;
  options.step = step;
  options.decoupled = decoupled;
  py::gil_scoped_release release;
  mdlfast::cpu::adam_step(tensors.data(), static_cast<int64_t>(tensors.size()), options);
}

}  // namespace

namespace mdlfast::bind {

void bind_cpu_optim(py::module_& module) {
  module.def("sgd_step", &sgd_step, py::arg("params"), py::arg("grads"), py::arg("bufs"),
             py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("nesterov"),
             py::arg("weight_decay"), py::arg("first_step"));
  module.def("rmsprop_step", &rmsprop_step, py::arg("params"), py::arg("grads"),
             py::arg("square_avgs"), py::arg("bufs"), py::arg("grad_avgs"), py::arg("lr"),
             py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"),
             py::arg("centered"));
  module.def("adagrad_step", &adagrad_step, py::arg("params"), py::arg("grads"),
             py::arg("sum_sqs"), py::arg("lr"), py::arg("eps"), py::arg("weight_decay"));
  module.def("adam_step", &adam_step, py::arg("params"), py::arg("grads"), py::arg("ms"),
             py::arg("vs"), py::arg("step"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"),
             py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled"));
}

}  // namespace mdlfast::bind
