// GraphKernels.cu - the generic kernels a compiled model's ONNX nodes run on
// the device: elementwise unary and broadcasting binary ops, the rotary
// embedding with the model's cos and sin, softmax over the last axis, float casts, the data movement of the view ops and Concat
// (a strided copy), Gather (a row gather) and Where (a broadcasting select),
// and the generators ConstantOfShape (a fill) and Trilu (a triangle mask);
// see runtime/cuda/model/CudaNodes.cpp.
#include "DecoderArgs.cuh"
#include "StridedShape.cuh"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace awq::cuda;

namespace {

constexpr int kThreads = kElementwiseThreads;
unsigned gridFor(int64_t count) { return elementwiseBlocks(count); }

#define AWQ_GRID_STRIDE_LOOP(i, count)                                                            \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (count);       \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// The same formulas as the CPU runtime's awq_unary (runtime/cpu/Elementwise.cpp),
// in f32 with CUDA's correctly rounded or 1-2 ulp libm.
__device__ float applyUnary(int32_t op, float x) {
  switch (op) {
  case AWQ_UNARY_NEG: return -x;
  case AWQ_UNARY_ABS: return fabsf(x);
  case AWQ_UNARY_SQRT: return sqrtf(x);
  case AWQ_UNARY_RECIPROCAL: return 1.0f / x;
  case AWQ_UNARY_EXP: return expf(x);
  case AWQ_UNARY_LOG: return logf(x);
  case AWQ_UNARY_ERF: return erff(x);
  case AWQ_UNARY_TANH: return tanhf(x);
  case AWQ_UNARY_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case AWQ_UNARY_SIN: return sinf(x);
  case AWQ_UNARY_COS: return cosf(x);
  case AWQ_UNARY_FLOOR: return floorf(x);
  case AWQ_UNARY_CEIL: return ceilf(x);
  case AWQ_UNARY_RELU: return x > 0.0f ? x : 0.0f;
  case AWQ_UNARY_SILU: return x / (1.0f + expf(-x));
  case AWQ_UNARY_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  case AWQ_UNARY_GELU_TANH: {
    const float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + tanhf(inner));
  }
  default: return x; // excluded by the host-side check
  }
}

__device__ float applyBinary(int32_t op, float a, float b) {
  switch (op) {
  case AWQ_BINARY_ADD: return a + b;
  case AWQ_BINARY_SUB: return a - b;
  case AWQ_BINARY_MUL: return a * b;
  case AWQ_BINARY_DIV: return a / b;
  case AWQ_BINARY_POW: return powf(a, b);
  // As the CPU runtime selects (not fminf/fmaxf, which drop a NaN in a).
  case AWQ_BINARY_MIN: return b < a ? b : a;
  case AWQ_BINARY_MAX: return a < b ? b : a;
  default: return a; // excluded by the host-side check
  }
}

template <class T>
__global__ void unaryKernel(int32_t op, const T *__restrict__ x, int64_t count, T *__restrict__ y) {
  AWQ_GRID_STRIDE_LOOP(i, count) { y[i] = fromFloat<T>(applyUnary(op, toFloat(x[i]))); }
}

// Not __restrict__: y may be a (an in-place bias add or Min/Max/Sum fold).
template <class T>
__global__ void binaryKernel(int32_t op, const T *a, const T *b, StridedShape<2> layout,
                             int64_t count, T *y) {
  AWQ_GRID_STRIDE_LOOP(i, count) {
    int64_t offsets[2];
    stridedOffsets(layout, i, offsets);
    const T left = a[offsets[0]], right = b[offsets[1]];
    // Min and Max select an input, bits and all (the CPU runtime's rule, as
    // applyBinary's): a NaN taken through the f32 round trip would come back
    // as the device's canonical NaN (0x7FFF in f16), not the input's bits.
    if (op == AWQ_BINARY_MIN)
      y[i] = toFloat(right) < toFloat(left) ? right : left;
    else if (op == AWQ_BINARY_MAX)
      y[i] = toFloat(left) < toFloat(right) ? right : left;
    else
      y[i] = fromFloat<T>(applyBinary(op, toFloat(left), toFloat(right)));
  }
}

// y = x * cos + rotate(x) * sin over contiguous x [..., headDim]; cos and
// sin read through the broadcast strides in `angles`. Each product and the
// sum round to T with __fmul_rn / __fadd_rn (no FMA contraction), as the
// CPU runtime's awq_rotary_embedding and the ONNX Mul, Mul, Add it replaces.
template <class T>
__global__ void rotaryEmbeddingKernel(const T *__restrict__ x, const T *__restrict__ cos,
                                      const T *__restrict__ sin, StridedShape<1> angles,
                                      int64_t headDim, bool interleaved, int64_t count,
                                      T *__restrict__ y) {
  AWQ_GRID_STRIDE_LOOP(i, count) {
    int64_t angle[1];
    stridedOffsets(angles, i, angle);
    const int64_t channel = i % headDim, half = headDim / 2;
    // Half-split pairs channel c with c + D/2, interleaved 2i with 2i + 1;
    // the first of each pair takes its partner negated.
    const bool first = interleaved ? (channel & 1) == 0 : channel < half;
    const int64_t partner = interleaved ? (first ? i + 1 : i - 1) : (first ? i + half : i - half);
    const float partnerValue = first ? -toFloat(x[partner]) : toFloat(x[partner]);
    const float direct = toFloat(fromFloat<T>(__fmul_rn(toFloat(x[i]), toFloat(cos[angle[0]]))));
    const float turned = toFloat(fromFloat<T>(__fmul_rn(partnerValue, toFloat(sin[angle[0]]))));
    y[i] = fromFloat<T>(__fadd_rn(direct, turned));
  }
}

// y[i] = cond[.] ? a[.] : b[.] (strides[0..2]: cond's, a's, b's).
template <class Word>
__global__ void whereKernel(const uint8_t *__restrict__ cond, const Word *__restrict__ a,
                            const Word *__restrict__ b, StridedShape<3> layout, int64_t count,
                            Word *__restrict__ y) {
  AWQ_GRID_STRIDE_LOOP(i, count) {
    int64_t offsets[3];
    stridedOffsets(layout, i, offsets);
    y[i] = cond[offsets[0]] ? a[offsets[1]] : b[offsets[2]];
  }
}

// y[o, r, :] = x[o, rows[r], :] over x [outer, extent, inner], y [outer, count, inner].
template <class Word>
__global__ void gatherRowsKernel(const Word *__restrict__ x, int64_t extent, int64_t inner,
                                 const int64_t *__restrict__ rows, int64_t count, int64_t total,
                                 Word *__restrict__ y) {
  AWQ_GRID_STRIDE_LOOP(i, total) {
    const int64_t column = i % inner, slice = i / inner;
    const int64_t o = slice / count, r = slice % count;
    y[i] = x[(o * extent + rows[r]) * inner + column];
  }
}

// strides[0]: the source's, strides[1]: the destination's.
template <class Word>
__global__ void stridedCopyKernel(const Word *__restrict__ x, StridedShape<2> layout,
                                  int64_t count, Word *__restrict__ y) {
  AWQ_GRID_STRIDE_LOOP(i, count) {
    int64_t offsets[2];
    stridedOffsets(layout, i, offsets);
    y[offsets[1]] = x[offsets[0]];
  }
}

template <class Word>
__global__ void fillKernel(Word value, int64_t count, Word *__restrict__ y) {
  AWQ_GRID_STRIDE_LOOP(i, count) { y[i] = value; }
}

// Element (row, column) of each [rows, columns] matrix kept when column - row
// >= k (upper) or <= k (lower), as the CPU runtime's awq_trilu keeps it.
template <class Word>
__global__ void triluKernel(const Word *__restrict__ x, int64_t rows, int64_t columns, int64_t k,
                            bool upper, int64_t count, Word *__restrict__ y) {
  AWQ_GRID_STRIDE_LOOP(i, count) {
    const int64_t column = i % columns, row = (i / columns) % rows;
    const int64_t diagonal = column - row;
    y[i] = (upper ? diagonal >= k : diagonal <= k) ? x[i] : Word{0};
  }
}

template <class From, class To>
__global__ void castKernel(const From *__restrict__ x, int64_t count, To *__restrict__ y) {
  AWQ_GRID_STRIDE_LOOP(i, count) { y[i] = fromFloat<To>(toFloat(x[i])); }
}

// One block per row: max, then sum of exp(x - max), then the quotients; f32
// throughout (the three passes re-read the row from L1/L2, not DRAM).
template <class T>
__global__ void softmaxKernel(const T *__restrict__ x, int64_t dim, T *__restrict__ y) {
  __shared__ float scratch[32];
  const T *in = x + static_cast<int64_t>(blockIdx.x) * dim;
  T *out = y + static_cast<int64_t>(blockIdx.x) * dim;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;

  float maximum = -INFINITY;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    maximum = fmaxf(maximum, toFloat(in[i]));
  for (int offset = 16; offset > 0; offset /= 2)
    maximum = fmaxf(maximum, __shfl_xor_sync(0xffffffffu, maximum, offset));
  if (lane == 0)
    scratch[warp] = maximum;
  __syncthreads();
  maximum = lane < warps ? scratch[lane] : -INFINITY;
  for (int offset = 16; offset > 0; offset /= 2)
    maximum = fmaxf(maximum, __shfl_xor_sync(0xffffffffu, maximum, offset));
  __syncthreads();
  // A row of -inf (fully masked) gives NaN, as onnxruntime and the CPU runtime do.
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    sum += expf(toFloat(in[i]) - maximum);
  for (int offset = 16; offset > 0; offset /= 2)
    sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  if (lane == 0)
    scratch[warp] = sum;
  __syncthreads();
  sum = lane < warps ? scratch[lane] : 0.0f;
  for (int offset = 16; offset > 0; offset /= 2)
    sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  const float inverse = 1.0f / sum;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    out[i] = fromFloat<T>(expf(toFloat(in[i]) - maximum) * inverse);
}

bool isDeviceUnary(int32_t op) { return op >= AWQ_UNARY_NEG && op <= AWQ_UNARY_GELU_TANH; }
bool isDeviceBinary(int32_t op) { return op >= AWQ_BINARY_ADD && op <= AWQ_BINARY_MAX; }

void requireElementBytes(int32_t elementBytes) {
  if (elementBytes != 1 && elementBytes != 2 && elementBytes != 4 && elementBytes != 8)
    awq::rt::raise("element_bytes must be 1, 2, 4 or 8 (%d given)", elementBytes);
}

// Calls launch(Word{}) with the unsigned integer type of `elementBytes` bytes
// (the data-movement kernels copy whole elements, whatever their dtype).
template <class Launch> void dispatchElementWord(int32_t elementBytes, Launch &&launch) {
  requireElementBytes(elementBytes);
  switch (elementBytes) {
  case 1: return launch(uint8_t{});
  case 2: return launch(uint16_t{});
  case 4: return launch(uint32_t{});
  default: return launch(uint64_t{});
  }
}

void requireCount(int64_t count) {
  if (count < 0)
    awq::rt::raise("count must be >= 0 (%lld given)", static_cast<long long>(count));
}

// Whether an entry over `count` elements (or rows) has work: none for 0,
// when its pointers may be null; otherwise x and y must be set.
bool hasWork(int64_t count, const void *x, const void *y) {
  if (count == 0)
    return false;
  requireNonNull(x, "x");
  requireNonNull(y, "y");
  return true;
}

} // namespace

extern "C" int awq_cuda_unary_supported(int32_t op) { return isDeviceUnary(op) ? 1 : 0; }
extern "C" int awq_cuda_binary_supported(int32_t op) { return isDeviceBinary(op) ? 1 : 0; }

extern "C" awq_status awq_cuda_unary(int32_t op, const void *x, int64_t count, int32_t dtype,
                                     void *y, void *stream) {
  return awq::rt::guard("awq_cuda_unary", [&] {
    if (!isDeviceUnary(op))
      awq::rt::raise("unary op %d has no CUDA kernel", op);
    requireCount(count);
    requireFloatDtype(dtype);
    if (!hasWork(count, x, y))
      return;
    dispatchFloatDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      unaryKernel<T><<<gridFor(count), kThreads, 0, asStream(stream)>>>(
          op, static_cast<const T *>(x), count, static_cast<T *>(y));
    });
    checkLaunch("unary");
  });
}

extern "C" awq_status awq_cuda_binary(int32_t op, const void *a, const int64_t *a_strides,
                                      const void *b, const int64_t *b_strides,
                                      const int64_t *shape, int32_t rank, int32_t dtype, void *y,
                                      void *stream) {
  return awq::rt::guard("awq_cuda_binary", [&] {
    if (!isDeviceBinary(op))
      awq::rt::raise("binary op %d has no CUDA kernel", op);
    int64_t count = 0;
    const StridedShape<2> layout = makeStridedShape<2>(shape, {a_strides, b_strides}, rank, &count);
    requireFloatDtype(dtype);
    if (count == 0)
      return;
    requireNonNull(a, "a");
    requireNonNull(b, "b");
    requireNonNull(y, "y");
    dispatchFloatDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      binaryKernel<T><<<gridFor(count), kThreads, 0, asStream(stream)>>>(
          op, static_cast<const T *>(a), static_cast<const T *>(b), layout, count,
          static_cast<T *>(y));
    });
    checkLaunch("binary");
  });
}

extern "C" awq_status awq_cuda_rotary_embedding(const void *x, const void *cos, const void *sin,
                                                const int64_t *angle_strides,
                                                const int64_t *shape, int32_t rank,
                                                int32_t layout, int32_t dtype, void *y,
                                                void *stream) {
  return awq::rt::guard("awq_cuda_rotary_embedding", [&] {
    if (rank < 1)
      awq::rt::raise("rank must be >= 1 (the head dim last), got %d", rank);
    requireNonNull(shape, "shape");
    requireNonNull(angle_strides, "angle_strides");
    if (layout != AWQ_ROPE_INTERLEAVED && layout != AWQ_ROPE_HALF_SPLIT)
      awq::rt::raise("layout must be AWQ_ROPE_INTERLEAVED or AWQ_ROPE_HALF_SPLIT (%d given)",
                     layout);
    const int64_t headDim = shape[rank - 1];
    if (headDim <= 0 || headDim % 2 != 0)
      awq::rt::raise("the head dim (last dim) must be positive and even, got %lld",
                     static_cast<long long>(headDim));
    int64_t count = 0;
    const StridedShape<1> angles =
        mergeDims(makeStridedShape<1>(shape, {angle_strides}, rank, &count));
    requireFloatDtype(dtype);
    if (count == 0)
      return;
    requireNonNull(x, "x");
    requireNonNull(cos, "cos");
    requireNonNull(sin, "sin");
    requireNonNull(y, "y");
    if (x == y)
      awq::rt::raise("y must not alias x (a channel reads its partner)");
    dispatchFloatDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      rotaryEmbeddingKernel<T><<<gridFor(count), kThreads, 0, asStream(stream)>>>(
          static_cast<const T *>(x), static_cast<const T *>(cos), static_cast<const T *>(sin),
          angles, headDim, layout == AWQ_ROPE_INTERLEAVED, count, static_cast<T *>(y));
    });
    checkLaunch("rotary_embedding");
  });
}

extern "C" awq_status awq_cuda_where(const uint8_t *cond, const int64_t *cond_strides,
                                     const void *a, const int64_t *a_strides, const void *b,
                                     const int64_t *b_strides, const int64_t *shape, int32_t rank,
                                     int32_t element_bytes, void *y, void *stream) {
  return awq::rt::guard("awq_cuda_where", [&] {
    requireElementBytes(element_bytes);
    if (rank > 0) {
      requireNonNull(shape, "shape");
      requireNonNull(cond_strides, "cond_strides");
      requireNonNull(a_strides, "a_strides");
      requireNonNull(b_strides, "b_strides");
    }
    int64_t count = 0;
    const StridedShape<3> layout =
        mergeDims(makeStridedShape<3>(shape, {cond_strides, a_strides, b_strides}, rank, &count));
    if (count == 0)
      return;
    requireNonNull(cond, "cond");
    requireNonNull(a, "a");
    requireNonNull(b, "b");
    requireNonNull(y, "y");
    dispatchElementWord(element_bytes, [&](auto tag) {
      using Word = decltype(tag);
      whereKernel<Word><<<gridFor(count), kThreads, 0, asStream(stream)>>>(
          cond, static_cast<const Word *>(a), static_cast<const Word *>(b), layout, count,
          static_cast<Word *>(y));
    });
    checkLaunch("where");
  });
}

extern "C" awq_status awq_cuda_gather_rows(const void *x, int64_t outer, int64_t extent,
                                           int64_t inner, const int64_t *rows, int64_t count,
                                           int32_t element_bytes, void *y, void *stream) {
  return awq::rt::guard("awq_cuda_gather_rows", [&] {
    requireElementBytes(element_bytes);
    if (outer < 0 || extent < 0 || inner < 0 || count < 0)
      awq::rt::raise("outer, extent, inner and count must be >= 0");
    const int64_t total = outer * count * inner;
    if (total == 0)
      return;
    if (extent == 0)
      awq::rt::raise("cannot gather %lld rows from an empty axis", static_cast<long long>(count));
    requireNonNull(x, "x");
    requireNonNull(rows, "rows");
    requireNonNull(y, "y");
    dispatchElementWord(element_bytes, [&](auto tag) {
      using Word = decltype(tag);
      gatherRowsKernel<Word><<<gridFor(total), kThreads, 0, asStream(stream)>>>(
          static_cast<const Word *>(x), extent, inner, rows, count, total,
          static_cast<Word *>(y));
    });
    checkLaunch("gather_rows");
  });
}

extern "C" awq_status awq_cuda_fill(void *y, int64_t count, int32_t element_bytes,
                                    const void *value, void *stream) {
  return awq::rt::guard("awq_cuda_fill", [&] {
    requireElementBytes(element_bytes);
    requireCount(count);
    if (count == 0)
      return;
    requireNonNull(value, "value");
    requireNonNull(y, "y");
    dispatchElementWord(element_bytes, [&](auto tag) {
      using Word = decltype(tag);
      Word word;
      std::memcpy(&word, value, sizeof word); // by value into the launch
      fillKernel<Word><<<gridFor(count), kThreads, 0, asStream(stream)>>>(
          word, count, static_cast<Word *>(y));
    });
    checkLaunch("fill");
  });
}

extern "C" awq_status awq_cuda_trilu(const void *x, int64_t matrices, int64_t rows,
                                     int64_t columns, int64_t k, int32_t upper,
                                     int32_t element_bytes, void *y, void *stream) {
  return awq::rt::guard("awq_cuda_trilu", [&] {
    requireElementBytes(element_bytes);
    if (matrices < 0 || rows < 0 || columns < 0)
      awq::rt::raise("matrices, rows and columns must be >= 0 (%lld, %lld, %lld given)",
                     static_cast<long long>(matrices), static_cast<long long>(rows),
                     static_cast<long long>(columns));
    const int64_t count = matrices * rows * columns;
    if (!hasWork(count, x, y))
      return;
    dispatchElementWord(element_bytes, [&](auto tag) {
      using Word = decltype(tag);
      triluKernel<Word><<<gridFor(count), kThreads, 0, asStream(stream)>>>(
          static_cast<const Word *>(x), rows, columns, k, upper != 0, count,
          static_cast<Word *>(y));
    });
    checkLaunch("trilu");
  });
}

extern "C" awq_status awq_cuda_strided_copy(const void *x, const int64_t *x_strides, void *y,
                                            const int64_t *y_strides, const int64_t *shape,
                                            int32_t rank, int32_t element_bytes, void *stream) {
  return awq::rt::guard("awq_cuda_strided_copy", [&] {
    requireElementBytes(element_bytes);
    if (rank > 0) {
      requireNonNull(shape, "shape");
      requireNonNull(x_strides, "x_strides");
      requireNonNull(y_strides, "y_strides");
    }
    int64_t count = 0;
    const StridedShape<2> layout = mergeDims(makeStridedShape<2>(
        shape, {x_strides, y_strides}, rank, &count, Strides::FirstMayBeNegative));
    if (!hasWork(count, x, y))
      return;
    dispatchElementWord(element_bytes, [&](auto tag) {
      using Word = decltype(tag);
      stridedCopyKernel<Word><<<gridFor(count), kThreads, 0, asStream(stream)>>>(
          static_cast<const Word *>(x), layout, count, static_cast<Word *>(y));
    });
    checkLaunch("strided_copy");
  });
}

extern "C" awq_status awq_cuda_cast(const void *x, int32_t from_dtype, int64_t count,
                                    int32_t to_dtype, void *y, void *stream) {
  return awq::rt::guard("awq_cuda_cast", [&] {
    requireCount(count);
    requireFloatDtype(from_dtype);
    requireFloatDtype(to_dtype);
    if (!hasWork(count, x, y))
      return;
    dispatchFloatDtype(from_dtype, "from_dtype", [&](auto fromTag) {
      dispatchFloatDtype(to_dtype, "to_dtype", [&](auto toTag) {
        using From = decltype(fromTag);
        using To = decltype(toTag);
        castKernel<From, To><<<gridFor(count), kThreads, 0, asStream(stream)>>>(
            static_cast<const From *>(x), count, static_cast<To *>(y));
      });
    });
    checkLaunch("cast");
  });
}

extern "C" awq_status awq_cuda_softmax(const void *x, int64_t rows, int64_t dim, int32_t dtype,
                                       void *y, void *stream) {
  return awq::rt::guard("awq_cuda_softmax", [&] {
    requireCount(rows);
    requirePositive(dim, "dim");
    requireFloatDtype(dtype);
    if (!hasWork(rows, x, y))
      return;
    const int64_t warps = std::min<int64_t>(32, std::max<int64_t>(1, (dim + 127) / 128));
    dispatchFloatDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      softmaxKernel<T><<<gridX(rows, "rows"), static_cast<unsigned>(warps * 32), 0,
                         asStream(stream)>>>(static_cast<const T *>(x), dim,
                                             static_cast<T *>(y));
    });
    checkLaunch("softmax");
  });
}
