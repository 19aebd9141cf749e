// GroupWeightsLayout.h - the CUDA group-weight blob: its header and the input
// interleave inside each 32-bit word (see awq_cuda.h). Shared by the host
// packer and the kernels, so the two can never disagree.
#ifndef AWQ_RUNTIME_CUDA_GROUPWEIGHTSLAYOUT_H
#define AWQ_RUNTIME_CUDA_GROUPWEIGHTSLAYOUT_H

#include <cstdint>

namespace awq::cuda {

constexpr char kBlobMagic[4] = {'A', 'W', 'Q', 'C'};
constexpr uint32_t kBlobVersion = 1;
constexpr int64_t kBlobHeaderBytes = 64;
constexpr int64_t kBlobArrayAlignment = 256;
// Rows are padded to whole chunks of 32 inputs: one chunk is one 128-bit load
// at 4 bits (two at 8 bits) and never straddles a group (group sizes are
// multiples of 32).
constexpr int64_t kChunkInputs = 32;

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
  uint32_t reserved;
};
static_assert(sizeof(GroupBlobHeader) == kBlobHeaderBytes, "header is 64 bytes");

// Which input of a word's 8 (4-bit) or 4 (8-bit) each nibble/byte holds:
// shifting the word right by 4*i (8*i) and masking with 0x000F000F
// (0x00FF00FF) leaves inputs 2i and 2i+1 in the low and high 16 bits.
constexpr int kNibbleInput[8] = {0, 2, 4, 6, 1, 3, 5, 7};
constexpr int kByteInput[4] = {0, 2, 1, 3};

// Group size the kernels index with: one group per row becomes the padded row.
inline int64_t effectiveGroupSize(int64_t groupSize, int64_t k, int64_t kPadded) {
  return groupSize >= k ? kPadded : groupSize;
}

inline int64_t alignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_GROUPWEIGHTSLAYOUT_H
