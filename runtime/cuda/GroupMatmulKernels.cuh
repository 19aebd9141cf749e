// GroupMatmulKernels.cuh - the launchers of the group-matmul kernels (one
// file each), called by the dispatch in GroupMatmulDispatch.cu.
#ifndef AWQ_RUNTIME_CUDA_GROUPMATMULKERNELS_CUH
#define AWQ_RUNTIME_CUDA_GROUPMATMULKERNELS_CUH

#include "CudaCommon.cuh"
#include "GroupDequant.cuh"

namespace awq::cuda {

// Largest M each path is chosen for by default.
constexpr int64_t kGemvMaxRows = 4;
constexpr int64_t kTensorCoreMaxRows = 256;

// `#pragma unroll` for code that also compiles for the host, where the host
// compiler would warn about the unknown pragma.
#ifdef __CUDA_ARCH__
#define AWQ_UNROLL _Pragma("unroll")
#else
#define AWQ_UNROLL
#endif

// Loads `count` (8 or 4) activations x[k0 .. k0+count) of one row as f32;
// inputs at or past k read as 0. `vectorized` needs k % 8 == 0 and a 16-byte
// aligned row, so a whole vector is either inside the row or past its end.
template <class T, int COUNT, bool VECTORIZED>
__host__ __device__ inline void loadActivations(const T *row, int64_t k0, int64_t k,
                                                float out[COUNT]) {
  static_assert(COUNT == 8 || COUNT == 4, "8 or 4 activations per load");
  if (VECTORIZED) {
    if (k0 >= k) {
      AWQ_UNROLL
      for (int j = 0; j < COUNT; ++j)
        out[j] = 0.0f;
      return;
    }
    T values[COUNT];
    if (COUNT == 8)
      *reinterpret_cast<uint4 *>(values) = *reinterpret_cast<const uint4 *>(row + k0);
    else
      *reinterpret_cast<uint2 *>(values) = *reinterpret_cast<const uint2 *>(row + k0);
    AWQ_UNROLL
    for (int j = 0; j < COUNT; ++j)
      out[j] = toFloat(values[j]);
  } else {
    AWQ_UNROLL
    for (int j = 0; j < COUNT; ++j)
      out[j] = k0 + j < k ? toFloat(row[k0 + j]) : 0.0f;
  }
}

// A 128-bit load of weight codes that are read exactly once: evict-first on
// the device, a plain load on the host (where the tests run the same code).
__host__ __device__ inline uint4 loadStreamed(const uint4 *source) {
#ifdef __CUDA_ARCH__
  return __ldcs(source);
#else
  return *source;
#endif
}

// Inputs one 128-bit load of codes holds: 32 at 4 bits, 16 at 8.
template <int BITS> constexpr int kInputsPerVector = 128 / BITS;

// W'[row, first .. first + 128/BITS) in T, from one 128-bit load of codes
// (`first` a multiple of 128/BITS): (code - zero) * scale, rounded once.
// The tensor-core kernel stages its weight tiles with this and the
// dequantize kernel writes W' with it.
template <class T, int BITS>
__host__ __device__ inline void dequantizeCodeVector(const GroupWeightsView &weights, int64_t row,
                                                     int64_t first,
                                                     T destination[kInputsPerVector<BITS>]) {
  constexpr int kInputsPerWord = 32 / BITS;
  const uint4 raw = loadStreamed(reinterpret_cast<const uint4 *>(
      weights.codes + row * (weights.kPadded * BITS / 8) + first * BITS / 8));
  const int64_t groupIndex = row * weights.groups + first / weights.groupSize;
  const float scale = toFloat(static_cast<const T *>(weights.scales)[groupIndex]);
  const __half2 bias = zeroBias(weights.zeros ? weights.zeros[groupIndex] : 1 << (BITS - 1));
  const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
  AWQ_UNROLL
  for (int word = 0; word < 4; ++word) {
    float codeMinusZero[kInputsPerWord];
    if (BITS == 4)
      dequantizeWord4(words[word], bias, codeMinusZero);
    else
      dequantizeWord8(words[word], bias, codeMinusZero);
    AWQ_UNROLL
    for (int j = 0; j < kInputsPerWord; ++j)
      destination[word * kInputsPerWord + j] = fromFloat<T>(codeMinusZero[j] * scale);
  }
}

// y[m, n] = x[m, :] . W'[n, :] (+ bias), m <= 4; with `up`, y = SiLU(x.Wg') *
// (x.Wu') (bias must be null then).
template <class T>
void launchGroupGemv(const T *x, int64_t m, const GroupWeightsView &weights,
                     const GroupWeightsView *up, const T *bias, T *y, cudaStream_t stream);

// y = x . W'^T (+ bias) on tensor cores, any m (tiles of 64 rows).
template <class T>
void launchGroupGemmTensorCore(const T *x, int64_t m, const GroupWeightsView &weights,
                               const T *bias, T *y, cudaStream_t stream);

// W'[n, k] (k < K, row stride K) in T, for the dequantize + cuBLAS path.
template <class T>
void launchGroupDequantize(const GroupWeightsView &weights, T *out, cudaStream_t stream);

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_GROUPMATMULKERNELS_CUH
