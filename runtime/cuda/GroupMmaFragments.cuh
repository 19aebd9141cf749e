// GroupMmaFragments.cuh - the per-lane pieces of the mma-tile kernel
// (GroupMatmulMma.cu): a lane's group parameters, the A fragments of four
// m16n8k16 tiles dequantized from its 128-bit code vector, its B fragments
// (activations), and the mma itself. Everything but the mma is host-callable,
// so GroupMmaFragmentsHostTest.cu runs the kernel's own arithmetic on the CPU
// and only the tensor-core product is left for the GPU.
//
// The layout these read is in GroupWeightsLayout.h ("mma-tile layout").
#ifndef AWQ_RUNTIME_CUDA_GROUPMMAFRAGMENTS_CUH
#define AWQ_RUNTIME_CUDA_GROUPMMAFRAGMENTS_CUH

#include "GroupMatmulKernels.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstring>
#include <type_traits>

namespace awq::cuda {

// The packed pair type of T and the magic-number base: OR-ing a code c
// into the mantissa gives exactly base + c (f16: 1024 + c, c < 1024; bf16:
// 128 + c, c < 128: its 7-bit mantissa counts units from 128 to 256).
template <class T> struct MmaPair;
template <> struct MmaPair<__half> {
  using Type = __half2;
  static constexpr uint32_t kMagic = 0x6400;
};
template <> struct MmaPair<__nv_bfloat16> {
  using Type = __nv_bfloat162;
  static constexpr uint32_t kMagic = 0x4300;
};

template <class To, class From> __host__ __device__ inline To bitCast(const From &from) {
  static_assert(sizeof(To) == sizeof(From), "same size");
  To to;
  memcpy(static_cast<void *>(&to), &from, sizeof to);
  return to;
}

// One group's parameters for the two rows a lane holds (h = 0: row g,
// h = 1: row g + 8), both halves of each register equal: `bias` is the
// magic base + zero, `scale` the group scale in T.
struct MmaGroupParams {
  uint32_t bias[2];
  uint32_t scale[2];
};

// From the blob's 32-bit scale pair (row g low, row g + 8 high) and 16-bit
// zero pair (row g low byte).
template <class T>
__host__ __device__ inline MmaGroupParams mmaGroupParams(uint32_t scalePair, uint32_t zeroPair) {
  MmaGroupParams params;
  AWQ_UNROLL
  for (int h = 0; h < 2; ++h) {
    const uint32_t zero = (zeroPair >> (8 * h)) & 0xFFu;
    params.bias[h] = (MmaPair<T>::kMagic | zero) * 0x00010001u;
    params.scale[h] = ((scalePair >> (16 * h)) & 0xFFFFu) * 0x00010001u;
  }
  return params;
}

// The four A-fragment registers of one tile from its code word: register i
// holds the two codes in nibbles i and i + 4 as (code - zero) * scale in T
// (code - zero exact, one rounding in the product, as every other path).
template <class T>
__host__ __device__ inline void mmaFragmentFromWord(uint32_t word, const MmaGroupParams &params,
                                                    uint32_t a[4]) {
  using Pair = typename MmaPair<T>::Type;
  constexpr uint32_t kMagicPair = MmaPair<T>::kMagic * 0x00010001u;
  AWQ_UNROLL
  for (int i = 0; i < 4; ++i) {
    const int h = i % 2; // registers 0, 2: row g; 1, 3: row g + 8
    const Pair withMagic = bitCast<Pair>(((word >> (4 * i)) & 0x000F000Fu) | kMagicPair);
    const Pair codeMinusZero = __hsub2(withMagic, bitCast<Pair>(params.bias[h]));
    a[i] = bitCast<uint32_t>(__hmul2(codeMinusZero, bitCast<Pair>(params.scale[h])));
  }
}

// The group of the 16 inputs at `first` (a multiple of 16, so inside one
// group: group sizes are multiples of 32), the last group for padding.
__host__ __device__ inline int64_t mmaGroupOf(const GroupWeightsView &weights, int64_t first) {
  const int64_t group =
      weights.groupShift >= 0 ? first >> weights.groupShift : first / weights.groupSize;
  return group < weights.groups ? group : weights.groups - 1;
}

// Lane (g, t)'s activations for one quad and one 8-row slice of x: row
// `row` (its B column g), inputs first .. first + 16 (first = 64 q + 16 t)
// as 8 packed pairs; pairs 2j and 2j + 1 are tile j's B registers. Rows at
// or past `rows` and inputs at or past k read as 0. VECTORIZED needs
// k % 8 == 0 and a 16-byte aligned x.
template <class T, bool VECTORIZED>
__host__ __device__ inline void loadMmaActivations(const T *x, int64_t k, int64_t row,
                                                   int64_t rows, int64_t first,
                                                   uint32_t pairs[8]) {
  AWQ_UNROLL
  for (int i = 0; i < 8; ++i)
    pairs[i] = 0;
  if (row >= rows)
    return;
  const T *source = x + row * k + first;
  if (VECTORIZED) {
    AWQ_UNROLL
    for (int half = 0; half < 2; ++half)
      if (first + 8 * half < k) {
#ifdef __CUDA_ARCH__
        const uint4 v = __ldg(reinterpret_cast<const uint4 *>(source) + half);
#else
        const uint4 v = reinterpret_cast<const uint4 *>(source)[half];
#endif
        pairs[4 * half + 0] = v.x;
        pairs[4 * half + 1] = v.y;
        pairs[4 * half + 2] = v.z;
        pairs[4 * half + 3] = v.w;
      }
  } else {
    AWQ_UNROLL
    for (int i = 0; i < 16; ++i)
      if (first + i < k)
        pairs[i / 2] |= static_cast<uint32_t>(bitCast<uint16_t>(source[i])) << (16 * (i % 2));
  }
}

// c += A . B for one m16n8k16 tile (f32 accumulators). sm_80 and newer.
template <class T>
__device__ inline void mmaM16N8K16(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  if constexpr (std::is_same_v<T, __half>)
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#elif defined(AWQ_CUDA_EMULATION) // the CPU emulator (runtime/cuda/emulator)
  ::awq::emu::mmaM16N8K16(c, a, b0, b1, std::is_same_v<T, __nv_bfloat16>);
#else
  (void)c, (void)a, (void)b0, (void)b1;
  __trap(); // the build targets sm_80+ only; never reached
#endif
}

// Where accumulator c (0..3) of lane `lane` lands in the 16 x 8 output tile:
// output row (weight row) g + 8 (c / 2), x row 2t + c % 2.
struct MmaOutputCoordinate {
  int rowInTile, xRow;
};
__host__ __device__ constexpr MmaOutputCoordinate mmaOutputCoordinate(int lane, int c) {
  return {lane / 4 + 8 * (c / 2), 2 * (lane % 4) + c % 2};
}

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_GROUPMMAFRAGMENTS_CUH
