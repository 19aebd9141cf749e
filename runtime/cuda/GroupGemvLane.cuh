// GroupGemvLane.cuh - what one lane of the GEMV computes (GroupGemv.cu):
// its share of the code words of one output row, as f32 partial sums for
// every activation row. The kernel adds the 32 lanes with warp shuffles; the host
// tests run all 32 lanes of this same code on the CPU and add them there.
#ifndef AWQ_RUNTIME_CUDA_GROUPGEMVLANE_CUH
#define AWQ_RUNTIME_CUDA_GROUPGEMVLANE_CUH

#include "GroupMatmulKernels.cuh"

#include <type_traits>

namespace awq::cuda {

// Three ways a warp can walk a row (all measured on an H100; the dispatch
// picks by M and bits, see GroupGemv.cu):
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
// Chunk pairs (the 4-bit default): the chunk walk over two weight rows at
//   once (two output rows, or gate and up), each word of x loaded once for
//   both. At M = 1 Nsight Compute put the chunk walk at 91% of the L1 (x's
//   loads: 4 bytes of x per byte of 4-bit codes) and 41% of DRAM; pairs
//   halve those loads per code byte: L1 56%, and 8192x28672 at M = 1 in
//   64.9 us against 70.8.
//
// Either way a lane loads a whole step's codes with their group scales and
// zero points before using any, to keep bytes in flight across DRAM's
// latency. (The first version loaded two chunks, then each chunk's group
// parameters only when using it: two dependent round trips per step.)
constexpr int kWarpLanes = 32;
constexpr int kGemvChunksInFlight = 4;
constexpr int kGemvWordsInFlight = 16;

// x's elements of type X as the kernel computes with them: x in the weights'
// dtype T as it is; f32 x (an f32 graph) rounded to T first, exactly as
// casting x to T before the launch would, so both give the same sums.
template <class T, class X> __host__ __device__ inline T activationAsT(X value) {
  if constexpr (std::is_same<X, T>::value)
    return value;
  else
    return fromFloat<T>(value);
}

// COUNT elements at `source` in 16-byte loads (one 8-byte load for 8 bytes
// in all); `source` aligned to the load.
template <class X, int COUNT>
__host__ __device__ inline void loadVector(const X *source, X (&values)[COUNT]) {
  constexpr int kBytes = COUNT * static_cast<int>(sizeof(X));
  if constexpr (kBytes % 16 == 0) {
    AWQ_UNROLL
    for (int v = 0; v < kBytes / 16; ++v)
      reinterpret_cast<uint4 *>(values)[v] = reinterpret_cast<const uint4 *>(source)[v];
  } else {
    static_assert(kBytes == 8, "whole 16-byte vectors, or one of 8 bytes");
    *reinterpret_cast<uint2 *>(values) = *reinterpret_cast<const uint2 *>(source);
  }
}

// Loads COUNT (8 or 4) activations x[k0 .. k0 + COUNT) of one row (of T, or
// of f32 rounded to T) as f32; inputs at or past k read as 0. VECTORIZED
// needs k % 8 == 0 and a 16-byte aligned row, so a whole vector is either
// inside the row or past its end.
template <class T, int COUNT, bool VECTORIZED, class X>
__host__ __device__ inline void loadActivations(const X *row, int64_t k0, int64_t k,
                                                float out[COUNT]) {
  static_assert(COUNT == 8 || COUNT == 4, "8 or 4 activations per load");
  if (VECTORIZED) {
    if (k0 >= k) {
      AWQ_UNROLL
      for (int j = 0; j < COUNT; ++j)
        out[j] = 0.0f;
      return;
    }
    X values[COUNT];
    loadVector(row + k0, values);
    AWQ_UNROLL
    for (int j = 0; j < COUNT; ++j)
      out[j] = toFloat(activationAsT<T>(values[j]));
  } else {
    AWQ_UNROLL
    for (int j = 0; j < COUNT; ++j)
      out[j] = k0 + j < k ? toFloat(activationAsT<T>(row[k0 + j])) : 0.0f;
  }
}

// Where a lane's activations come from: x in global memory (read through
// the L1; X is T, or f32 rounded to T), or x staged once per block in shared
// memory (GroupGemv.cu). Both give x[r, k0 .. k0 + COUNT) as f32, 0 past k.
template <class T, class X, bool VEC_X> struct GlobalActivations {
  const X *x;
  int64_t k;
  template <int COUNT>
  __host__ __device__ void load(int r, int64_t k0, float out[COUNT]) const {
    loadActivations<T, COUNT, VEC_X>(x + r * k, k0, k, out);
  }
};

// x staged as 16-byte pieces of 8 inputs. A chunk-walking warp reads piece w
// of 32 consecutive chunks at once; stored plainly those pieces are 64 bytes
// apart and pile onto the same banks (a 16-way conflict), so piece w of chunk
// c sits at slot (w + c / 2) mod 4 of the chunk's four: any 8 consecutive
// chunks then cover all 32 banks and a warp's read takes the minimum 4
// shared-memory wavefronts.
__host__ __device__ inline int64_t stagedPieceIndex(int64_t piece) {
  const int64_t chunk = piece >> 2;
  return (chunk << 2) + (((piece & 3) + (chunk >> 1)) & 3);
}

// Piece `piece` (inputs 8 piece .. 8 piece + 7) of row r of x, in T (f32 x
// rounded to it), 0 past k.
template <class T, class X, bool VEC_X>
__host__ __device__ inline uint4 activationPiece(const X *x, int64_t k, int r, int64_t piece) {
  const int64_t k0 = piece * 8;
  const X *row = x + r * k;
  T values[8];
  if (VEC_X && k0 < k) {
    X wide[8];
    loadVector(row + k0, wide);
    for (int j = 0; j < 8; ++j)
      values[j] = activationAsT<T>(wide[j]);
  } else {
    for (int j = 0; j < 8; ++j)
      values[j] = k0 + j < k ? activationAsT<T>(row[k0 + j]) : fromFloat<T>(0.0f);
  }
  uint4 vector;
  memcpy(&vector, values, sizeof vector);
  return vector;
}

template <class T> struct StagedActivations {
  const uint4 *pieces; // [rows][piecesPerRow], swizzled by stagedPieceIndex
  int64_t piecesPerRow;
  template <int COUNT>
  __host__ __device__ void load(int r, int64_t k0, float out[COUNT]) const {
    static_assert(COUNT == 8, "staged activations serve 4-bit words (8 inputs)");
    const uint4 vector = pieces[r * piecesPerRow + stagedPieceIndex(k0 / 8)];
    T values[8];
    memcpy(values, &vector, sizeof vector);
    AWQ_UNROLL
    for (int j = 0; j < 8; ++j)
      out[j] = toFloat(values[j]);
  }
};

// sum over one word's inputs of (code - zero) * x[r, k0 + j], for every row r.
template <class T, int BITS, int MR, class Activations>
__host__ __device__ inline void wordDotProducts(uint32_t code, __half2 bias, const Activations &x,
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
    x.template load<kInputsPerWord>(r, k0, activation);
    float sum = 0.0f;
    AWQ_UNROLL
    for (int j = 0; j < kInputsPerWord; ++j)
      sum = fmaf(weight[j], activation[j], sum);
    partial[r] = sum;
  }
}

// A weight row a lane walks: the weights it lives in and its index.
struct LaneRow {
  const GroupWeightsView *weights;
  int64_t row;
};

// acc[i][r] += lane `lane`'s share of x[r, :] . W_i'[row_i, :] for the NR
// weight rows at once, chunk by chunk: each chunk lies in one group, so its
// sum is scaled once. Every word of x is loaded once for all NR rows (NR = 2:
// half the activation loads per weight byte, where the L1 was the limit at
// M = 1); the rows must share kPadded. Per row the sums are the NR = 1
// walk's, in the same order.
template <class T, int BITS, int MR, int NR, int IN_FLIGHT, class Activations>
__host__ __device__ inline void chunkLaneSums(const Activations &x, const LaneRow (&rows)[NR],
                                              int lane, float (&acc)[NR][MR]) {
  constexpr int kInputsPerWord = 32 / BITS;
  constexpr int kVectors = BITS / 4; // 128-bit loads per chunk of 32 inputs
  const int64_t chunks = rows[0].weights->kPadded / kChunkInputs;
  for (int64_t first = lane; first < chunks; first += kWarpLanes * IN_FLIGHT) {
    uint4 codes[NR][IN_FLIGHT][kVectors];
    GroupParams params[NR][IN_FLIGHT];
    AWQ_UNROLL
    for (int c = 0; c < IN_FLIGHT; ++c) {
      const int64_t chunk = first + c * kWarpLanes;
      if (chunk < chunks) {
        AWQ_UNROLL
        for (int i = 0; i < NR; ++i) {
          AWQ_UNROLL
          for (int v = 0; v < kVectors; ++v)
            codes[i][c][v] = loadCodeVector<BITS>(
                *rows[i].weights, rows[i].row, chunk * kChunkInputs + v * kInputsPerVector<BITS>);
          params[i][c] = groupParamsAt<T, BITS>(*rows[i].weights, rows[i].row,
                                                chunk * kChunkInputs);
        }
      }
    }
    AWQ_UNROLL
    for (int c = 0; c < IN_FLIGHT; ++c) {
      const int64_t chunk = first + c * kWarpLanes;
      if (chunk >= chunks)
        break;
      float chunkSum[NR][MR] = {};
      AWQ_UNROLL
      for (int word = 0; word < BITS; ++word) { // 32 inputs, 32 / BITS per word
        float weight[NR][kInputsPerWord];
        AWQ_UNROLL
        for (int i = 0; i < NR; ++i) {
          const uint32_t code = reinterpret_cast<const uint32_t *>(codes[i][c])[word];
          if (BITS == 4)
            dequantizeWord4(code, params[i][c].bias, weight[i]);
          else
            dequantizeWord8(code, params[i][c].bias, weight[i]);
        }
        AWQ_UNROLL
        for (int r = 0; r < MR; ++r) {
          float activation[kInputsPerWord];
          x.template load<kInputsPerWord>(r, chunk * kChunkInputs + word * kInputsPerWord,
                                          activation);
          AWQ_UNROLL
          for (int i = 0; i < NR; ++i) {
            float sum = 0.0f;
            AWQ_UNROLL
            for (int j = 0; j < kInputsPerWord; ++j)
              sum = fmaf(weight[i][j], activation[j], sum);
            chunkSum[i][r] += sum;
          }
        }
      }
      AWQ_UNROLL
      for (int i = 0; i < NR; ++i) {
        AWQ_UNROLL
        for (int r = 0; r < MR; ++r)
          acc[i][r] = fmaf(chunkSum[i][r], params[i][c].scale, acc[i][r]);
      }
    }
  }
}

// acc[r] += lane `lane`'s share of x[r, :] . W'[row, :], word by word.
template <class T, int BITS, int MR, int IN_FLIGHT, class Activations>
__host__ __device__ inline void wordLaneSums(const Activations &x, const GroupWeightsView &weights,
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
      wordDotProducts<T, BITS, MR>(codes[u], params[u].bias, x, word * kInputsPerWord, partial);
      AWQ_UNROLL
      for (int r = 0; r < MR; ++r)
        acc[r] = fmaf(partial[r], params[u].scale, acc[r]);
    }
  }
}

// acc[r] (and accUp[r] with GATE_UP) += lane `lane`'s share of
// x[r, :] . W'[row, :] (and of x[r, :] . Wu'[row, :]).
template <class T, int BITS, int MR, bool GATE_UP, bool WORD_LANES, class Activations>
__host__ __device__ inline void gemvLaneSums(const Activations &x, const GroupWeightsView &weights,
                                             const GroupWeightsView &up, int64_t row, int lane,
                                             float acc[MR], float accUp[MR]) {
  if (WORD_LANES) {
    wordLaneSums<T, BITS, MR, kGemvWordsInFlight>(x, weights, row, lane, acc);
    if (GATE_UP)
      wordLaneSums<T, BITS, MR, kGemvWordsInFlight>(x, up, row, lane, accUp);
  } else {
    float sums[1][MR] = {};
    chunkLaneSums<T, BITS, MR, 1, kGemvChunksInFlight>(x, {LaneRow{&weights, row}}, lane, sums);
    if (GATE_UP) {
      float upSums[1][MR] = {};
      chunkLaneSums<T, BITS, MR, 1, kGemvChunksInFlight>(x, {LaneRow{&up, row}}, lane, upSums);
      AWQ_UNROLL
      for (int r = 0; r < MR; ++r)
        accUp[r] += upSums[0][r];
    }
    AWQ_UNROLL
    for (int r = 0; r < MR; ++r)
      acc[r] += sums[0][r];
  }
}

// Chunk pairs: a warp walks two weight rows together against one read of x
// (AWQ_CUDA_GEMV_LANES=chunk-pairs): rows `row` and `row + 1` of `weights`
// (the second clamped to the last row; the kernel then drops its sums), or
// with GATE_UP the gate and up rows `row`. acc[0] / acc[1]: the two rows.
template <class T, int BITS, int MR, bool GATE_UP, class Activations>
__host__ __device__ inline void gemvPairLaneSums(const Activations &x,
                                                 const GroupWeightsView &weights,
                                                 const GroupWeightsView &up, int64_t row,
                                                 int lane, float (&acc)[2][MR]) {
  const int64_t second = row + 1 < weights.n ? row + 1 : row;
  const LaneRow rows[2] = {LaneRow{&weights, row},
                           GATE_UP ? LaneRow{&up, row} : LaneRow{&weights, second}};
  chunkLaneSums<T, BITS, MR, 2, kGemvChunksInFlight>(x, rows, lane, acc);
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
