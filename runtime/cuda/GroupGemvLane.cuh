// GroupGemvLane.cuh - what one lane of the GEMV computes (GroupGemv.cu):
// its share of the code words of one output row, as f32 partial sums for
// every activation row. The kernel adds the 32 lanes with warp shuffles; the host
// tests run all 32 lanes of this same code on the CPU and add them there.
#ifndef AWQ_RUNTIME_CUDA_GROUPGEMVLANE_CUH
#define AWQ_RUNTIME_CUDA_GROUPGEMVLANE_CUH

#include "GroupMatmulKernels.cuh"

namespace awq::cuda {

// Two ways a warp can walk a row (both measured on an H100; the dispatch
// picks by M, see GroupGemv.cu):
//
// Chunks: lane l takes the 32-input chunks l, l + 32, ... of the row, one
//   128-bit load of codes each (two at 8 bits), so a warp streams 512
//   contiguous bytes of codes per step with few load instructions. Its
//   activation loads are 16-byte pieces 64 bytes apart across the warp
//   (16 cache lines per instruction), which the L1 absorbs at M = 1 but
//   which costs more with every extra row of x.
// Words: lane l takes the 32-bit words l, l + 32, ... (8 inputs at 4 bits,
//   4 at 8), so both the codes (128 bytes) and the activations (512 bytes
//   per row of x) a warp loads per instruction are contiguous, at four
//   times the load instructions for the codes and one group-parameter load
//   per word.
//
// Either way a lane loads a whole step's codes with their group scales and
// zero points before using any, to keep bytes in flight across DRAM's
// latency. (The first version loaded two chunks, then each chunk's group
// parameters only when using it: two dependent round trips per step.)
constexpr int kWarpLanes = 32;
constexpr int kGemvChunksInFlight = 4;
constexpr int kGemvWordsInFlight = 16;

// sum over one word's inputs of (code - zero) * x[r, k0 + j], for every row r.
template <class T, int BITS, int MR, bool VEC_X>
__host__ __device__ inline void wordDotProducts(uint32_t code, __half2 bias, const T *x, int64_t k,
                                                int64_t k0, float partial[MR]) {
  constexpr int kInputsPerWord = 32 / BITS;
  float weight[kInputsPerWord];
  if (BITS == 4)
    dequantizeWord4(code, bias, weight);
  else
    dequantizeWord8(code, bias, weight);
  AWQ_UNROLL
  for (int r = 0; r < MR; ++r) {
    float activation[kInputsPerWord];
    loadActivations<T, kInputsPerWord, VEC_X>(x + r * k, k0, k, activation);
    float sum = 0.0f;
    AWQ_UNROLL
    for (int j = 0; j < kInputsPerWord; ++j)
      sum = fmaf(weight[j], activation[j], sum);
    partial[r] = sum;
  }
}

// acc[r] += lane `lane`'s share of x[r, :] . W'[row, :], chunk by chunk:
// each chunk lies in one group, so its sum is scaled once.
template <class T, int BITS, int MR, bool VEC_X, int IN_FLIGHT>
__host__ __device__ inline void chunkLaneSums(const T *x, const GroupWeightsView &weights,
                                              int64_t row, int lane, float acc[MR]) {
  constexpr int kInputsPerWord = 32 / BITS;
  constexpr int kVectors = BITS / 4; // 128-bit loads per chunk of 32 inputs
  const int64_t chunks = weights.kPadded / kChunkInputs;
  for (int64_t first = lane; first < chunks; first += kWarpLanes * IN_FLIGHT) {
    uint4 codes[IN_FLIGHT][kVectors];
    GroupParams params[IN_FLIGHT];
    AWQ_UNROLL
    for (int c = 0; c < IN_FLIGHT; ++c) {
      const int64_t chunk = first + c * kWarpLanes;
      if (chunk < chunks) {
        AWQ_UNROLL
        for (int v = 0; v < kVectors; ++v)
          codes[c][v] = loadCodeVector<BITS>(weights, row,
                                             chunk * kChunkInputs + v * kInputsPerVector<BITS>);
        params[c] = groupParamsAt<T, BITS>(weights, row, chunk * kChunkInputs);
      }
    }
    AWQ_UNROLL
    for (int c = 0; c < IN_FLIGHT; ++c) {
      const int64_t chunk = first + c * kWarpLanes;
      if (chunk >= chunks)
        break;
      const uint32_t *words = reinterpret_cast<const uint32_t *>(codes[c]);
      float chunkSum[MR] = {};
      AWQ_UNROLL
      for (int word = 0; word < BITS; ++word) { // 32 inputs, 32 / BITS per word
        float partial[MR];
        wordDotProducts<T, BITS, MR, VEC_X>(words[word], params[c].bias, x, weights.k,
                                            chunk * kChunkInputs + word * kInputsPerWord,
                                            partial);
        AWQ_UNROLL
        for (int r = 0; r < MR; ++r)
          chunkSum[r] += partial[r];
      }
      AWQ_UNROLL
      for (int r = 0; r < MR; ++r)
        acc[r] = fmaf(chunkSum[r], params[c].scale, acc[r]);
    }
  }
}

// acc[r] += lane `lane`'s share of x[r, :] . W'[row, :], word by word.
template <class T, int BITS, int MR, bool VEC_X, int IN_FLIGHT>
__host__ __device__ inline void wordLaneSums(const T *x, const GroupWeightsView &weights,
                                             int64_t row, int lane, float acc[MR]) {
  constexpr int kInputsPerWord = 32 / BITS;
  const int64_t wordsPerRow = weights.kPadded / kInputsPerWord;
  for (int64_t first = lane; first < wordsPerRow; first += kWarpLanes * IN_FLIGHT) {
    uint32_t codes[IN_FLIGHT];
    GroupParams params[IN_FLIGHT];
    AWQ_UNROLL
    for (int u = 0; u < IN_FLIGHT; ++u) {
      const int64_t word = first + u * kWarpLanes;
      if (word < wordsPerRow) {
        codes[u] = loadCodeWord(weights, wordsPerRow, row, word);
        params[u] = groupParamsAt<T, BITS>(weights, row, word * kInputsPerWord);
      }
    }
    AWQ_UNROLL
    for (int u = 0; u < IN_FLIGHT; ++u) {
      const int64_t word = first + u * kWarpLanes;
      if (word >= wordsPerRow)
        break;
      float partial[MR];
      wordDotProducts<T, BITS, MR, VEC_X>(codes[u], params[u].bias, x, weights.k,
                                          word * kInputsPerWord, partial);
      AWQ_UNROLL
      for (int r = 0; r < MR; ++r)
        acc[r] = fmaf(partial[r], params[u].scale, acc[r]);
    }
  }
}

// acc[r] (and accUp[r] with GATE_UP) += lane `lane`'s share of
// x[r, :] . W'[row, :] (and of x[r, :] . Wu'[row, :]).
template <class T, int BITS, int MR, bool GATE_UP, bool VEC_X, bool WORD_LANES>
__host__ __device__ inline void gemvLaneSums(const T *x, const GroupWeightsView &weights,
                                             const GroupWeightsView &up, int64_t row, int lane,
                                             float acc[MR], float accUp[MR]) {
  if (WORD_LANES) {
    wordLaneSums<T, BITS, MR, VEC_X, kGemvWordsInFlight>(x, weights, row, lane, acc);
    if (GATE_UP)
      wordLaneSums<T, BITS, MR, VEC_X, kGemvWordsInFlight>(x, up, row, lane, accUp);
  } else {
    chunkLaneSums<T, BITS, MR, VEC_X, kGemvChunksInFlight>(x, weights, row, lane, acc);
    if (GATE_UP)
      chunkLaneSums<T, BITS, MR, VEC_X, kGemvChunksInFlight>(x, up, row, lane, accUp);
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
