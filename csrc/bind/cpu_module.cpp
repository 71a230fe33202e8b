// mdlfast._cpu: the pybind11 module of the C++ kernels. This file holds the process-wide settings
// (ISA path, threads, the measured peak) and registers each kernel family's bindings
// (csrc/bind/cpu_<family>.cpp). The public, validated API is mdlfast.kernels.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bind/arrays.h"
#include "bind/cpu_families.h"
#include "common/isa.h"
#include "common/threads.h"
#include "cpu/gemm.h"

namespace py = pybind11;
using mdlfast::bind::fail;

PYBIND11_MODULE(_cpu, module) {
  module.doc() = "mdlfast C++ CPU kernels (use mdlfast.kernels, which validates arguments)";

  module.def("supported_isas", [] {
    std::vector<std::string> names;
    for (auto isa : {mdlfast::Isa::generic, mdlfast::Isa::avx2, mdlfast::Isa::avx512})
      if (mdlfast::isa_supported(isa)) names.emplace_back(mdlfast::isa_name(isa));
    return names;
  });
  module.def("active_isa", [] { return std::string(mdlfast::isa_name(mdlfast::active_isa())); });
  module.def("set_isa", [](const std::string& name) {
    mdlfast::Isa isa;
    if (!mdlfast::parse_isa(name.c_str(), &isa))
      fail("unknown ISA '" + name + "'; expected one of generic, avx2, avx512");
    if (!mdlfast::isa_supported(isa)) fail("this CPU does not support the ISA '" + name + "'");
    mdlfast::set_active_isa(isa);
  });
  module.def("num_threads", &mdlfast::num_threads);
  module.def("set_num_threads", [](int n) {
    if (n < 1) fail("num_threads must be >= 1");
    mdlfast::set_num_threads(n);
  });

  module.def(
      "measure_peak_gflops",
      [](int threads, double seconds) {
        if (threads < 1) fail("threads must be >= 1");
        if (!(seconds > 0.0)) fail("seconds must be > 0");
        py::gil_scoped_release release;
        return mdlfast::cpu::measure_peak_gflops(threads, seconds);
      },
      py::arg("threads"), py::arg("seconds") = 0.5,
      "float32 FMA peak (GFLOP/s) of the active ISA path on `threads` threads");

  mdlfast::bind::bind_cpu_gemm(module);
  mdlfast::bind::bind_cpu_optim(module);
  mdlfast::bind::bind_cpu_norm(module);
  mdlfast::bind::bind_cpu_embedding(module);
  mdlfast::bind::bind_cpu_pool(module);
  mdlfast::bind::bind_cpu_batch_norm(module);
  mdlfast::bind::bind_cpu_attention(module);
  mdlfast::bind::bind_cpu_pointwise(module);
  mdlfast::bind::bind_cpu_softmax(module);
  mdlfast::bind::bind_cpu_loss(module);
  mdlfast::bind::bind_cpu_dropout(module);
  mdlfast::bind::bind_cpu_conv(module);
  mdlfast::bind::bind_cpu_rnn(module);
}
