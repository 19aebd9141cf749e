// GroupDequant.cuh - in-register dequantization of one 32-bit word of the
// CUDA blob's interleaved codes (GroupWeightsLayout.h), and the view of a
// blob the kernels index. Host-callable too, so the unit tests check the
// exact arithmetic the kernels run against the packer on the CPU.
#ifndef AWQ_RUNTIME_CUDA_GROUPDEQUANT_CUH
#define AWQ_RUNTIME_CUDA_GROUPDEQUANT_CUH

#include "GroupWeightsLayout.h"
#include "awq_cuda.h"

#include <cuda_fp16.h>

#include <cstdint>
#include <cstring>

namespace awq::cuda {

// The magic-number trick: OR-ing a code c < 1024 into the mantissa of the
// fp16 1024.0 (0x6400) gives exactly 1024 + c, so one subtraction of
// (1024 + zero) yields c - zero, exact in fp16 (|c - zero| <= 255), for two
// inputs at once. Far cheaper than integer-to-float conversions.
__host__ __device__ inline __half2 zeroBias(int zero) {
  return __half2half2(__ushort_as_half(static_cast<unsigned short>(0x6400 | zero)));
}

__host__ __device__ inline float2 magicPairMinusZero(uint32_t maskedPair, __half2 bias) {
  const uint32_t withMagic = maskedPair | 0x64006400u;
  __half2 pair;
  memcpy(static_cast<void *>(&pair), &withMagic, sizeof pair); // bit cast
  return __half22float2(__hsub2(pair, bias));
}

// 4 bits: the 8 inputs of one word, in input order, as (code - zero).
__host__ __device__ inline void dequantizeWord4(uint32_t word, __half2 bias, float out[8]) {
  for (int i = 0; i < 4; ++i) { // constant trip counts: nvcc unrolls these
    const float2 pair = magicPairMinusZero((word >> (4 * i)) & 0x000F000Fu, bias);
    out[2 * i] = pair.x;
    out[2 * i + 1] = pair.y;
  }
}

// 8 bits: the 4 inputs of one word, in input order, as (code - zero).
__host__ __device__ inline void dequantizeWord8(uint32_t word, __half2 bias, float out[4]) {
  for (int i = 0; i < 2; ++i) {
    const float2 pair = magicPairMinusZero((word >> (8 * i)) & 0x00FF00FFu, bias);
    out[2 * i] = pair.x;
    out[2 * i + 1] = pair.y;
  }
}

// Device pointers into a blob plus the sizes the kernels index with.
struct GroupWeightsView {
  const uint8_t *codes;
  const void *scales; // [n, groups] in the activation dtype
  const uint8_t *zeros; // [n, groups] or null (zero = 2^(bits-1))
  int bits;
  int layout; // kLayoutRowChunks or kLayoutMmaTiles
  int64_t n, k, kPadded, groups, groupSize; // groupSize: effective (see layout)
  // log2(groupSize) when it is a power of two (32, 64, 128 ...), else -1:
  // the kernels find an input's group with a shift instead of a 64-bit
  // division, a subroutine of dozens of instructions on the GPU.
  int groupShift;
};

inline GroupWeightsView viewOf(const void *blobDevice, const awq_cuda_group_weights_info &info) {
  const auto *base = static_cast<const uint8_t *>(blobDevice);
  GroupWeightsView view;
  view.codes = base + info.codes_offset;
  view.scales = base + info.scales_offset;
  view.zeros = info.has_zeros ? base + info.zeros_offset : nullptr;
  view.bits = info.bits;
  view.layout = info.layout;
  view.n = info.n;
  view.k = info.k;
  view.kPadded = info.k_padded;
  view.groups = info.groups;
  view.groupSize = effectiveGroupSize(info.group_size, info.k, info.k_padded);
  view.groupShift = -1;
  for (int shift = 0; shift < 62; ++shift)
    if (int64_t{1} << shift == view.groupSize)
      view.groupShift = shift;
  return view;
}

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_GROUPDEQUANT_CUH
