#include "cuda/device_info.cuh"

#include <cuda_runtime_api.h>

namespace mdlfast::cuda {

std::vector<DeviceInfo> device_info() {
  std::vector<DeviceInfo> devices;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    // Clear the error, or the check after the next kernel launch would report it.
    cudaGetLastError();
    return devices;
  }
  for (int device = 0; device < count; ++device) {
    cudaDeviceProp props;
    if (cudaGetDeviceProperties(&props, device) != cudaSuccess) {
      cudaGetLastError();
      return {};  // a partial list would misnumber the devices
    }
    devices.push_back({props.name, props.major, props.minor, props.totalGlobalMem,
                       props.multiProcessorCount});
  }
  return devices;
}

}  // namespace mdlfast::cuda
