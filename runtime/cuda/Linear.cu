// Linear.cu - dense products through cuBLAS: the f16/bf16 linear (the FP16
// baseline the W4 kernels are measured against, and the multiply of the group
// matmul's dequantize + cuBLAS path), and a compiled model's MatMul and Gemm.
#include "CublasGemm.h"
#include "CudaCommon.cuh"

#include <cublas_v2.h>

#include <climits>

namespace awq::cuda {
namespace {

// cuBLAS may otherwise allocate during a call, which CUDA graph capture
// forbids; 32 MiB is what NVIDIA suggests for Hopper.
constexpr size_t kCublasWorkspaceBytes = 32u << 20;

void checkCublas(cublasStatus_t status, const char *what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    awq::rt::raise("%s: %s", what, cublasGetStatusString(status));
}

// One handle per host thread and device, created on first use and kept for
// the thread's life (creating one costs milliseconds). Never destroyed at
// exit: the CUDA runtime may already be unloaded by then, and the driver
// reclaims everything with the process.
struct ThreadCublas {
  int device = -1;
  cublasHandle_t handle = nullptr;
  void *workspace = nullptr;
};

cublasHandle_t cublasFor(cudaStream_t stream) {
  thread_local ThreadCublas cached;
  int device = 0;
  checkCuda(cudaGetDevice(&device), "cudaGetDevice");
  if (cached.device != device) {
    if (cached.handle)
      cublasDestroy(cached.handle);
    if (cached.workspace)
      cudaFree(cached.workspace);
    cached = ThreadCublas{};
    checkCublas(cublasCreate(&cached.handle), "cublasCreate");
    checkCuda(cudaMalloc(&cached.workspace, kCublasWorkspaceBytes), "cudaMalloc (cuBLAS workspace)");
    checkCublas(cublasSetWorkspace(cached.handle, cached.workspace, kCublasWorkspaceBytes),
                "cublasSetWorkspace");
    // Split-K reductions in f32, not in the f16/bf16 output type, so they
    // add no roundings of their own. (cuBLAS still rounds x . W^T before
    // adding C = bias: the cuBLAS linear's test states both roundings.)
    checkCublas(cublasSetMathMode(cached.handle,
                                  static_cast<cublasMath_t>(
                                      CUBLAS_DEFAULT_MATH |
                                      CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)),
                "cublasSetMathMode");
    cached.device = device;
  }
  checkCublas(cublasSetStream(cached.handle, stream), "cublasSetStream");
  return cached.handle;
}

template <class T>
__global__ void broadcastRowKernel(T *__restrict__ y, const T *__restrict__ row, int64_t m,
                                   int64_t n) {
  const int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index < m * n)
    y[index] = row[index % n];
}

// y[r, :] = bias[:] for r < m.
void broadcastBiasToRows(int32_t dtype, void *y, const void *bias, int64_t m, int64_t n,
                         cudaStream_t stream) {
  constexpr int kThreads = 256;
  dispatchHalfDtype(dtype, "dtype", [&](auto tag) {
    using T = decltype(tag);
    broadcastRowKernel<T><<<ceilDiv(m * n, kThreads), kThreads, 0, stream>>>(
        static_cast<T *>(y), static_cast<const T *>(bias), m, n);
  });
  checkLaunch("bias broadcast");
}

} // namespace

int checkedInt(int64_t value, const char *name) {
  if (value > INT_MAX)
    awq::rt::raise("%s = %lld exceeds cuBLAS's 32-bit sizes", name, static_cast<long long>(value));
  return static_cast<int>(value);
}

void gemmRowMajorTransposedWeight(int32_t dtype, const void *x, int64_t m, const void *w,
                                  int64_t n, int64_t k, const void *bias, void *y,
                                  cudaStream_t stream) {
  if (m == 0 || n == 0)
    return;
  if (bias)
    broadcastBiasToRows(dtype, y, bias, m, n, stream);
  // Row-major y = x . w^T is column-major y^T = w . x^T: cuBLAS sees w as a
  // column-major [k, n] matrix (transposed to [n, k]) and x as [k, m].
  const cudaDataType_t type = dtype == AWQ_F16 ? CUDA_R_16F : CUDA_R_16BF;
  const float alpha = 1.0f, beta = bias ? 1.0f : 0.0f;
  checkCublas(cublasGemmEx(cublasFor(stream), CUBLAS_OP_T, CUBLAS_OP_N, checkedInt(n, "N"),
                           checkedInt(m, "M"), checkedInt(k, "K"), &alpha, w, type,
                           checkedInt(k, "K"), x, type, checkedInt(k, "K"), &beta, y, type,
                           checkedInt(n, "N"), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
              "cublasGemmEx");
}

} // namespace awq::cuda

extern "C" awq_status awq_cuda_linear(const void *x, int64_t m, const void *weight, int64_t n,
                                      int64_t k, const void *bias, int32_t dtype, void *y,
                                      void *stream) {
  return awq::rt::guard("awq_cuda_linear", [&] {
    if (m < 0 || n < 0 || k <= 0)
      awq::rt::raise("sizes must be M >= 0, N >= 0, K > 0 (M = %lld, N = %lld, K = %lld)",
                     static_cast<long long>(m), static_cast<long long>(n),
                     static_cast<long long>(k));
    if (dtype != AWQ_F16 && dtype != AWQ_BF16)
      awq::rt::raise("dtype must be f16 or bf16 (awq_dtype %d)", dtype);
    if (m * n == 0)
      return;
    if (!x || !weight || !y)
      awq::rt::raise("x, weight and y must be non-null device pointers");
    const cudaStream_t cudaStream = awq::cuda::asStream(stream);
    awq::cuda::gemmRowMajorTransposedWeight(dtype, x, m, weight, n, k, bias, y, cudaStream);
  });
}

extern "C" awq_status awq_cuda_matmul(const void *a, const void *b, int64_t batch, int64_t m,
                                      int64_t n, int64_t k, int32_t b_transposed,
                                      int64_t a_batch_stride, int64_t b_batch_stride,
                                      int32_t dtype, void *y, void *stream) {
  return awq::rt::guard("awq_cuda_matmul", [&] {
    if (batch < 0 || m < 0 || n < 0 || k < 0)
      awq::rt::raise("sizes must be >= 0 (batch = %lld, M = %lld, N = %lld, K = %lld)",
                     static_cast<long long>(batch), static_cast<long long>(m),
                     static_cast<long long>(n), static_cast<long long>(k));
    if (a_batch_stride < 0 || b_batch_stride < 0)
      awq::rt::raise("batch strides must be >= 0");
    if (dtype != AWQ_F32 && dtype != AWQ_F16 && dtype != AWQ_BF16)
      awq::rt::raise("dtype must be f32, f16 or bf16 (awq_dtype %d)", dtype);
    if (batch * m * n == 0)
      return;
    if (!a || !b || !y)
      awq::rt::raise("a, b and y must be non-null device pointers");
    const cudaStream_t cudaStream = awq::cuda::asStream(stream);
    if (k == 0) {
      awq::cuda::checkCuda(
          cudaMemsetAsync(y, 0, static_cast<size_t>(batch * m * n) * awq_dtype_size(dtype),
                          cudaStream),
          "cudaMemsetAsync");
      return;
    }
    // Row-major y = a . b is column-major y^T = b^T . a^T: cuBLAS multiplies
    // b (column-major [n, k], or [k, n] transposed) by a (column-major [k, m]).
    const cudaDataType_t type =
        dtype == AWQ_F32 ? CUDA_R_32F : (dtype == AWQ_F16 ? CUDA_R_16F : CUDA_R_16BF);
    const float alpha = 1.0f, beta = 0.0f;
    using awq::cuda::checkedInt;
    const int ldb = b_transposed ? checkedInt(k, "K") : checkedInt(n, "N");
    awq::cuda::checkCublas(
        cublasGemmStridedBatchedEx(
            awq::cuda::cublasFor(cudaStream), b_transposed ? CUBLAS_OP_T : CUBLAS_OP_N,
            CUBLAS_OP_N, checkedInt(n, "N"), checkedInt(m, "M"), checkedInt(k, "K"), &alpha, b,
            type, ldb, b_batch_stride, a, type, checkedInt(k, "K"), a_batch_stride, &beta, y, type,
            checkedInt(n, "N"), m * n, checkedInt(batch, "batch"), CUBLAS_COMPUTE_32F,
            CUBLAS_GEMM_DEFAULT),
        "cublasGemmStridedBatchedEx");
  });
}

extern "C" awq_status awq_cuda_gemm(const void *a, int32_t a_transposed, const void *b,
                                    int32_t b_transposed, int64_t m, int64_t n, int64_t k,
                                    float alpha, float beta, int32_t dtype, void *y,
                                    void *stream) {
  return awq::rt::guard("awq_cuda_gemm", [&] {
    if (m < 0 || n < 0 || k <= 0)
      awq::rt::raise("sizes must be M >= 0, N >= 0, K > 0 (M = %lld, N = %lld, K = %lld)",
                     static_cast<long long>(m), static_cast<long long>(n),
                     static_cast<long long>(k));
    if (dtype != AWQ_F32 && dtype != AWQ_F16 && dtype != AWQ_BF16)
      awq::rt::raise("dtype must be f32, f16 or bf16 (awq_dtype %d)", dtype);
    if (m * n == 0)
      return;
    if (!a || !b || !y)
      awq::rt::raise("a, b and y must be non-null device pointers");
    // Row-major y = op(a) . op(b) is column-major y^T = op(b)^T . op(a)^T. A
    // row-major [r, c] matrix is a column-major [c, r] one (leading dimension
    // c), so each operand is cuBLAS's transposed exactly when it is not ours.
    const cudaDataType_t type =
        dtype == AWQ_F32 ? CUDA_R_32F : (dtype == AWQ_F16 ? CUDA_R_16F : CUDA_R_16BF);
    using awq::cuda::checkedInt;
    const int ldb = b_transposed ? checkedInt(k, "K") : checkedInt(n, "N");
    const int lda = a_transposed ? checkedInt(m, "M") : checkedInt(k, "K");
    const cudaStream_t cudaStream = awq::cuda::asStream(stream);
    awq::cuda::checkCublas(
        cublasGemmEx(awq::cuda::cublasFor(cudaStream), b_transposed ? CUBLAS_OP_T : CUBLAS_OP_N,
                     a_transposed ? CUBLAS_OP_T : CUBLAS_OP_N, checkedInt(n, "N"),
                     checkedInt(m, "M"), checkedInt(k, "K"), &alpha, b, type, ldb, a, type, lda,
                     &beta, y, type, checkedInt(n, "N"), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx");
  });
}
