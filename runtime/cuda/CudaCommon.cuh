// CudaCommon.cuh - what every CUDA op file shares: error checks at the C
// boundary, the f16/bf16 dtype dispatch, and scalar conversions.
#ifndef AWQ_RUNTIME_CUDA_CUDACOMMON_CUH
#define AWQ_RUNTIME_CUDA_CUDACOMMON_CUH

#include "RuntimeInternal.h"
#include "awq_cuda.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace awq::cuda {

// Throws (OpError, caught by awq::rt::guard) when the last launch failed.
// Launch errors (bad configuration, no device) show here; faults inside a
// kernel surface at the caller's next synchronization.
inline void checkLaunch(const char *kernel) {
  cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess)
    awq::rt::raise("%s launch failed: %s", kernel, cudaGetErrorString(error));
}
inline void checkCuda(cudaError_t error, const char *what) {
  if (error != cudaSuccess)
    awq::rt::raise("%s: %s", what, cudaGetErrorString(error));
}

inline cudaStream_t asStream(void *stream) { return static_cast<cudaStream_t>(stream); }

// Calls body(T{}) with T = __half for AWQ_F16 and __nv_bfloat16 for AWQ_BF16.
template <class Body> void dispatchHalfDtype(int32_t dtype, const char *role, Body &&body) {
  if (dtype == AWQ_F16)
    body(__half{});
  else if (dtype == AWQ_BF16)
    body(__nv_bfloat16{});
  else
    awq::rt::raise("%s must be f16 or bf16 (awq_dtype %d given)", role, dtype);
}

// Calls body(T{}) with T = float, __half or __nv_bfloat16 for AWQ_F32, AWQ_F16
// or AWQ_BF16 (the ops a compiled model runs on f32 graphs too).
template <class Body> void dispatchFloatDtype(int32_t dtype, const char *role, Body &&body) {
  if (dtype == AWQ_F32)
    body(float{});
  else
    dispatchHalfDtype(dtype, role, body);
}

__host__ __device__ inline float toFloat(float v) { return v; }
__host__ __device__ inline float toFloat(__half v) { return __half2float(v); }
__host__ __device__ inline float toFloat(__nv_bfloat16 v) { return __bfloat162float(v); }
template <class T> __host__ __device__ inline T fromFloat(float v);
template <> __host__ __device__ inline float fromFloat<float>(float v) { return v; }
template <> __host__ __device__ inline __half fromFloat<__half>(float v) {
  return __float2half_rn(v);
}
template <> __host__ __device__ inline __nv_bfloat16 fromFloat<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

inline unsigned ceilDiv(int64_t a, int64_t b) { return static_cast<unsigned>((a + b - 1) / b); }

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_CUDACOMMON_CUH
