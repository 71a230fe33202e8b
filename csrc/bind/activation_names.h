// The activation names the Python layer passes to both bindings, parsed in one place.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "common/gemm_types.h"

namespace mdlfast::bind {

inline Activation parse_activation(const std::string& name) {
  if (name == "none") return Activation::none;
  if (name == "relu") return Activation::relu;
  if (name == "sigmoid") return Activation::sigmoid;
  if (name == "tanh") return Activation::tanh;
  if (name == "gelu") return Activation::gelu;
  throw pybind11::value_error("unknown activation '" + name + "'");
}

}  // namespace mdlfast::bind
