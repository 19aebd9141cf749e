// EmulatedCublas.cpp - the cuBLAS calls the AWQ CUDA runtime makes
// (cublasGemmEx, cublasGemmStridedBatchedEx and handle setup), on the CPU:
// operands widened to f32, OpenBLAS's sgemm, the result rounded to C's type.
// Like cuBLAS, beta = 0 never reads C (NaNs there must not reach the output),
// and a GEMM on a capturing stream is recorded into the graph.
#include "DeviceActivity.h"
#include "Launch.h"

#include <cblas.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstring>
#include <vector>

struct cublasContext {
  cudaStream_t stream = nullptr;
};

namespace {

size_t elementBytes(cudaDataType type) {
  switch (type) {
  case CUDA_R_32F: return 4;
  case CUDA_R_16F:
  case CUDA_R_16BF: return 2;
  default: return 0;
  }
}

float loadElement(const void *base, cudaDataType type, int64_t index) {
  if (type == CUDA_R_32F)
    return static_cast<const float *>(base)[index];
  uint16_t bits;
  std::memcpy(&bits, static_cast<const char *>(base) + 2 * index, 2);
  if (type == CUDA_R_16F)
    return __half2float(__ushort_as_half(bits));
  return __bfloat162float(__ushort_as_bfloat16(bits));
}

void storeElement(void *base, cudaDataType type, int64_t index, float value) {
  if (type == CUDA_R_32F) {
    static_cast<float *>(base)[index] = value;
    return;
  }
  const uint16_t bits = type == CUDA_R_16F ? __half_as_ushort(__float2half_rn(value))
                                           : __bfloat16_as_ushort(__float2bfloat16_rn(value));
  std::memcpy(static_cast<char *>(base) + 2 * index, &bits, 2);
}

// A column-major matrix of `rows` x `columns` with leading dimension ld, as f32.
std::vector<float> widen(const void *base, cudaDataType type, int rows, int columns, int ld) {
  std::vector<float> out(static_cast<size_t>(ld) * columns);
  for (int c = 0; c < columns; ++c)
    for (int r = 0; r < rows; ++r)
      out[static_cast<size_t>(c) * ld + r] = loadElement(base, type, static_cast<int64_t>(c) * ld + r);
  return out;
}

struct Gemm {
  cublasOperation_t transa, transb;
  int m, n, k;
  float alpha, beta;
  const void *a;
  cudaDataType aType;
  int lda;
  long long strideA;
  const void *b;
  cudaDataType bType;
  int ldb;
  long long strideB;
  void *c;
  cudaDataType cType;
  int ldc;
  long long strideC;
  int batches;

  void run() const {
    const int aRows = transa == CUBLAS_OP_N ? m : k, aColumns = transa == CUBLAS_OP_N ? k : m;
    const int bRows = transb == CUBLAS_OP_N ? k : n, bColumns = transb == CUBLAS_OP_N ? n : k;
    for (int batch = 0; batch < batches; ++batch) {
      const char *aBase = static_cast<const char *>(a) + batch * strideA * elementBytes(aType);
      const char *bBase = static_cast<const char *>(b) + batch * strideB * elementBytes(bType);
      char *cBase = static_cast<char *>(c) + batch * strideC * elementBytes(cType);
      const std::vector<float> aWide = widen(aBase, aType, aRows, aColumns, lda);
      const std::vector<float> bWide = widen(bBase, bType, bRows, bColumns, ldb);
      std::vector<float> cWide(static_cast<size_t>(ldc) * n, 0.0f);
      if (beta != 0.0f)
        cWide = widen(cBase, cType, m, n, ldc);
      if (k > 0)
        cblas_sgemm(CblasColMajor, transa == CUBLAS_OP_N ? CblasNoTrans : CblasTrans,
                    transb == CUBLAS_OP_N ? CblasNoTrans : CblasTrans, m, n, k, alpha,
                    aWide.data(), lda, bWide.data(), ldb, beta, cWide.data(), ldc);
      else
        for (float &value : cWide)
          value *= beta;
      for (int column = 0; column < n; ++column)
        for (int row = 0; row < m; ++row)
          storeElement(cBase, cType, static_cast<int64_t>(column) * ldc + row,
                       cWide[static_cast<size_t>(column) * ldc + row]);
    }
  }
};

bool supportedCompute(cublasComputeType_t compute) {
  return compute == CUBLAS_COMPUTE_32F || compute == CUBLAS_COMPUTE_32F_PEDANTIC ||
         compute == CUBLAS_COMPUTE_32F_FAST_16F || compute == CUBLAS_COMPUTE_32F_FAST_16BF ||
         compute == CUBLAS_COMPUTE_32F_FAST_TF32;
}

cublasStatus_t enqueueGemm(cublasHandle_t handle, const Gemm &gemm, cublasComputeType_t compute) {
  if (!handle)
    return CUBLAS_STATUS_NOT_INITIALIZED;
  if (gemm.m < 0 || gemm.n < 0 || gemm.k < 0 || gemm.batches < 0)
    return CUBLAS_STATUS_INVALID_VALUE;
  const int aRows = gemm.transa == CUBLAS_OP_N ? gemm.m : gemm.k;
  const int bRows = gemm.transb == CUBLAS_OP_N ? gemm.k : gemm.n;
  if (gemm.lda < std::max(1, aRows) || gemm.ldb < std::max(1, bRows) ||
      gemm.ldc < std::max(1, gemm.m))
    return CUBLAS_STATUS_INVALID_VALUE;
  if ((gemm.transa != CUBLAS_OP_N && gemm.transa != CUBLAS_OP_T) ||
      (gemm.transb != CUBLAS_OP_N && gemm.transb != CUBLAS_OP_T) || !supportedCompute(compute) ||
      !elementBytes(gemm.aType) || !elementBytes(gemm.bType) || !elementBytes(gemm.cType))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  if (gemm.m == 0 || gemm.n == 0 || gemm.batches == 0)
    return CUBLAS_STATUS_SUCCESS;
  awq::emu::enqueue(handle->stream, [gemm] {
    awq::emu::countLaunch(gemm.batches > 1 ? "cuBLAS strided batched GEMM" : "cuBLAS GEMM");
    gemm.run();
    return std::string();
  });
  return CUBLAS_STATUS_SUCCESS;
}

} // namespace

extern "C" {

cublasStatus_t cublasCreate_v2(cublasHandle_t *handle) {
  *handle = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
  if (!handle)
    return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t bytes) {
  (void)workspace, (void)bytes; // the CPU GEMM needs none
  return handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  (void)mode; // f32 accumulation either way
  return handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

const char *cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
  case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
  case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
  case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
  case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
  default: return "CUBLAS_STATUS_UNKNOWN_ERROR";
  }
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa,
                            cublasOperation_t transb, int m, int n, int k, const void *alpha,
                            const void *A, cudaDataType Atype, int lda, const void *B,
                            cudaDataType Btype, int ldb, const void *beta, void *C,
                            cudaDataType Ctype, int ldc, cublasComputeType_t computeType,
                            cublasGemmAlgo_t algo) {
  (void)algo;
  // f32 compute types take f32 scalars from host memory (the default
  // pointer mode).
  const Gemm gemm{transa, transb, m, n, k, *static_cast<const float *>(alpha),
                  *static_cast<const float *>(beta), A, Atype, lda, 0, B, Btype, ldb, 0,
                  C, Ctype, ldc, 0, 1};
  return enqueueGemm(handle, gemm, computeType);
}

cublasStatus_t cublasGemmStridedBatchedEx(
    cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
    const void *alpha, const void *A, cudaDataType Atype, int lda, long long int strideA,
    const void *B, cudaDataType Btype, int ldb, long long int strideB, const void *beta, void *C,
    cudaDataType Ctype, int ldc, long long int strideC, int batchCount,
    cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
  (void)algo;
  const Gemm gemm{transa, transb, m, n, k, *static_cast<const float *>(alpha),
                  *static_cast<const float *>(beta), A, Atype, lda, strideA, B, Btype, ldb,
                  strideB, C, Ctype, ldc, strideC, batchCount};
  return enqueueGemm(handle, gemm, computeType);
}

} // extern "C"
