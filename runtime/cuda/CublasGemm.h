// CublasGemm.h - the row-major matmul through cuBLAS that both the dense
// baseline (awq_cuda_linear) and the dequantize + cuBLAS group path use.
#ifndef AWQ_RUNTIME_CUDA_CUBLASGEMM_H
#define AWQ_RUNTIME_CUDA_CUBLASGEMM_H

#include <cuda_runtime.h>

#include <cstdint>

namespace awq::cuda {

// y[m, n] = x[m, k] . w[n, k]^T (+ bias[n] when not null), all row-major in
// `dtype` (f16/bf16), f32 compute, the output rounded once: the bias is
// broadcast into y first and cuBLAS adds the product to it (beta = 1) in
// f32. Uses one cuBLAS handle per thread and device (with a fixed workspace,
// so the call is safe inside CUDA graph capture).
void gemmRowMajorTransposedWeight(int32_t dtype, const void *x, int64_t m, const void *w,
                                  int64_t n, int64_t k, const void *bias, void *y,
                                  cudaStream_t stream);

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_CUBLASGEMM_H
