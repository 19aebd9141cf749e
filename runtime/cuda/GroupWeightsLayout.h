// GroupWeightsLayout.h - the CUDA group-weight blob: its header and the input
// interleave inside each 32-bit word (see awq_cuda.h). Shared by the host
// packer and the kernels, so the two can never disagree.
#ifndef AWQ_RUNTIME_CUDA_GROUPWEIGHTSLAYOUT_H
#define AWQ_RUNTIME_CUDA_GROUPWEIGHTSLAYOUT_H

#include <cstdint>

// Callable from kernels and from host code (the packer, the host tests).
#ifdef __CUDACC__
#define AWQ_LAYOUT_FN __host__ __device__ constexpr
#else
#define AWQ_LAYOUT_FN constexpr
#endif

namespace awq::cuda {

constexpr char kBlobMagic[4] = {'A', 'W', 'Q', 'C'};
constexpr uint32_t kBlobVersion = 1;
constexpr int64_t kBlobHeaderBytes = 64;
constexpr int64_t kBlobArrayAlignment = 256;
// Rows are padded to whole chunks of 32 inputs: one chunk is one 128-bit load
// at 4 bits (two at 8 bits) and never straddles a group (group sizes are
// multiples of 32).
constexpr int64_t kChunkInputs = 32;

// The two code layouts (awq_cuda.h, AWQ_CUDA_LAYOUT_*): row chunks (rows of
// whole 32-input chunks, what the CUDA-core GEMV and the WMMA kernel read)
// and mma tiles (4 bits only: every 128-bit vector holds one lane's A
// fragments of four mma.sync m16n8k16 tiles, see below).
constexpr int32_t kLayoutRowChunks = 0;
constexpr int32_t kLayoutMmaTiles = 1;

// The 64-byte header, native-endian, at offset 0 of the blob.
struct GroupBlobHeader {
  char magic[4];
  uint32_t version;
  int32_t bits;
  int32_t scaleDtype;
  int64_t groupSize; // as given; >= k means one group per row
  int64_t k;
  int64_t n;
  int64_t kPadded;
  int64_t groups;
  int32_t hasZeros;
  int32_t layout; // kLayoutRowChunks (0 in blobs written before layouts) or kLayoutMmaTiles
};
static_assert(sizeof(GroupBlobHeader) == kBlobHeaderBytes, "header is 64 bytes");

// Which input of a word's 8 (4-bit) or 4 (8-bit) each nibble/byte holds:
// shifting the word right by 4*i (8*i) and masking with 0x000F000F
// (0x00FF00FF) leaves inputs 2i and 2i+1 in the low and high 16 bits.
constexpr int kNibbleInput[8] = {0, 2, 4, 6, 1, 3, 5, 7};
constexpr int kByteInput[4] = {0, 2, 1, 3};

// ---- The mma-tile layout (4 bits) ----------------------------------------
//
// W' is cut into tiles of 16 rows x 16 inputs, the A operand of one
// mma.sync.m16n8k16 (rows = outputs, inputs = the reduction). Lane l of a
// warp holds, per the PTX fragment layout, rows g = l / 4 and g + 8 and the
// logical columns 2t, 2t+1, 2t+8, 2t+9 (t = l % 4) of A: eight 4-bit codes,
// one 32-bit word. The inputs are permuted (the same permutation on x makes
// the product unchanged) so that those four columns of tile j (0..3) of a
// 64-input "quad" are the PHYSICAL inputs 16t + 4j + 0..3: lane t then finds
// all 16 activations of its four tiles in one contiguous 32-byte span of x.
//
// codes: [row tile][quad][lane] 128-bit vectors, word j = tile j;
// nibble p of a word: register i = p % 4 of the fragment, half p / 4:
//   row   = 16 * tile + g + 8 * (i % 2)
//   input = 64 * quad + 16 * t + 4 * j + 2 * (i / 2) + p / 4
// so ((word >> 4i) & 0x000F000F) holds A-fragment register i (two inputs of
// one row) in its two 16-bit halves: the magic-number dequantization gives
// the register directly. Rows are padded to whole tiles (codes = zero, scale
// 0), inputs to whole quads (codes = the group's zero point).
// scales / zeros: [row tile][group][g = 0..7][h = 0..1] for row 16 * tile +
// g + 8h: lane g reads its two rows' values with one 32-bit (16-bit) load.
constexpr int64_t kMmaTileRows = 16;
constexpr int64_t kMmaQuadInputs = 64;

struct MmaTileCoordinate {
  int64_t rowInTile;  // 0..15
  int64_t inputInQuad; // 0..63
};

// Where nibble `nibble` of word `word` (the k-tile) of lane `lane` sits.
AWQ_LAYOUT_FN MmaTileCoordinate mmaTileCoordinate(int lane, int word, int nibble) {
  return {lane / 4 + 8 * ((nibble % 4) % 2),
          16 * (lane % 4) + 4 * word + 2 * ((nibble % 4) / 2) + nibble / 4};
}

// Group size the kernels index with: one group per row becomes the padded row.
inline int64_t effectiveGroupSize(int64_t groupSize, int64_t k, int64_t kPadded) {
  return groupSize >= k ? kPadded : groupSize;
}

inline int64_t alignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

inline int64_t rowChunksKPadded(int64_t k) { return alignUp(k, kChunkInputs); }
inline int64_t mmaTilesKPadded(int64_t k) { return alignUp(k, kMmaQuadInputs); }
inline int64_t mmaTilesNPadded(int64_t n) { return alignUp(n, kMmaTileRows); }

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_GROUPWEIGHTSLAYOUT_H
