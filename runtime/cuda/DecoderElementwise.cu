// DecoderElementwise.cu - the residual add, LLaMA's SiLU(gate) * up, and the
// token embedding lookup.
#include "DecoderArgs.cuh"

#include <algorithm>

using namespace awq::cuda;

namespace {

// Not __restrict__: y may alias a or b, and each element is read before it is written.
template <class T> __global__ void addKernel(const T *a, const T *b, int64_t count, T *y) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += stride)
    y[i] = fromFloat<T>(toFloat(a[i]) + toFloat(b[i]));
}

template <class T> __global__ void siluMulKernel(const T *gate, const T *up, int64_t count, T *y) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += stride) {
    const float g = toFloat(gate[i]);
    // expf (not __expf): full f32 accuracy; -inf gates give -0, not NaN.
    y[i] = fromFloat<T>(g / (1.0f + expf(-g)) * toFloat(up[i]));
  }
}

// One block per token, threads along the row.
template <class T>
__global__ void embeddingKernel(const T *table, int64_t rows, int64_t dim, const int64_t *ids,
                                T *y) {
  const int64_t token = blockIdx.x;
  const int64_t id = ids[token];
  T *out = y + token * dim;
  if (id < 0 || id >= rows) {
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
      out[i] = fromFloat<T>(0.0f);
    return;
  }
  const T *in = table + id * dim;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    out[i] = in[i];
}

void checkBinaryArgs(const void *a, const char *aName, const void *b, const char *bName,
                     int64_t count, int32_t dtype, const void *y) {
  requireNonNull(a, aName);
  requireNonNull(b, bName);
  requireNonNull(y, "y");
  requirePositive(count, "count");
  requireHalfDtype(dtype);
}

} // namespace

extern "C" awq_status awq_cuda_add(const void *a, const void *b, int64_t count, int32_t dtype,
                                   void *y, void *stream) {
  return awq::rt::guard("awq_cuda_add", [&] {
    checkBinaryArgs(a, "a", b, "b", count, dtype, y);
    dispatchHalfDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      addKernel<T><<<elementwiseBlocks(count), kElementwiseThreads, 0, asStream(stream)>>>(
          static_cast<const T *>(a), static_cast<const T *>(b), count, static_cast<T *>(y));
    });
    checkLaunch("add");
  });
}

extern "C" awq_status awq_cuda_silu_mul(const void *gate, const void *up, int64_t count,
                                        int32_t dtype, void *y, void *stream) {
  return awq::rt::guard("awq_cuda_silu_mul", [&] {
    checkBinaryArgs(gate, "gate", up, "up", count, dtype, y);
    dispatchHalfDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      siluMulKernel<T><<<elementwiseBlocks(count), kElementwiseThreads, 0, asStream(stream)>>>(
          static_cast<const T *>(gate), static_cast<const T *>(up), count, static_cast<T *>(y));
    });
    checkLaunch("silu_mul");
  });
}

extern "C" awq_status awq_cuda_embedding(const void *table, int64_t rows, int64_t dim,
                                         const int64_t *ids, int64_t count, int32_t dtype, void *y,
                                         void *stream) {
  return awq::rt::guard("awq_cuda_embedding", [&] {
    requireNonNull(table, "table");
    requireNonNull(ids, "ids");
    requireNonNull(y, "y");
    requirePositive(rows, "rows");
    requirePositive(dim, "dim");
    requirePositive(count, "count");
    requireHalfDtype(dtype);
    const unsigned blocks = gridX(count, "tokens");
    const unsigned threads = static_cast<unsigned>(std::min<int64_t>(256, (dim + 31) / 32 * 32));
    dispatchHalfDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      embeddingKernel<T><<<blocks, threads, 0, asStream(stream)>>>(
          static_cast<const T *>(table), rows, dim, ids, static_cast<T *>(y));
    });
    checkLaunch("embedding");
  });
}
