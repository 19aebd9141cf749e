// DecoderNorms.cu - RMSNorm and LayerNorm over the last axis: one block per
// row, statistics by a block reduction in f32.
#include "DecoderArgs.cuh"

#include <algorithm>
#include <cmath>

using namespace awq::cuda;

namespace {

// Sum of `value` over the block, returned to every thread. `scratch` holds one
// partial per warp; every warp adds them up itself, which saves a broadcast.
__device__ float blockSum(float value, float *scratch) {
  for (int offset = 16; offset > 0; offset /= 2)
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0)
    scratch[warp] = value;
  __syncthreads();
  const int warps = blockDim.x / 32;
  float total = lane < warps ? scratch[lane] : 0.0f;
  for (int offset = 16; offset > 0; offset /= 2)
    total += __shfl_xor_sync(0xffffffffu, total, offset);
  __syncthreads(); // scratch is reused by the next call
  return total;
}

// The row a norm normalizes: x, or with a residual x + residual rounded to T
// (as the residual Add rounds it), which this also stores to `sum`. The
// normalizing pass re-reads the row from `sum` then: each thread reads back
// the elements it wrote itself, so no barrier is needed.
template <class T> struct NormRow {
  const T *x;
  const T *residual; // NULL: no residual add
  T *sum;            // the rounded sums when residual is set
  __device__ float first(int64_t i) const {
    if (!residual)
      return toFloat(x[i]);
    const T value = fromFloat<T>(__fadd_rn(toFloat(x[i]), toFloat(residual[i])));
    sum[i] = value;
    return toFloat(value);
  }
  __device__ float again(int64_t i) const { return toFloat(residual ? sum[i] : x[i]); }
};

template <class T>
__device__ NormRow<T> rowOf(const T *x, const T *residual, T *sum, int64_t dim) {
  const int64_t offset = static_cast<int64_t>(blockIdx.x) * dim;
  return {x + offset, residual ? residual + offset : nullptr, residual ? sum + offset : nullptr};
}

// y = row / sqrt(mean(row^2) + eps) * (gammaOffset + gamma).
template <class T>
__global__ void rmsNormKernel(const T *x, const T *residual, const T *gamma, float gammaOffset,
                              int64_t dim, float eps, T *sum, T *y) {
  __shared__ float scratch[32];
  const NormRow<T> row = rowOf(x, residual, sum, dim);
  T *out = y + static_cast<int64_t>(blockIdx.x) * dim;
  float squares = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    const float v = row.first(i);
    squares += v * v;
  }
  const float invRms = 1.0f / sqrtf(blockSum(squares, scratch) / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    out[i] = fromFloat<T>(row.again(i) * invRms * (gammaOffset + toFloat(gamma[i])));
}

// Two passes over the row (mean, then squared deviations): the one-pass
// E[x^2] - E[x]^2 cancels badly when the mean is large.
template <class T>
__global__ void layerNormKernel(const T *x, const T *residual, const T *gamma, const T *beta,
                                int64_t dim, float eps, T *sum, T *y) {
  __shared__ float scratch[32];
  const NormRow<T> row = rowOf(x, residual, sum, dim);
  T *out = y + static_cast<int64_t>(blockIdx.x) * dim;
  float total = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    total += row.first(i);
  const float mean = blockSum(total, scratch) / static_cast<float>(dim);
  float squares = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    const float centred = row.again(i) - mean;
    squares += centred * centred;
  }
  const float invStd = 1.0f / sqrtf(blockSum(squares, scratch) / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    const float shift = beta ? toFloat(beta[i]) : 0.0f;
    out[i] = fromFloat<T>((row.again(i) - mean) * invStd * toFloat(gamma[i]) + shift);
  }
}

// About four elements per thread, whole warps, at most 1024 threads.
unsigned normThreads(int64_t dim) {
  const int64_t warps = (dim + 4 * 32 - 1) / (4 * 32);
  return static_cast<unsigned>(std::min<int64_t>(32, std::max<int64_t>(1, warps)) * 32);
}

void checkNormArgs(const void *x, const void *gamma, int64_t rows, int64_t dim, float eps,
                   int32_t dtype, const void *y) {
  requireNonNull(x, "x");
  requireNonNull(gamma, "gamma");
  requireNonNull(y, "y");
  requirePositive(rows, "rows");
  requirePositive(dim, "dim");
  if (!(eps >= 0.0f) || std::isinf(eps))
    awq::rt::raise("eps must be finite and >= 0 (%g given)", static_cast<double>(eps));
  requireFloatDtype(dtype);
}

// The fused forms: a residual needs somewhere to put the sum. The sum may
// replace x or the residual (each thread reads both before it writes the sum
// at the same index: a residual stream updated in place) but not y, which
// the second pass writes over the sums it still reads.
void checkResidualArgs(const void *residual, const void *sum, const void *y) {
  if (!residual != !sum)
    awq::rt::raise("residual and sum must both be given or both be NULL");
  if (residual && sum == y)
    awq::rt::raise("sum must not alias y");
}

void runRmsNorm(const void *x, const void *residual, const void *gamma, float gammaOffset,
                int64_t rows, int64_t dim, float eps, int32_t dtype, void *sum, void *y,
                void *stream) {
  checkNormArgs(x, gamma, rows, dim, eps, dtype, y);
  checkResidualArgs(residual, sum, y);
  if (!std::isfinite(gammaOffset))
    awq::rt::raise("gamma_offset must be finite (%g given)", static_cast<double>(gammaOffset));
  const unsigned blocks = gridX(rows, "rows");
  dispatchFloatDtype(dtype, "dtype", [&](auto tag) {
    using T = decltype(tag);
    rmsNormKernel<T><<<blocks, normThreads(dim), 0, asStream(stream)>>>(
        static_cast<const T *>(x), static_cast<const T *>(residual),
        static_cast<const T *>(gamma), gammaOffset, dim, eps, static_cast<T *>(sum),
        static_cast<T *>(y));
  });
  checkLaunch("rms_norm");
}

void runLayerNorm(const void *x, const void *residual, const void *gamma, const void *beta,
                  int64_t rows, int64_t dim, float eps, int32_t dtype, void *sum, void *y,
                  void *stream) {
  checkNormArgs(x, gamma, rows, dim, eps, dtype, y); // beta may be NULL
  checkResidualArgs(residual, sum, y);
  const unsigned blocks = gridX(rows, "rows");
  dispatchFloatDtype(dtype, "dtype", [&](auto tag) {
    using T = decltype(tag);
    layerNormKernel<T><<<blocks, normThreads(dim), 0, asStream(stream)>>>(
        static_cast<const T *>(x), static_cast<const T *>(residual),
        static_cast<const T *>(gamma), static_cast<const T *>(beta), dim, eps,
        static_cast<T *>(sum), static_cast<T *>(y));
  });
  checkLaunch("layer_norm");
}

} // namespace

extern "C" awq_status awq_cuda_rms_norm(const void *x, const void *gamma, int64_t rows, int64_t dim,
                                        float eps, int32_t dtype, void *y, void *stream) {
  return awq::rt::guard("awq_cuda_rms_norm", [&] {
    runRmsNorm(x, nullptr, gamma, 0.0f, rows, dim, eps, dtype, nullptr, y, stream);
  });
}

extern "C" awq_status awq_cuda_layer_norm(const void *x, const void *gamma, const void *beta,
                                          int64_t rows, int64_t dim, float eps, int32_t dtype,
                                          void *y, void *stream) {
  return awq::rt::guard("awq_cuda_layer_norm", [&] {
    runLayerNorm(x, nullptr, gamma, beta, rows, dim, eps, dtype, nullptr, y, stream);
  });
}

extern "C" awq_status awq_cuda_add_rms_norm(const void *x, const void *residual,
                                            const void *gamma, float gamma_offset, int64_t rows,
                                            int64_t dim, float eps, int32_t dtype, void *sum,
                                            void *y, void *stream) {
  return awq::rt::guard("awq_cuda_add_rms_norm", [&] {
    runRmsNorm(x, residual, gamma, gamma_offset, rows, dim, eps, dtype, sum, y, stream);
  });
}

extern "C" awq_status awq_cuda_add_layer_norm(const void *x, const void *residual,
                                              const void *gamma, const void *beta, int64_t rows,
                                              int64_t dim, float eps, int32_t dtype, void *sum,
                                              void *y, void *stream) {
  return awq::rt::guard("awq_cuda_add_layer_norm", [&] {
    runLayerNorm(x, residual, gamma, beta, rows, dim, eps, dtype, sum, y, stream);
  });
}
