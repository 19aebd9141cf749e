// GroupGemv.cu - the decode kernel: y = x . W'^T for 1-4 rows of x, reading
// the packed codes once at full width.
//
// One warp per output row n: each lane takes chunks of 32 inputs (a 128-bit
// load at 4 bits, two at 8), so a warp streams 512 (1024) contiguous bytes
// per step; two chunks are loaded before either is used to keep more bytes
// in flight. Codes become (code - zero) in registers (GroupDequant.cuh) and
// meet the activations in f32; each chunk lies inside one group, so its
// partial sum is scaled once. A warp shuffle reduction finishes the row.
// The gate/up variant reads two weight rows against the same activations
// and writes SiLU(gate) * up.
#include "GroupMatmulKernels.cuh"

namespace awq::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int kChunksInFlight = 2;

template <class T, int BITS> struct ChunkCodes {
  static constexpr int kVectors = BITS / 4; // 128-bit loads per chunk of 32 inputs
  uint4 vectors[kVectors];
};

template <class T, int BITS>
__device__ inline ChunkCodes<T, BITS> loadChunk(const GroupWeightsView &weights, int64_t row,
                                                int64_t chunk) {
  ChunkCodes<T, BITS> codes;
  const auto *source = reinterpret_cast<const uint4 *>(
      weights.codes + row * (weights.kPadded * BITS / 8) + chunk * (32 * BITS / 8));
#pragma unroll
  for (int v = 0; v < ChunkCodes<T, BITS>::kVectors; ++v)
    codes.vectors[v] = __ldcs(source + v); // streamed once: evict first
  return codes;
}

struct GroupParams {
  float scale;
  __half2 bias; // 1024 + zero, for the magic-number subtraction
};

template <class T, int BITS>
__device__ inline GroupParams groupParams(const GroupWeightsView &weights, int64_t row,
                                          int64_t chunk) {
  const int64_t group = chunk * 32 / weights.groupSize;
  const int64_t index = row * weights.groups + group;
  GroupParams params;
  params.scale = toFloat(static_cast<const T *>(weights.scales)[index]);
  params.bias = zeroBias(weights.zeros ? weights.zeros[index] : 1 << (BITS - 1));
  return params;
}

// partial[r] += sum over the chunk's inputs of (code - zero) * x[r, k].
template <class T, int BITS, int MR, bool VEC_X>
__device__ inline void chunkDotProducts(const ChunkCodes<T, BITS> &codes, __half2 bias,
                                        const T *x, int64_t k, int64_t chunk,
                                        float partial[MR]) {
  constexpr int kInputsPerWord = 32 / BITS;
  const auto *words = reinterpret_cast<const uint32_t *>(codes.vectors);
#pragma unroll
  for (int word = 0; word < BITS; ++word) { // 32 inputs / (32 / BITS) per word
    float weight[kInputsPerWord];
    if (BITS == 4)
      dequantizeWord4(words[word], bias, weight);
    else
      dequantizeWord8(words[word], bias, weight);
    const int64_t k0 = chunk * 32 + word * kInputsPerWord;
#pragma unroll
    for (int r = 0; r < MR; ++r) {
      float activation[kInputsPerWord];
      loadActivations<T, kInputsPerWord, VEC_X>(x + r * k, k0, k, activation);
#pragma unroll
      for (int j = 0; j < kInputsPerWord; ++j)
        partial[r] = fmaf(weight[j], activation[j], partial[r]);
    }
  }
}

template <class T, int BITS, int MR, bool GATE_UP, bool VEC_X>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    groupGemvKernel(const T *__restrict__ x, GroupWeightsView weights, GroupWeightsView up,
                    const T *__restrict__ bias, T *__restrict__ y) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= weights.n)
    return; // whole warps leave together: the shuffles below see full warps
  const int64_t chunks = weights.kPadded / 32;
  float acc[MR] = {};
  float accUp[MR] = {};
  for (int64_t first = lane; first < chunks; first += 32 * kChunksInFlight) {
    ChunkCodes<T, BITS> codes[kChunksInFlight], codesUp[kChunksInFlight];
#pragma unroll
    for (int c = 0; c < kChunksInFlight; ++c) {
      const int64_t chunk = first + c * 32;
      if (chunk < chunks) {
        codes[c] = loadChunk<T, BITS>(weights, row, chunk);
        if (GATE_UP)
          codesUp[c] = loadChunk<T, BITS>(up, row, chunk);
      }
    }
#pragma unroll
    for (int c = 0; c < kChunksInFlight; ++c) {
      const int64_t chunk = first + c * 32;
      if (chunk >= chunks)
        break;
      const GroupParams params = groupParams<T, BITS>(weights, row, chunk);
      float partial[MR] = {};
      chunkDotProducts<T, BITS, MR, VEC_X>(codes[c], params.bias, x, weights.k, chunk, partial);
#pragma unroll
      for (int r = 0; r < MR; ++r)
        acc[r] = fmaf(partial[r], params.scale, acc[r]);
      if (GATE_UP) {
        const GroupParams paramsUp = groupParams<T, BITS>(up, row, chunk);
        float partialUp[MR] = {};
        chunkDotProducts<T, BITS, MR, VEC_X>(codesUp[c], paramsUp.bias, x, weights.k, chunk,
                                             partialUp);
#pragma unroll
        for (int r = 0; r < MR; ++r)
          accUp[r] = fmaf(partialUp[r], paramsUp.scale, accUp[r]);
      }
    }
  }
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
  for (int r = 0; r < MR; ++r) {
    float value = acc[r];
    if (GATE_UP)
      value = value / (1.0f + __expf(-value)) * accUp[r];
    else if (bias)
      value += toFloat(bias[row]);
    y[r * weights.n + row] = fromFloat<T>(value);
  }
}

template <class T, int BITS, int MR, bool GATE_UP>
void launchWithRows(const T *x, const GroupWeightsView &weights, const GroupWeightsView &up,
                    const T *bias, T *y, cudaStream_t stream) {
  const dim3 grid(ceilDiv(weights.n, kWarpsPerBlock));
  const dim3 block(kWarpsPerBlock * 32);
  // Vector activation loads need whole, 16-byte aligned vectors in every row.
  const bool vectorized = weights.k % 8 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  if (vectorized)
    groupGemvKernel<T, BITS, MR, GATE_UP, true><<<grid, block, 0, stream>>>(x, weights, up, bias, y);
  else
    groupGemvKernel<T, BITS, MR, GATE_UP, false><<<grid, block, 0, stream>>>(x, weights, up, bias, y);
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
