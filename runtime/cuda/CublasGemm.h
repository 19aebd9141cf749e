// CublasGemm.h - the row-major matmul through cuBLAS that both the dense
// baseline (awq_cuda_linear) and the dequantize + cuBLAS group path use.
#ifndef AWQ_RUNTIME_CUDA_CUBLASGEMM_H
#define AWQ_RUNTIME_CUDA_CUBLASGEMM_H

#include <cuda_runtime.h>

#include <cstdint>

namespace awq::cuda {

// y[m, n] = x[m, k] . w[n, k]^T, all row-major in `dtype` (f16/bf16), f32
// compute. Uses one cuBLAS handle per thread and device (with a fixed
// workspace, so the call is safe inside CUDA graph capture).
void gemmRowMajorTransposedWeight(int32_t dtype, const void *x, int64_t m, const void *w,
                                  int64_t n, int64_t k, void *y, cudaStream_t stream);

// y[r, :] += bias[:] for r < m.
void addBiasToRows(int32_t dtype, void *y, const void *bias, int64_t m, int64_t n,
                   cudaStream_t stream);

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_CUBLASGEMM_H
