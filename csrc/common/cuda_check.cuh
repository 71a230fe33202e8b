// Turns CUDA runtime errors into C++ exceptions (RuntimeError in Python) that name the failing
// call and where it is, so a bad launch or a failed allocation never passes silently.
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace mdlfast::cuda {

inline void check_cuda(cudaError_t status, const char* what, const char* file, int line) {
  if (status == cudaSuccess) return;
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + what +
                           " failed: " + cudaGetErrorString(status));
}

}  // namespace mdlfast::cuda

// Checks the cudaError_t that a runtime call returns.
#define MDLFAST_CUDA_CHECK(call) ::mdlfast::cuda::check_cuda((call), #call, __FILE__, __LINE__)

// Use right after a <<<...>>> launch: a launch returns nothing, and a bad configuration (or an
// earlier asynchronous fault) is reported only by cudaGetLastError.
#define MDLFAST_CUDA_CHECK_LAUNCH(kernel_name) \
  ::mdlfast::cuda::check_cuda(cudaGetLastError(), "launch of " kernel_name, __FILE__, __LINE__)
