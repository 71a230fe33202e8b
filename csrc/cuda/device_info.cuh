// What the CUDA runtime reports about the visible GPUs (for mdlfast.show_config and the tests).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mdlfast::cuda {

struct DeviceInfo {
  std::string name;
  int major = 0;  // compute capability major.minor
  int minor = 0;
  std::size_t total_memory_bytes = 0;
  int multiprocessors = 0;
};

// One entry per visible device, in device order. Empty, never an error, when there is no driver
// or no device, so that it can be asked on any machine.
std::vector<DeviceInfo> device_info();

}  // namespace mdlfast::cuda
