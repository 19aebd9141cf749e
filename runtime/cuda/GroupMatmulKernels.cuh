// GroupMatmulKernels.cuh - the launchers of the group-matmul kernels (one
// file each), called by the dispatch in GroupMatmulDispatch.cu.
#ifndef AWQ_RUNTIME_CUDA_GROUPMATMULKERNELS_CUH
#define AWQ_RUNTIME_CUDA_GROUPMATMULKERNELS_CUH

#include "CudaCommon.cuh"
#include "GroupDequant.cuh"

namespace awq::cuda {

// Largest M each path is chosen for by default (where the H100 timings in
// runtime/cuda/README.md cross over).
constexpr int64_t kGemvMaxRows = 4;
constexpr int64_t kTensorCoreMaxRows = 64;
// Mma-tile blobs: the register-fed mma kernel up to here, then dequantize +
// cuBLAS.
constexpr int64_t kMmaMaxRows = 64;

// `#pragma unroll` for code that also compiles for the host, where the host
// compiler would warn about the unknown pragma.
#ifdef __CUDA_ARCH__
#define AWQ_UNROLL _Pragma("unroll")
#else
#define AWQ_UNROLL
#endif

// A 128-bit load of weight codes that are read exactly once: evict-first on
// the device, a plain load on the host (where the tests run the same code).
__host__ __device__ inline uint4 loadStreamed(const uint4 *source) {
#ifdef __CUDA_ARCH__
  return __ldcs(source);
#else
  return *source;
#endif
}

// A group's scale and its zero point as the magic-number bias.
struct GroupParams {
  float scale;
  __half2 bias; // 1024 + zero, for the magic-number subtraction
};

// The code word `word` of `row` (the row's words are contiguous).
__host__ __device__ inline uint32_t loadCodeWord(const GroupWeightsView &weights,
                                                 int64_t wordsPerRow, int64_t row,
                                                 int64_t word) {
  const auto *words = reinterpret_cast<const uint32_t *>(weights.codes);
#ifdef __CUDA_ARCH__
  return __ldcs(words + row * wordsPerRow + word); // read once: evict first
#else
  return words[row * wordsPerRow + word];
#endif
}

template <class T, int BITS>
__host__ __device__ inline GroupParams groupParamsAt(const GroupWeightsView &weights, int64_t row,
                                                     int64_t input) {
  const int64_t group =
      weights.groupShift >= 0 ? input >> weights.groupShift : input / weights.groupSize;
  const int64_t index = row * weights.groups + group;
  GroupParams params;
  params.scale = toFloat(static_cast<const T *>(weights.scales)[index]);
  params.bias = zeroBias(weights.zeros ? weights.zeros[index] : 1 << (BITS - 1));
  return params;
}

// Inputs one 128-bit load of codes holds: 32 at 4 bits, 16 at 8.
template <int BITS> constexpr int kInputsPerVector = 128 / BITS;

// The 128/BITS values of one 128-bit vector of codes already in registers:
// (code - zero) * scale, each rounded once to T.
template <class T, int BITS>
__host__ __device__ inline void dequantizeVector(uint4 raw, GroupParams params,
                                                 T destination[kInputsPerVector<BITS>]) {
  constexpr int kInputsPerWord = 32 / BITS;
  const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
  AWQ_UNROLL
  for (int word = 0; word < 4; ++word) {
    float codeMinusZero[kInputsPerWord];
    if (BITS == 4)
      dequantizeWord4(words[word], params.bias, codeMinusZero);
    else
      dequantizeWord8(words[word], params.bias, codeMinusZero);
    AWQ_UNROLL
    for (int j = 0; j < kInputsPerWord; ++j)
      destination[word * kInputsPerWord + j] = fromFloat<T>(codeMinusZero[j] * params.scale);
  }
}

// The 128-bit vector of codes holding inputs first .. first + 128/BITS of
// `row` (`first` a multiple of 128/BITS).
template <int BITS>
__host__ __device__ inline uint4 loadCodeVector(const GroupWeightsView &weights, int64_t row,
                                                int64_t first) {
  return loadStreamed(reinterpret_cast<const uint4 *>(
      weights.codes + row * (weights.kPadded * BITS / 8) + first * BITS / 8));
}

// W'[row, first .. first + 128/BITS) in T: the tensor-core kernel stages its
// weight tiles this way (load and dequantize split across a pipeline step).
template <class T, int BITS>
__host__ __device__ inline void dequantizeCodeVector(const GroupWeightsView &weights, int64_t row,
                                                     int64_t first,
                                                     T destination[kInputsPerVector<BITS>]) {
  dequantizeVector<T, BITS>(loadCodeVector<BITS>(weights, row, first),
                            groupParamsAt<T, BITS>(weights, row, first), destination);
}

// y[m, n] = x[m, :] . W'[n, :] (+ bias), m <= 4; with `up`, y = SiLU(x.Wg') *
// (x.Wu') (bias must be null then). x, bias and y in IO: the weights' dtype
// T, or f32 (x then rounded to T as the kernel reads it).
template <class T, class IO = T>
void launchGroupGemv(const IO *x, int64_t m, const GroupWeightsView &weights,
                     const GroupWeightsView *up, const IO *bias, IO *y, cudaStream_t stream);

// y = x . W'^T (+ bias) on tensor cores, any m (tiles of 64 rows). When
// there are too few tiles to fill the GPU, K is split over blocks whose f32
// partial tiles go to `workspace` (groupGemmTensorCoreWorkspaceBytes) and a
// second kernel adds them in a fixed order, so results are deterministic.
template <class T>
void launchGroupGemmTensorCore(const T *x, int64_t m, const GroupWeightsView &weights,
                               const T *bias, T *y, void *workspace, cudaStream_t stream);

// Bytes of workspace the tensor-core path needs for m rows on the current
// device (0 when it does not split K).
int64_t groupGemmTensorCoreWorkspaceBytes(int64_t m, int64_t n, int64_t kPadded);

// y = x . W'^T (+ bias), m <= kMmaMaxRows, from an mma-tile blob on tensor
// cores fed from registers; with `up`, y = SiLU(x.Wg') * (x.Wu') (bias must
// be null then). No workspace.
template <class T>
void launchGroupMatmulMma(const T *x, int64_t m, const GroupWeightsView &weights,
                          const GroupWeightsView *up, const T *bias, T *y, cudaStream_t stream);

// W'[n, k] (k < K, row stride K) in T, for the dequantize + cuBLAS path
// (either layout).
template <class T>
void launchGroupDequantize(const GroupWeightsView &weights, T *out, cudaStream_t stream);

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_GROUPMATMULKERNELS_CUH
