// ReduceKernels.cu - ONNX ReduceSum/Mean/Max/Min/Prod on the device for a
// compiled model's reduction nodes (runtime/cuda/model/CudaNodes.cpp). The
// node's axes are split by the CPU runtime's reductionAxes, so which elements
// meet in one output is decided in one place; this file only adds them up.
#include "DecoderArgs.cuh"
#include "StridedShape.cuh"

#include <cmath>

using namespace awq::cuda;

namespace {

constexpr int kReduceThreads = 256;
constexpr int kWarpsPerBlock = kReduceThreads / 32;
// Reductions at least this long get a whole block per output; shorter ones
// a warp (8 outputs per block), so a row of a few elements does not idle
// 224 threads.
constexpr int64_t kBlockPerOutputFrom = 2048;

// Sums and products in f64 as the CPU runtime's awq_reduce; Max and Min
// compare as it does (v > acc), so a NaN never wins and the order of the
// walk does not matter.
__device__ inline double reduceIdentity(int32_t op) {
  switch (op) {
  case AWQ_REDUCE_PROD: return 1.0;
  case AWQ_REDUCE_MAX: return -INFINITY;
  case AWQ_REDUCE_MIN: return INFINITY;
  default: return 0.0;
  }
}

__device__ inline double combine(int32_t op, double acc, double v) {
  switch (op) {
  case AWQ_REDUCE_PROD: return acc * v;
  case AWQ_REDUCE_MAX: return v > acc ? v : acc;
  case AWQ_REDUCE_MIN: return v < acc ? v : acc;
  default: return acc + v;
  }
}

__device__ inline double warpCombine(int32_t op, double acc) {
  for (int offset = 16; offset > 0; offset /= 2)
    acc = combine(op, acc, __shfl_xor_sync(0xffffffffu, acc, offset));
  return acc;
}

// Lanes threads (a warp, or the whole block) reduce output `o`: thread t of
// them walks reduced elements t, t + Lanes, ...; the partial results meet in
// registers (warp shuffles), then for a block in shared memory.
template <class T, int Lanes>
__global__ void __launch_bounds__(kReduceThreads)
    reduceKernel(int32_t op, const T *__restrict__ x, StridedShape<1> kept,
                 StridedShape<1> reduced, int64_t outputs, int64_t count, T *__restrict__ y) {
  const int64_t o = Lanes == 32 ? static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32
                                : static_cast<int64_t>(blockIdx.x);
  const int lane = Lanes == 32 ? threadIdx.x % 32 : threadIdx.x;
  if (o >= outputs) // whole warps leave together: the shuffles below stay full
    return;
  int64_t base[1];
  stridedOffsets(kept, o, base);
  double acc = reduceIdentity(op);
  for (int64_t r = lane; r < count; r += Lanes) {
    int64_t offset[1];
    stridedOffsets(reduced, r, offset);
    acc = combine(op, acc, static_cast<double>(toFloat(x[base[0] + offset[0]])));
  }
  acc = warpCombine(op, acc);
  if constexpr (Lanes != 32) {
    __shared__ double partial[kWarpsPerBlock];
    if (lane % 32 == 0)
      partial[lane / 32] = acc;
    __syncthreads();
    if (lane >= 32)
      return;
    acc = warpCombine(op, lane < kWarpsPerBlock ? partial[lane] : reduceIdentity(op));
  }
  if (lane == 0) {
    if (op == AWQ_REDUCE_MEAN)
      acc = count > 0 ? acc / static_cast<double>(count) : 0.0;
    y[o] = fromFloat<T>(static_cast<float>(acc));
  }
}

bool isReduceOp(int32_t op) { return op >= AWQ_REDUCE_SUM && op <= AWQ_REDUCE_PROD; }

} // namespace

extern "C" awq_status awq_cuda_reduce(int32_t op, const void *x, const int64_t *kept_dims,
                                      const int64_t *kept_strides, int32_t kept_rank,
                                      const int64_t *reduced_dims, const int64_t *reduced_strides,
                                      int32_t reduced_rank, int32_t dtype, void *y,
                                      void *stream) {
  return awq::rt::guard("awq_cuda_reduce", [&] {
    if (!isReduceOp(op))
      awq::rt::raise("unknown reduce op %d", op);
    if (kept_rank > 0) {
      requireNonNull(kept_dims, "kept_dims");
      requireNonNull(kept_strides, "kept_strides");
    }
    if (reduced_rank > 0) {
      requireNonNull(reduced_dims, "reduced_dims");
      requireNonNull(reduced_strides, "reduced_strides");
    }
    int64_t outputs = 0, count = 0;
    const StridedShape<1> kept =
        mergeDims(makeStridedShape<1>(kept_dims, {kept_strides}, kept_rank, &outputs));
    const StridedShape<1> reduced =
        mergeDims(makeStridedShape<1>(reduced_dims, {reduced_strides}, reduced_rank, &count));
    requireFloatDtype(dtype);
    if (outputs == 0)
      return;
    if (count > 0)
      requireNonNull(x, "x");
    requireNonNull(y, "y");
    dispatchFloatDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      const T *input = static_cast<const T *>(x);
      T *output = static_cast<T *>(y);
      if (count >= kBlockPerOutputFrom)
        reduceKernel<T, kReduceThreads><<<gridX(outputs, "outputs"), kReduceThreads, 0,
                                          asStream(stream)>>>(op, input, kept, reduced, outputs,
                                                              count, output);
      else
        reduceKernel<T, 32><<<gridX((outputs + kWarpsPerBlock - 1) / kWarpsPerBlock, "outputs"),
                              kReduceThreads, 0, asStream(stream)>>>(op, input, kept, reduced,
                                                                     outputs, count, output);
    });
    checkLaunch("reduce");
  });
}
