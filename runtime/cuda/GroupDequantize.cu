// GroupDequantize.cu - W' in the activation dtype, for large prefill: past a
// few hundred rows the matmul is compute-bound, and cuBLAS on a dequantized
// copy is the fastest path we have there.
//
// One thread per 32-bit code word (8 inputs at 4 bits, 4 at 8) of each of
// its block's rows: a warp reads
// 128 contiguous bytes of codes and, when rows of W' are whole vectors
// (K % 8 == 0 at 4 bits, K % 4 == 0 at 8), writes 512 (256) contiguous bytes
// with one 16-byte (8-byte) store per thread. (The first version gave each
// thread a 128-bit load and 32 two-byte stores 64 bytes apart across the
// warp: 150 GB/s on an H100.)
#include "GroupMmaFragments.cuh"

#include <type_traits>

namespace awq::cuda {
namespace {

// W'[row, first .. first + 32/BITS) from code word `word` of the row.
template <class T, int BITS, bool VECTOR_STORES>
__device__ inline void dequantizeWordTo(const GroupWeightsView &weights, int64_t wordsPerRow,
                                        int64_t row, int64_t word, T *__restrict__ out) {
  constexpr int kInputsPerWord = 32 / BITS;
  const int64_t first = word * kInputsPerWord;
  const GroupParams params = groupParamsAt<T, BITS>(weights, row, first);
  float codeMinusZero[kInputsPerWord];
  if (BITS == 4)
    dequantizeWord4(loadCodeWord(weights, wordsPerRow, row, word), params.bias,
                    codeMinusZero);
  else
    dequantizeWord8(loadCodeWord(weights, wordsPerRow, row, word), params.bias,
                    codeMinusZero);
  __align__(16) T values[kInputsPerWord];
#pragma unroll
  for (int j = 0; j < kInputsPerWord; ++j)
    values[j] = fromFloat<T>(codeMinusZero[j] * params.scale);
  T *destination = out + row * weights.k + first;
  if (VECTOR_STORES) {
    using Vector = std::conditional_t<BITS == 4, uint4, uint2>;
    *reinterpret_cast<Vector *>(destination) = *reinterpret_cast<const Vector *>(values);
  } else {
#pragma unroll
    for (int j = 0; j < kInputsPerWord; ++j)
      if (first + j < weights.k)
        destination[j] = values[j];
  }
}

// blockIdx.x: a block of words within a row; rows are strided over
// blockIdx.y (a 2-D grid avoids a 64-bit division per thread).
template <class T, int BITS, bool VECTOR_STORES>
__global__ void groupDequantizeKernel(GroupWeightsView weights, T *__restrict__ out) {
  constexpr int kInputsPerWord = 32 / BITS;
  const int64_t wordsPerRow = weights.kPadded / kInputsPerWord;
  const int64_t word = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t first = word * kInputsPerWord;
  if (first >= weights.k)
    return; // past the row, or all padding: not part of W'
  for (int64_t row = blockIdx.y; row < weights.n; row += gridDim.y)
    dequantizeWordTo<T, BITS, VECTOR_STORES>(weights, wordsPerRow, row, word, out);
}

template <class T, int BITS>
void launchWithBits(const GroupWeightsView &weights, T *out, cudaStream_t stream) {
  constexpr int kThreads = 256;
  const int64_t wordsPerRow = weights.kPadded * BITS / 32;
  const dim3 blocks(ceilDiv(wordsPerRow, kThreads),
                    static_cast<unsigned>(weights.n < 65535 ? weights.n : 65535));
  // Whole vectors in every row of W' (and `out` from cudaMalloc, 256-aligned).
  const bool vectorStores =
      weights.k % (32 / BITS) == 0 && reinterpret_cast<uintptr_t>(out) % 16 == 0;
  if (vectorStores)
    groupDequantizeKernel<T, BITS, true><<<blocks, kThreads, 0, stream>>>(weights, out);
  else
    groupDequantizeKernel<T, BITS, false><<<blocks, kThreads, 0, stream>>>(weights, out);
}

// Mma-tile blobs: one thread per 32-bit word (one lane's fragment of one
// 16 x 16 tile), dequantized by the mma kernel's own fragment code: rows g
// and g + 8, inputs 64 q + 16 t + 4 j .. + 3 each (registers 0 and 2 for row
// g, 1 and 3 for row g + 8). The 32 threads of a warp fill 128 contiguous
// bytes of each of 4 rows. blockIdx.x is the row tile and blockIdx.y a slice
// of its words, so the (quad, lane, word) split is by powers of two only.
template <class T, bool VECTOR_STORES>
__global__ void groupDequantizeMmaTilesKernel(GroupWeightsView weights, T *__restrict__ out) {
  const int64_t quads = weights.kPadded / kMmaQuadInputs;
  const int64_t tile = blockIdx.x;
  const int64_t wordInTile = static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (wordInTile >= quads * 128)
    return;
  const int64_t wordIndex = tile * quads * 128 + wordInTile; // [tile][quad][lane][j]
  const int j = static_cast<int>(wordInTile % 4);
  const int lane = static_cast<int>((wordInTile / 4) % 32);
  const int64_t quad = wordInTile / 128;
  const int g = lane / 4, t = lane % 4;
  const int64_t first = quad * kMmaQuadInputs + 16 * t + 4 * j;
  if (first >= weights.k)
    return; // padding only
  const int64_t group = mmaGroupOf(weights, quad * kMmaQuadInputs + 16 * t);
  const int64_t paramIndex = (tile * weights.groups + group) * 8 + g;
  const uint32_t zeroPair =
      weights.zeros ? reinterpret_cast<const uint16_t *>(weights.zeros)[paramIndex] : 0x0808u;
  const MmaGroupParams params = mmaGroupParams<T>(
      static_cast<const uint32_t *>(weights.scales)[paramIndex], zeroPair);
  uint32_t a[4];
  mmaFragmentFromWord<T>(reinterpret_cast<const uint32_t *>(weights.codes)[wordIndex], params, a);
  for (int h = 0; h < 2; ++h) {
    const int64_t row = tile * kMmaTileRows + g + 8 * h;
    if (row >= weights.n)
      continue;
    const uint32_t pairs[2] = {a[h], a[h + 2]};
    T *destination = out + row * weights.k + first;
    if (VECTOR_STORES) {
      *reinterpret_cast<uint2 *>(destination) = make_uint2(pairs[0], pairs[1]);
    } else {
      const T *values = reinterpret_cast<const T *>(pairs);
      for (int i = 0; i < 4; ++i)
        if (first + i < weights.k)
          destination[i] = values[i];
    }
  }
}

template <class T>
void launchMmaTiles(const GroupWeightsView &weights, T *out, cudaStream_t stream) {
  constexpr int kThreads = 256;
  const int64_t tiles = mmaTilesNPadded(weights.n) / kMmaTileRows;
  const int64_t wordsPerTile = weights.kPadded / kMmaQuadInputs * 32 * 4;
  // Tiles on x (up to 2^31 - 1), a tile's words on y (up to 65535 blocks:
  // K up to 8 M inputs).
  const int64_t slices = (wordsPerTile + kThreads - 1) / kThreads;
  if (tiles > 0x7fffffff || slices > 65535)
    awq::rt::raise("the weights (N = %lld, K = %lld) are too large to dequantize",
                   static_cast<long long>(weights.n), static_cast<long long>(weights.k));
  const dim3 grid(static_cast<unsigned>(tiles), static_cast<unsigned>(slices));
  const bool vectorStores = weights.k % 4 == 0 && reinterpret_cast<uintptr_t>(out) % 8 == 0;
  if (vectorStores)
    groupDequantizeMmaTilesKernel<T, true><<<grid, kThreads, 0, stream>>>(weights, out);
  else
    groupDequantizeMmaTilesKernel<T, false><<<grid, kThreads, 0, stream>>>(weights, out);
}

} // namespace

template <class T>
void launchGroupDequantize(const GroupWeightsView &weights, T *out, cudaStream_t stream) {
  if (weights.n == 0)
    return;
  if (weights.layout == kLayoutMmaTiles)
    launchMmaTiles<T>(weights, out, stream);
  else if (weights.bits == 4)
    launchWithBits<T, 4>(weights, out, stream);
  else
    launchWithBits<T, 8>(weights, out, stream);
  checkLaunch("group dequantize");
}

template void launchGroupDequantize<__half>(const GroupWeightsView &, __half *, cudaStream_t);
template void launchGroupDequantize<__nv_bfloat16>(const GroupWeightsView &, __nv_bfloat16 *,
                                                   cudaStream_t);

} // namespace awq::cuda
