// GroupGemv.cu - the decode kernel: y = x . W'^T for 1-4 rows of x, reading
// the packed codes once at full width.
//
// One warp per output row n, four warps per block. Lanes walk the row in
// 32-input chunks (128-bit code loads) for M <= 2 and in 32-bit words
// (contiguous activation loads) for M = 3-4: GroupGemvLane.cuh says why,
// the H100 timings in runtime/cuda/README.md say where. Codes become
// (code - zero) in registers (GroupDequant.cuh) and meet the activations in
// f32, scaled once per chunk or word; a warp shuffle reduction finishes the
// row. The gate/up variant walks the gate row, then the up row, against the
// same activations and writes SiLU(gate) * up.
//
// AWQ_CUDA_GEMV_LANES=chunks|words in the environment forces one mapping
// for every M (read once; for benchmarks comparing the two).
#include "GroupGemvLane.cuh"

#include <cstdlib>
#include <cstring>

namespace awq::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;

// Largest M walked in chunks by default.
constexpr int64_t kChunkLanesMaxRows = 2;

enum class LaneMapping { ByRows, Chunks, Words, Invalid };

LaneMapping laneMappingFromEnvironment() {
  static const LaneMapping mapping = [] {
    const char *value = std::getenv("AWQ_CUDA_GEMV_LANES");
    if (!value || !*value)
      return LaneMapping::ByRows;
    if (std::strcmp(value, "chunks") == 0)
      return LaneMapping::Chunks;
    if (std::strcmp(value, "words") == 0)
      return LaneMapping::Words;
    return LaneMapping::Invalid;
  }();
  return mapping;
}

bool useWordLanes(int64_t m) {
  switch (laneMappingFromEnvironment()) {
  case LaneMapping::Chunks: return false;
  case LaneMapping::Words: return true;
  case LaneMapping::Invalid:
    awq::rt::raise("AWQ_CUDA_GEMV_LANES must be 'chunks' or 'words' (got '%s')",
                   std::getenv("AWQ_CUDA_GEMV_LANES"));
  default: return m > kChunkLanesMaxRows;
  }
}

template <class T, int BITS, int MR, bool GATE_UP, bool VEC_X, bool WORD_LANES>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    groupGemvKernel(const T *__restrict__ x, GroupWeightsView weights, GroupWeightsView up,
                    const T *__restrict__ bias, T *__restrict__ y) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= weights.n)
    return; // whole warps leave together: the shuffles below see full warps
  float acc[MR] = {};
  float accUp[MR] = {};
  gemvLaneSums<T, BITS, MR, GATE_UP, VEC_X, WORD_LANES>(x, weights, up, row, lane, acc, accUp);
#pragma unroll
  for (int r = 0; r < MR; ++r) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) {
      acc[r] += __shfl_xor_sync(0xffffffffu, acc[r], offset);
      if (GATE_UP)
        accUp[r] += __shfl_xor_sync(0xffffffffu, accUp[r], offset);
    }
  }
  if (lane != 0)
    return;
#pragma unroll
  for (int r = 0; r < MR; ++r)
    y[r * weights.n + row] = fromFloat<T>(gemvOutput<T, GATE_UP>(acc[r], accUp[r], bias, row));
}

template <class T, int BITS, int MR, bool GATE_UP>
void launchWithRows(const T *x, const GroupWeightsView &weights, const GroupWeightsView &up,
                    const T *bias, T *y, cudaStream_t stream) {
  const dim3 grid(ceilDiv(weights.n, kWarpsPerBlock));
  const dim3 block(kWarpsPerBlock * 32);
  // Vector activation loads need whole, 16-byte aligned vectors in every row.
  const bool vectorized = weights.k % 8 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  const bool wordLanes = useWordLanes(MR);
  if (vectorized && wordLanes)
    groupGemvKernel<T, BITS, MR, GATE_UP, true, true><<<grid, block, 0, stream>>>(x, weights, up,
                                                                                   bias, y);
  else if (vectorized)
    groupGemvKernel<T, BITS, MR, GATE_UP, true, false><<<grid, block, 0, stream>>>(x, weights, up,
                                                                                    bias, y);
  else if (wordLanes)
    groupGemvKernel<T, BITS, MR, GATE_UP, false, true><<<grid, block, 0, stream>>>(x, weights, up,
                                                                                    bias, y);
  else
    groupGemvKernel<T, BITS, MR, GATE_UP, false, false><<<grid, block, 0, stream>>>(x, weights, up,
                                                                                     bias, y);
  checkLaunch("group GEMV");
}

template <class T, int BITS, bool GATE_UP>
void launchWithBits(const T *x, int64_t m, const GroupWeightsView &weights,
                    const GroupWeightsView &up, const T *bias, T *y, cudaStream_t stream) {
  switch (m) {
  case 1: launchWithRows<T, BITS, 1, GATE_UP>(x, weights, up, bias, y, stream); break;
  case 2: launchWithRows<T, BITS, 2, GATE_UP>(x, weights, up, bias, y, stream); break;
  case 3: launchWithRows<T, BITS, 3, GATE_UP>(x, weights, up, bias, y, stream); break;
  case 4: launchWithRows<T, BITS, 4, GATE_UP>(x, weights, up, bias, y, stream); break;
  default: awq::rt::raise("the GEMV path takes 1 to 4 rows (M = %lld)", static_cast<long long>(m));
  }
}

} // namespace

template <class T>
void launchGroupGemv(const T *x, int64_t m, const GroupWeightsView &weights,
                     const GroupWeightsView *up, const T *bias, T *y, cudaStream_t stream) {
  if (weights.n == 0)
    return;
  const GroupWeightsView &upView = up ? *up : weights;
  if (weights.bits == 4) {
    if (up)
      launchWithBits<T, 4, true>(x, m, weights, upView, nullptr, y, stream);
    else
      launchWithBits<T, 4, false>(x, m, weights, upView, bias, y, stream);
  } else {
    if (up)
      launchWithBits<T, 8, true>(x, m, weights, upView, nullptr, y, stream);
    else
      launchWithBits<T, 8, false>(x, m, weights, upView, bias, y, stream);
  }
}

template void launchGroupGemv<__half>(const __half *, int64_t, const GroupWeightsView &,
                                      const GroupWeightsView *, const __half *, __half *,
                                      cudaStream_t);
template void launchGroupGemv<__nv_bfloat16>(const __nv_bfloat16 *, int64_t,
                                             const GroupWeightsView &, const GroupWeightsView *,
                                             const __nv_bfloat16 *, __nv_bfloat16 *,
                                             cudaStream_t);

} // namespace awq::cuda
