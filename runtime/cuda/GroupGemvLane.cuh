// GroupGemvLane.cuh - what one lane of the GEMV computes (GroupGemv.cu):
// its share of the chunks of one output row, as f32 partial sums for every
// activation row. The kernel adds the 32 lanes with warp shuffles; the host
// tests run all 32 lanes of this same code on the CPU and add them there.
#ifndef AWQ_RUNTIME_CUDA_GROUPGEMVLANE_CUH
#define AWQ_RUNTIME_CUDA_GROUPGEMVLANE_CUH

#include "GroupMatmulKernels.cuh"

namespace awq::cuda {

// Chunks (of 32 inputs) a lane has loaded before it uses either, so more
// bytes are in flight per warp.
constexpr int kGemvChunksInFlight = 2;
constexpr int kWarpLanes = 32;

template <int BITS> struct ChunkCodes {
  static constexpr int kVectors = BITS / 4; // 128-bit loads per chunk of 32 inputs
  uint4 vectors[kVectors];
};

template <int BITS>
__host__ __device__ inline ChunkCodes<BITS> loadChunk(const GroupWeightsView &weights,
                                                      int64_t row, int64_t chunk) {
  ChunkCodes<BITS> codes;
  const auto *source = reinterpret_cast<const uint4 *>(
      weights.codes + row * (weights.kPadded * BITS / 8) + chunk * (32 * BITS / 8));
  AWQ_UNROLL
  for (int v = 0; v < ChunkCodes<BITS>::kVectors; ++v)
    codes.vectors[v] = loadStreamed(source + v);
  return codes;
}

struct GroupParams {
  float scale;
  __half2 bias; // 1024 + zero, for the magic-number subtraction
};

template <class T, int BITS>
__host__ __device__ inline GroupParams groupParams(const GroupWeightsView &weights, int64_t row,
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
__host__ __device__ inline void chunkDotProducts(const ChunkCodes<BITS> &codes, __half2 bias,
                                                 const T *x, int64_t k, int64_t chunk,
                                                 float partial[MR]) {
  constexpr int kInputsPerWord = 32 / BITS;
  const uint32_t *words = reinterpret_cast<const uint32_t *>(codes.vectors);
  AWQ_UNROLL
  for (int word = 0; word < BITS; ++word) { // 32 inputs / (32 / BITS) per word
    float weight[kInputsPerWord];
    if (BITS == 4)
      dequantizeWord4(words[word], bias, weight);
    else
      dequantizeWord8(words[word], bias, weight);
    const int64_t k0 = chunk * 32 + word * kInputsPerWord;
    AWQ_UNROLL
    for (int r = 0; r < MR; ++r) {
      float activation[kInputsPerWord];
      loadActivations<T, kInputsPerWord, VEC_X>(x + r * k, k0, k, activation);
      AWQ_UNROLL
      for (int j = 0; j < kInputsPerWord; ++j)
        partial[r] = fmaf(weight[j], activation[j], partial[r]);
    }
  }
}

// acc[r] (and accUp[r] with GATE_UP) += lane `lane`'s share of
// x[r, :] . W'[row, :]: chunks lane, lane + 32, ..., each scaled by its
// group's scale once.
template <class T, int BITS, int MR, bool GATE_UP, bool VEC_X>
__host__ __device__ inline void gemvLaneSums(const T *x, const GroupWeightsView &weights,
                                             const GroupWeightsView &up, int64_t row, int lane,
                                             float acc[MR], float accUp[MR]) {
  const int64_t chunks = weights.kPadded / 32;
  for (int64_t first = lane; first < chunks; first += kWarpLanes * kGemvChunksInFlight) {
    ChunkCodes<BITS> codes[kGemvChunksInFlight], codesUp[kGemvChunksInFlight];
    AWQ_UNROLL
    for (int c = 0; c < kGemvChunksInFlight; ++c) {
      const int64_t chunk = first + c * kWarpLanes;
      if (chunk < chunks) {
        codes[c] = loadChunk<BITS>(weights, row, chunk);
        if (GATE_UP)
          codesUp[c] = loadChunk<BITS>(up, row, chunk);
      }
    }
    AWQ_UNROLL
    for (int c = 0; c < kGemvChunksInFlight; ++c) {
      const int64_t chunk = first + c * kWarpLanes;
      if (chunk >= chunks)
        break;
      const GroupParams params = groupParams<T, BITS>(weights, row, chunk);
      float partial[MR] = {};
      chunkDotProducts<T, BITS, MR, VEC_X>(codes[c], params.bias, x, weights.k, chunk, partial);
      AWQ_UNROLL
      for (int r = 0; r < MR; ++r)
        acc[r] = fmaf(partial[r], params.scale, acc[r]);
      if (GATE_UP) {
        const GroupParams paramsUp = groupParams<T, BITS>(up, row, chunk);
        float partialUp[MR] = {};
        chunkDotProducts<T, BITS, MR, VEC_X>(codesUp[c], paramsUp.bias, x, weights.k, chunk,
                                             partialUp);
        AWQ_UNROLL
        for (int r = 0; r < MR; ++r)
          accUp[r] = fmaf(partialUp[r], paramsUp.scale, accUp[r]);
      }
    }
  }
}

// The epilogue of one output: SiLU(gate) * up, or + bias.
template <class T, bool GATE_UP>
__host__ __device__ inline float gemvOutput(float acc, float accUp, const T *bias, int64_t row) {
  if (GATE_UP)
    return acc / (1.0f + expf(-acc)) * accUp;
  return bias ? acc + toFloat(bias[row]) : acc;
}

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_GROUPGEMVLANE_CUH
