// DecodeBenchKernels.cu - device kernels of awq-cuda-decode-bench (see the header).
#include "DecodeBenchKernels.h"

#include "awq_runtime.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace awq::bench {
namespace {

__global__ void advanceDecodeStep(int32_t *pastLen, int64_t *positions, int64_t *ids,
                                  int64_t batch, int64_t vocab) {
  const int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (b >= batch)
    return;
  pastLen[b] += 1;
  positions[b] += 1;
  // A 64-bit LCG step; the high bits pick the next token.
  const uint64_t state =
      static_cast<uint64_t>(ids[b]) * 6364136223846793005ULL + 1442695040888963407ULL + b;
  ids[b] = static_cast<int64_t>((state >> 33) % static_cast<uint64_t>(vocab));
}

// splitmix64: a well-mixed 64-bit hash of the element index.
__device__ uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

template <class T> __device__ T toHalf(float v);
template <> __device__ __half toHalf<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __nv_bfloat16 toHalf<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

template <class T>
__global__ void fillRandomHalf(T *data, int64_t count, float mean, float stddev, uint64_t seed) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += stride) {
    const uint64_t bits = mix64(seed ^ mix64(static_cast<uint64_t>(i)));
    // Box-Muller on two 24-bit uniforms in (0, 1].
    const float u1 = (static_cast<float>(bits & 0xFFFFFF) + 1.0f) * (1.0f / 16777216.0f);
    const float u2 = static_cast<float>((bits >> 24) & 0xFFFFFF) * (1.0f / 16777216.0f);
    const float normal = sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
    data[i] = toHalf<T>(mean + stddev * normal);
  }
}

} // namespace

cudaError_t launchAdvanceDecodeStep(int32_t *pastLen, int64_t *positions, int64_t *ids,
                                    int64_t batch, int64_t vocab, cudaStream_t stream) {
  const int threads = 128;
  const unsigned blocks = static_cast<unsigned>((batch + threads - 1) / threads);
  advanceDecodeStep<<<blocks, threads, 0, stream>>>(pastLen, positions, ids, batch, vocab);
  return cudaGetLastError();
}

cudaError_t launchFillRandomHalf(void *data, int64_t count, int32_t dtype, float mean,
                                 float stddev, uint64_t seed, cudaStream_t stream) {
  if (count <= 0)
    return cudaSuccess;
  const int threads = 256;
  const int64_t wanted = (count + threads - 1) / threads;
  const unsigned blocks = static_cast<unsigned>(wanted < 65536 ? wanted : 65536);
  if (dtype == AWQ_BF16)
    fillRandomHalf<__nv_bfloat16><<<blocks, threads, 0, stream>>>(
        static_cast<__nv_bfloat16 *>(data), count, mean, stddev, seed);
  else
    fillRandomHalf<__half><<<blocks, threads, 0, stream>>>(static_cast<__half *>(data), count,
                                                           mean, stddev, seed);
  return cudaGetLastError();
}

} // namespace awq::bench
