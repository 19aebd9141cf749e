// KernelSource.h - included first into every CUDA source compiled for the
// emulator (emulate_cuda_source.py adds the include and turns each
// `kernel<<<grid, block, shared, stream>>>(args)` into awq::emu::launch).
// With it a host C++ compiler builds the runtime's .cu files unchanged:
// kernels become functions each emulated thread runs, the built-in variables
// read the running thread's coordinates, __shared__ variables become statics
// (blocks run one at a time), and the warp-level intrinsics wait for the
// warp's other lanes (Scheduler.h).
#ifndef AWQ_RUNTIME_CUDA_EMULATOR_KERNELSOURCE_H
#define AWQ_RUNTIME_CUDA_EMULATOR_KERNELSOURCE_H

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "Launch.h"
#include "Scheduler.h"
#include "Wmma.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

// Code that must differ under the emulator (the inline PTX of mma.sync).
#define AWQ_CUDA_EMULATION 1

// Execution-space keywords: every function is a host function here.
#undef __global__
#define __global__
#undef __device__
#define __device__
#undef __host__
#define __host__
#undef __shared__
#define __shared__ static
#undef __launch_bounds__
#define __launch_bounds__(...)

// Built-in variables.
#define threadIdx (::awq::emu::thisThread().threadIdx)
#define blockIdx (::awq::emu::thisThread().blockIdx)
#define blockDim (::awq::emu::thisThread().blockDim)
#define gridDim (::awq::emu::thisThread().gridDim)

// Intrinsics.
#define __syncthreads() ::awq::emu::syncThreads()
#define __shfl_xor_sync(mask, value, laneMask) ::awq::emu::shuffleXor((mask), (value), (laneMask))
#define __trap() ::awq::emu::trap()
// Cache hints change where a load is kept, not what it reads.
#define __ldg(pointer) (*(pointer))
#define __ldcs(pointer) (*(pointer))
// The emulated sources build with -ffp-contract=off, so these round each
// operation once, as the intrinsics promise.
#define __fmul_rn(a, b) ((a) * (b))
#define __fadd_rn(a, b) ((a) + (b))
#define __expf(x) ::expf(x)
// CUDA's math functions the host's libm lacks.
inline float cospif(float x) { return static_cast<float>(std::cos(M_PI * static_cast<double>(x))); }
inline float sinpif(float x) { return static_cast<float>(std::sin(M_PI * static_cast<double>(x))); }

// cuda_runtime.h's C++ overloads that take a kernel (declared for nvcc only).
template <class Kernel>
inline cudaError_t cudaFuncSetAttribute(Kernel *kernel, cudaFuncAttribute attr, int value) {
  return ::cudaFuncSetAttribute(reinterpret_cast<const void *>(kernel), attr, value);
}
template <class Kernel>
inline cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int *blocks, Kernel *kernel,
                                                                 int blockSize,
                                                                 size_t dynamicSharedBytes) {
  return ::cudaOccupancyMaxActiveBlocksPerMultiprocessor(
      blocks, reinterpret_cast<const void *>(kernel), blockSize, dynamicSharedBytes);
}

// Device code calls min/max on mixed integer types (CUDA overloads them for
// every arithmetic type); std::min wants one.
template <class A, class B> inline std::common_type_t<A, B> min(A a, B b) {
  return b < a ? b : a;
}
template <class A, class B> inline std::common_type_t<A, B> max(A a, B b) {
  return a < b ? b : a;
}

#endif // AWQ_RUNTIME_CUDA_EMULATOR_KERNELSOURCE_H
