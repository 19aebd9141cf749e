// CudaTestUtil.h - device buffers and the GPU skip for the CUDA kernel tests.
#ifndef AWQ_TEST_UNIT_CUDA_CUDATESTUTIL_H
#define AWQ_TEST_UNIT_CUDA_CUDATESTUTIL_H

#include "TestUtil.h"
#include "awq_cuda.h"

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

// Skips the current test, with a message, unless a CUDA device is usable.
#define AWQ_REQUIRE_GPU()                                                                  \
  do {                                                                                     \
    if (awq_cuda_device_count() == 0)                                                      \
      GTEST_SKIP() << "no CUDA device (the kernels were built but cannot run here)";       \
  } while (0)

#define AWQ_ASSERT_CUDA(call)                                                              \
  do {                                                                                     \
    cudaError_t error_ = (call);                                                           \
    ASSERT_EQ(error_, cudaSuccess) << #call << ": " << cudaGetErrorString(error_);         \
  } while (0)

#define AWQ_ASSERT_OK(call) ASSERT_EQ((call), 0) << #call << ": " << awq_last_error()

namespace awq::test {

// Device memory owned for the length of a test.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) : bytes_(bytes) {
    if (cudaMalloc(&data_, bytes ? bytes : 1) != cudaSuccess)
      data_ = nullptr;
  }
  template <class T> static DeviceBuffer from(const std::vector<T> &host) {
    DeviceBuffer buffer(host.size() * sizeof(T));
    if (buffer.data_)
      cudaMemcpy(buffer.data_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice);
    return buffer;
  }
  static DeviceBuffer fromBytes(const void *host, size_t bytes) {
    DeviceBuffer buffer(bytes);
    if (buffer.data_)
      cudaMemcpy(buffer.data_, host, bytes, cudaMemcpyHostToDevice);
    return buffer;
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  DeviceBuffer(DeviceBuffer &&other) noexcept : data_(other.data_), bytes_(other.bytes_) {
    other.data_ = nullptr;
  }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept {
    std::swap(data_, other.data_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  ~DeviceBuffer() {
    if (data_)
      cudaFree(data_);
  }
  void *get() const { return data_; }
  size_t bytes() const { return bytes_; }
  template <class T> std::vector<T> download() const {
    std::vector<T> host(bytes_ / sizeof(T));
    cudaMemcpy(host.data(), data_, host.size() * sizeof(T), cudaMemcpyDeviceToHost);
    return host;
  }

private:
  void *data_ = nullptr;
  size_t bytes_ = 0;
};

// Bits of an f16/bf16 value, and back.
inline uint16_t toHalfBits(int32_t dtype, float value) {
  return dtype == AWQ_F16 ? awq_f32_to_f16(value) : awq_f32_to_bf16(value);
}
inline float fromHalfBits(int32_t dtype, uint16_t bits) {
  return dtype == AWQ_F16 ? awq_f16_to_f32(bits) : awq_bf16_to_f32(bits);
}
inline std::vector<uint16_t> toHalfVector(int32_t dtype, const std::vector<float> &values) {
  std::vector<uint16_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    out[i] = toHalfBits(dtype, values[i]);
  return out;
}
inline std::vector<float> fromHalfVector(int32_t dtype, const std::vector<uint16_t> &bits) {
  std::vector<float> out(bits.size());
  for (size_t i = 0; i < bits.size(); ++i)
    out[i] = fromHalfBits(dtype, bits[i]);
  return out;
}
// The values an f16/bf16 tensor can hold: each rounded through the dtype.
inline std::vector<float> roundThrough(int32_t dtype, const std::vector<float> &values) {
  return fromHalfVector(dtype, toHalfVector(dtype, values));
}
// Unit roundoff of the dtype (half the gap between 1 and the next value).
inline double unitRoundoff(int32_t dtype) { return dtype == AWQ_F16 ? 0x1p-11 : 0x1p-8; }

} // namespace awq::test

#endif // AWQ_TEST_UNIT_CUDA_CUDATESTUTIL_H
