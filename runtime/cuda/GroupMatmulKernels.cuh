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

// Loads `count` (8 or 4) activations x[k0 .. k0+count) of one row as f32;
// inputs at or past k read as 0. `vectorized` needs k % 8 == 0 and a 16-byte
// aligned row, so a whole vector is either inside the row or past its end.
template <class T, int COUNT, bool VECTORIZED>
__device__ inline void loadActivations(const T *row, int64_t k0, int64_t k, float out[COUNT]) {
  static_assert(COUNT == 8 || COUNT == 4, "8 or 4 activations per load");
  if (VECTORIZED) {
    if (k0 >= k) {
#pragma unroll
      for (int j = 0; j < COUNT; ++j)
        out[j] = 0.0f;
      return;
    }
    T values[COUNT];
    if (COUNT == 8)
      *reinterpret_cast<uint4 *>(values) = *reinterpret_cast<const uint4 *>(row + k0);
    else
      *reinterpret_cast<uint2 *>(values) = *reinterpret_cast<const uint2 *>(row + k0);
#pragma unroll
    for (int j = 0; j < COUNT; ++j)
      out[j] = toFloat(values[j]);
  } else {
#pragma unroll
    for (int j = 0; j < COUNT; ++j)
      out[j] = k0 + j < k ? toFloat(row[k0 + j]) : 0.0f;
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
