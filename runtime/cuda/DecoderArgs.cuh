// DecoderArgs.cuh - argument checks of the decoder ops. They run before any
// CUDA call, so a bad call fails the same way with or without a GPU.
#ifndef AWQ_RUNTIME_CUDA_DECODERARGS_CUH
#define AWQ_RUNTIME_CUDA_DECODERARGS_CUH

#include "CudaCommon.cuh"

#include <cstdint>

namespace awq::cuda {

inline void requireNonNull(const void *pointer, const char *name) {
  if (!pointer)
    awq::rt::raise("%s must not be null", name);
}

inline void requirePositive(int64_t value, const char *name) {
  if (value <= 0)
    awq::rt::raise("%s must be positive (%lld given)", name, static_cast<long long>(value));
}

inline void requireHalfDtype(int32_t dtype) {
  if (dtype != AWQ_F16 && dtype != AWQ_BF16)
    awq::rt::raise("dtype must be f16 or bf16 (awq_dtype %d given)", dtype);
}

inline void requireFloatDtype(int32_t dtype) {
  if (dtype != AWQ_F32 && dtype != AWQ_F16 && dtype != AWQ_BF16)
    awq::rt::raise("dtype must be f32, f16 or bf16 (awq_dtype %d given)", dtype);
}

// Blocks along grid x (at most 2^31 - 1) for one block per `what`.
inline unsigned gridX(int64_t blocks, const char *what) {
  if (blocks > INT32_MAX)
    awq::rt::raise("%lld %s exceed the 2^31 - 1 blocks of a launch", static_cast<long long>(blocks),
                   what);
  return static_cast<unsigned>(blocks);
}

// Elementwise kernels: blocks of this many threads in grid-stride loops over at
// most kMaxElementwiseBlocks blocks (enough to fill any current GPU).
constexpr int kElementwiseThreads = 256;
constexpr int64_t kMaxElementwiseBlocks = 1 << 16;
inline unsigned elementwiseBlocks(int64_t count) {
  const int64_t blocks = (count + kElementwiseThreads - 1) / kElementwiseThreads;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks < kMaxElementwiseBlocks ? blocks : kMaxElementwiseBlocks));
}

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_DECODERARGS_CUH
