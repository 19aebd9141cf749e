// QuantizationInternal.h - checks and bit access shared by the quantizer, the packer and group matmul.
#ifndef AWQ_RUNTIME_CPU_QUANTIZATIONINTERNAL_H
#define AWQ_RUNTIME_CPU_QUANTIZATIONINTERNAL_H

#include "RuntimeInternal.h"

namespace awq::rt {

// Throws unless bits is 2, 3, 4 or 8 and group_size >= 1.
void checkQuantization(int32_t bits, int64_t groupSize);

inline int64_t groupCount(int64_t k, int64_t groupSize) { return (k + groupSize - 1) / groupSize; }
inline int64_t packedRowBytes(int64_t k, int32_t bits) { return (k * bits + 7) / 8; }

// Sizes of a row_major packed weight of N rows and K inputs.
struct PackedWeightShape {
  int64_t n, k, groups, rowBytes;
};

// Throws unless qweight ([N >= 1, ceil(K*bits/8)] u8/i8), scales ([N, G]
// float) and zeros (NULL or [N, G] u8/i8) form a valid packed weight with K
// inputs, groups of group_size <= K and `bits`-wide codes.
PackedWeightShape checkPackedWeight(const awq_tensor *qweight, const awq_tensor *scales,
                                    const awq_tensor *zeros, int32_t bits, int64_t groupSize,
                                    int64_t k);

// Code `index` of a little-endian bit stream of `bits`-wide codes. A 3-bit
// code may straddle two bytes; the row's last byte is padded, so reading the
// next byte is only done when the code actually crosses into it.
inline uint8_t readCode(const uint8_t *row, int64_t index, int32_t bits) {
  const int64_t bit = index * bits;
  const int64_t byte = bit >> 3;
  const int shift = static_cast<int>(bit & 7);
  uint32_t word = row[byte];
  if (shift + bits > 8)
    word |= static_cast<uint32_t>(row[byte + 1]) << 8;
  return static_cast<uint8_t>((word >> shift) & ((1u << bits) - 1));
}

} // namespace awq::rt

#endif // AWQ_RUNTIME_CPU_QUANTIZATIONINTERNAL_H
