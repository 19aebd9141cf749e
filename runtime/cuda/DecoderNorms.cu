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

template <class T>
__global__ void rmsNormKernel(const T *x, const T *gamma, int64_t dim, float eps, T *y) {
  __shared__ float scratch[32];
  const T *in = x + static_cast<int64_t>(blockIdx.x) * dim;
  T *out = y + static_cast<int64_t>(blockIdx.x) * dim;
  float squares = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    const float v = toFloat(in[i]);
    squares += v * v;
  }
  const float invRms = 1.0f / sqrtf(blockSum(squares, scratch) / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    out[i] = fromFloat<T>(toFloat(in[i]) * invRms * toFloat(gamma[i]));
}

// Two passes over the row (mean, then squared deviations): the one-pass
// E[x^2] - E[x]^2 cancels badly when the mean is large.
template <class T>
__global__ void layerNormKernel(const T *x, const T *gamma, const T *beta, int64_t dim, float eps,
                                T *y) {
  __shared__ float scratch[32];
  const T *in = x + static_cast<int64_t>(blockIdx.x) * dim;
  T *out = y + static_cast<int64_t>(blockIdx.x) * dim;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    sum += toFloat(in[i]);
  const float mean = blockSum(sum, scratch) / static_cast<float>(dim);
  float squares = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    const float centred = toFloat(in[i]) - mean;
    squares += centred * centred;
  }
  const float invStd = 1.0f / sqrtf(blockSum(squares, scratch) / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    const float shift = beta ? toFloat(beta[i]) : 0.0f;
    out[i] = fromFloat<T>((toFloat(in[i]) - mean) * invStd * toFloat(gamma[i]) + shift);
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

} // namespace

extern "C" awq_status awq_cuda_rms_norm(const void *x, const void *gamma, int64_t rows, int64_t dim,
                                        float eps, int32_t dtype, void *y, void *stream) {
  return awq::rt::guard("awq_cuda_rms_norm", [&] {
    checkNormArgs(x, gamma, rows, dim, eps, dtype, y);
    const unsigned blocks = gridX(rows, "rows");
    dispatchFloatDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      rmsNormKernel<T><<<blocks, normThreads(dim), 0, asStream(stream)>>>(
          static_cast<const T *>(x), static_cast<const T *>(gamma), dim, eps, static_cast<T *>(y));
    });
    checkLaunch("rms_norm");
  });
}

extern "C" awq_status awq_cuda_layer_norm(const void *x, const void *gamma, const void *beta,
                                          int64_t rows, int64_t dim, float eps, int32_t dtype,
                                          void *y, void *stream) {
  return awq::rt::guard("awq_cuda_layer_norm", [&] {
    checkNormArgs(x, gamma, rows, dim, eps, dtype, y); // beta may be NULL
    const unsigned blocks = gridX(rows, "rows");
    dispatchFloatDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      layerNormKernel<T><<<blocks, normThreads(dim), 0, asStream(stream)>>>(
          static_cast<const T *>(x), static_cast<const T *>(gamma), static_cast<const T *>(beta),
          dim, eps, static_cast<T *>(y));
    });
    checkLaunch("layer_norm");
  });
}
