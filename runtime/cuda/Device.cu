// Device.cu - device queries that never fail hard (tests skip on count 0).
#include "CudaCommon.cuh"

#include <cstdio>

extern "C" int awq_cuda_device_count(void) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError(); // clear the sticky "no driver" error
    return 0;
  }
  return count;
}

extern "C" double awq_cuda_peak_bandwidth_gbps(int device) {
  int clockKHz = 0, busWidthBits = 0;
  if (cudaDeviceGetAttribute(&clockKHz, cudaDevAttrMemoryClockRate, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&busWidthBits, cudaDevAttrGlobalMemoryBusWidth, device) !=
          cudaSuccess) {
    cudaGetLastError();
    return 0.0;
  }
  // Double data rate: two transfers per memory clock.
  return 2.0 * clockKHz * 1e3 * (busWidthBits / 8.0) / 1e9;
}

extern "C" awq_status awq_cuda_device_description(int device, char *buffer, int64_t size) {
  return awq::rt::guard("awq_cuda_device_description", [&] {
    if (!buffer || size <= 0)
      awq::rt::raise("buffer must be non-null with a positive size");
    cudaDeviceProp prop{};
    awq::cuda::checkCuda(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    std::snprintf(buffer, static_cast<size_t>(size), "%s, sm_%d%d, %d SMs, %.0f GB/s peak",
                  prop.name, prop.major, prop.minor, prop.multiProcessorCount,
                  awq_cuda_peak_bandwidth_gbps(device));
  });
}
