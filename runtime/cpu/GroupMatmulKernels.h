// GroupMatmulKernels.h - the prepacked group-weight blob and the kernel table behind
// awq_group_matmul_prepacked (not part of the ABI).
//
// How the pieces fit:
//   GroupMatmulPrepack.cpp   row_major codes + scales + zeros  ->  blob (and back)
//   GroupMatmulDispatch.cpp  parses the blob, prepares the activations once per call,
//                            picks a kernel table (scalar / AVX2 / AVX-512) and runs
//                            tiles of 16 output features on the threads
//   GroupMatmulScalar.cpp    portable kernels over the tiled layout (any CPU)
//   GroupMatmulAVX2.cpp      the same kernels with AVX2 + FMA
//   GroupMatmulAVX512.cpp    the same kernels with AVX-512 (VNNI for int8)
//   GroupMatmul.cpp          the row_major path; blobs that cannot be tiled use it
//
// The tiled layout (bits = 4 only)
// --------------------------------
// Output features are cut into tiles of kTileColumns = 16 consecutive rows of
// W (the last tile is padded with zero codes). K is padded with zero codes to
// a multiple of kBlockK = 32; one tile covers all of K and is stored
// contiguously, block after block, so a thread streams through its tiles.
// One block of a tile is 256 bytes = 4 "quads" of 64 bytes; quad v covers
// inputs 8v .. 8v+7 of the block. Inside a quad, column c owns the 4 bytes at
// 4c .. 4c+3, and byte j (0..3) of them holds
//     low nibble  = code[c][32b + 8v + j]
//     high nibble = code[c][32b + 8v + 4 + j]
// so after one AND (low nibbles) or one shift + AND (high nibbles) a 32-bit
// lane holds 4 consecutive codes of one column: exactly what maddubs / dpbusd
// multiply against 4 broadcast activation bytes, and lanes stay columns (no
// horizontal reduction in the inner loop). AVX2 reads a quad as two 32-byte
// halves (columns 0-7 and 8-15), AVX-512 as one 64-byte register.
//
// Group parameters are stored per tile and group, 16 columns at a time:
// scales as f32 [tiles][groups][16] and, when the weights have zero points,
// zeros as u8 [tiles][groups][16] (otherwise the zero is 8). The kernels form
// -scale * zero in registers, which keeps the blob at 5 bytes per group and
// column instead of 8.
//
// Tiling needs every group to be whole blocks: group_size a multiple of 32,
// or a single group (group_size >= K, per-channel). Other group sizes and
// bits 2, 3 and 8 get the row_major layout: the blob then holds the
// canonical packed codes [N, ceil(K*bits/8)], scales f32 [N, G] and zeros u8
// [N, G], and runs on the portable path (fp32 activations in both modes).
#ifndef AWQ_RUNTIME_CPU_GROUPMATMULKERNELS_H
#define AWQ_RUNTIME_CPU_GROUPMATMULKERNELS_H

#include "QuantizationInternal.h"

namespace awq::rt {

constexpr int64_t kTileColumns = 16; // output features per tile
constexpr int64_t kBlockK = 32;      // inputs per block (and per int8 activation block)
constexpr int64_t kQuadBytes = 64;   // 8 inputs x 16 columns x 4 bits
constexpr int64_t kBlockBytes = 4 * kQuadBytes;

// ---- The blob ------------------------------------------------------------

constexpr char kBlobMagic[4] = {'A', 'W', 'Q', 'G'};
constexpr uint32_t kBlobVersion = 1;
constexpr int64_t kBlobAlignment = 64; // every section starts on a 64-byte boundary

// The first 64 bytes of every blob (little-endian, as written by this CPU).
struct BlobHeader {
  char magic[4];
  uint32_t version;
  uint32_t layout; // an awq_group_layout
  int32_t bits;
  int64_t groupSize, k, n;
  uint32_t hasZeros; // 1 when zero points are stored
  uint32_t reserved;
  uint64_t totalBytes; // size of the whole blob, for validation
};
static_assert(sizeof(BlobHeader) == 56, "blob header layout");
constexpr int64_t kBlobHeaderBytes = 64;

// Everything derived from a header, with pointers into the blob.
struct PackedWeights {
  int32_t layout = 0, bits = 0;
  int64_t groupSize = 0, k = 0, n = 0, groups = 0;
  bool hasZeros = false;
  // Tiled layout.
  int64_t tiles = 0, paddedK = 0, blocks = 0, blocksPerGroup = 0;
  const uint8_t *codes = nullptr; // [tiles][blocks][256]
  const float *scales = nullptr;  // [tiles][groups][16]
  const uint8_t *zeros = nullptr; // [tiles][groups][16] or null
  // Row_major layout.
  const uint8_t *rowCodes = nullptr; // [n][ceil(k*bits/8)]
  const float *rowScales = nullptr;  // [n][groups]
  const uint8_t *rowZeros = nullptr; // [n][groups] or null

  int64_t tileCodeBytes() const { return blocks * kBlockBytes; }
  const uint8_t *tileCodes(int64_t tile) const { return codes + tile * tileCodeBytes(); }
  const float *tileScales(int64_t tile) const { return scales + tile * groups * kTileColumns; }
  const uint8_t *tileZeros(int64_t tile) const {
    return zeros ? zeros + tile * groups * kTileColumns : nullptr;
  }
};

// Byte sizes of the sections for a weight of this shape (layout included).
struct BlobSizes {
  int32_t layout;
  int64_t codesOffset, scalesOffset, zerosOffset, totalBytes;
};
BlobSizes blobSizes(int32_t bits, int64_t groupSize, int64_t k, int64_t n, bool hasZeros);

// Validates a blob tensor (u8, rank 1, header consistent with its length) and
// returns its view. `role` names the argument in messages.
PackedWeights parseBlob(const awq_tensor *blob, const char *role);

// Code of weight row `column` (global) at input `index` in the tiled layout.
inline uint8_t tiledCode(const PackedWeights &w, int64_t column, int64_t index) {
  const int64_t tile = column / kTileColumns, c = column % kTileColumns;
  const int64_t block = index / kBlockK, r = index % kBlockK;
  const int64_t quad = r / 8, within = r % 8;
  const uint8_t byte =
      w.tileCodes(tile)[block * kBlockBytes + quad * kQuadBytes + c * 4 + within % 4];
  return within < 4 ? byte & 0x0F : byte >> 4;
}

// ---- Activations, prepared once per call ---------------------------------

struct PreparedActivations {
  int64_t m = 0, paddedK = 0, blocks = 0, groups = 0;
  // fp32 mode: x zero-padded to paddedK, and per (row, group) sum of x.
  std::vector<float> values;    // [m][paddedK]
  // int8 mode: per block of 32, x ~= blockScale * quantized with quantized in
  // [-127, 127]; groupSums[row][g] = sum over the group's blocks of
  // blockScale * sum(quantized) (the activation sum as the kernel sees it).
  std::vector<int8_t> quantized; // [m][paddedK]
  std::vector<float> blockScales; // [m][blocks]
  std::vector<float> groupSums;   // [m][groups], both modes

  const float *row(int64_t i) const { return values.data() + i * paddedK; }
  const int8_t *quantizedRow(int64_t i) const { return quantized.data() + i * paddedK; }
  const float *blockScaleRow(int64_t i) const { return blockScales.data() + i * blocks; }
  const float *groupSumRow(int64_t i) const { return groupSums.data() + i * groups; }
};

// ---- Kernel table ----------------------------------------------------------

// A tile kernel computes rows [row0, row0 + rows) of x against tile `tile`:
// dst[r * 16 + c] = sum_k x[row0 + r][k] * W'[16 * tile + c][k] (no bias).
using TileKernel = void (*)(const PackedWeights &w, const PreparedActivations &a, int64_t tile,
                            int64_t row0, int64_t rows, float *dst);
// Writes W'[16 * tile + c][k] (dequantized) to dst[k * ld + c] for k < K, c < 16:
// the [K x 16] slice of W'^T that sgemm multiplies for many rows of x.
using DequantizeTileKernel = void (*)(const PackedWeights &w, int64_t tile, float *dst,
                                      int64_t ld);

struct GroupKernels {
  int32_t isa; // an awq_group_isa
  TileKernel f32Tile, int8Tile;
  DequantizeTileKernel dequantizeTile;
};

const GroupKernels &scalarGroupKernels();
#if defined(__x86_64__) || defined(__i386__)
const GroupKernels &avx2GroupKernels();
const GroupKernels &avx512GroupKernels();
#endif

// ---- The portable row_major path (GroupMatmul.cpp) -------------------------

struct RowMajorGroupWeights {
  const uint8_t *codes;  // [n][ceil(k * bits / 8)]
  const void *scales;    // [n][groups] of scalesDtype (f32/f16/bf16)
  int32_t scalesDtype;
  const uint8_t *zeros;  // [n][groups] or null (2^(bits-1))
  int32_t bits;
  int64_t groupSize, k, n;
};
// out[m][n] = x[m][k] . W'^T (+ bias[n] when bias is non-null).
void groupMatmulRowMajor(const float *x, int64_t m, const RowMajorGroupWeights &w,
                         const float *bias, float *out);

} // namespace awq::rt

#endif // AWQ_RUNTIME_CPU_GROUPMATMULKERNELS_H
