// GroupMatmulAVX2.cpp - AVX2 + FMA tile kernels over the tiled W4 layout.
//
// Every function carries a target attribute instead of the file being built
// with -mavx2: the library must load on CPUs without AVX2, and the dispatcher
// (GroupMatmulDispatch.cpp) only calls in here after checking the CPU.
//
// A 32-byte half-quad holds, per 32-bit lane (= one output column), 4 low
// nibbles (inputs 8v+0..3) and 4 high nibbles (inputs 8v+4..7); see
// GroupMatmulKernels.h. The kernels keep lanes = columns throughout, so there
// is no horizontal reduction until the tile's 16 results are stored.
#include "GroupMatmulKernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

using namespace awq::rt;

#define AWQ_AVX2 __attribute__((target("avx2,fma")))

namespace {

// Broadcasts the 4 int8 activations at p to every 32-bit lane.
AWQ_AVX2 inline __m256i broadcast4Bytes(const int8_t *p) {
  int32_t word;
  std::memcpy(&word, p, 4);
  return _mm256_set1_epi32(word);
}

// -scale * zero for the 8 columns of half `half` of group g.
AWQ_AVX2 inline __m256 negScaleZero(const float *tileScales, const uint8_t *tileZeros, int64_t g,
                                    int half) {
  const __m256 scale = _mm256_loadu_ps(tileScales + g * kTileColumns + 8 * half);
  __m256 zero = _mm256_set1_ps(8.0f);
  if (tileZeros) {
    // 8 u8 zero points -> 8 int32 -> 8 floats.
    const __m128i bytes =
        _mm_loadl_epi64(reinterpret_cast<const __m128i *>(tileZeros + g * kTileColumns + 8 * half));
    zero = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
  }
  return _mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), scale), zero);
}

// int8 activations. Per block of 32 inputs and half (8 columns):
//   maddubs(u8 codes, s8 x) gives int16 pairs q0*x0 + q1*x1, |pair| <= 2*15*127 = 3810;
//   8 of them (4 quads x low/high) summed in int16 stay <= 30480 < 32767, so the
//   sum is exact; one madd with 1s widens it to the int32 per-column block dot.

// dot16 += codes(low) . x[0..3] + codes(high) . x[4..7], per 16-bit pair.
AWQ_AVX2 inline __m256i accumulateQuad(__m256i dot16, __m256i low, __m256i high, const int8_t *x) {
  return _mm256_add_epi16(dot16, _mm256_add_epi16(_mm256_maddubs_epi16(low, broadcast4Bytes(x)),
                                                  _mm256_maddubs_epi16(high, broadcast4Bytes(x + 4))));
}

// acc += float(block dot) * scale * blockScale.
AWQ_AVX2 inline __m256 accumulateBlock(__m256 acc, __m256i dot16, __m256 scale, float blockScale) {
  const __m256i dot32 = _mm256_madd_epi16(dot16, _mm256_set1_epi16(1));
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot32),
                         _mm256_mul_ps(scale, _mm256_set1_ps(blockScale)), acc);
}

// acc += -scale * zero * groupSum.
AWQ_AVX2 inline __m256 accumulateZeroPoint(__m256 acc, const float *tileScales,
                                           const uint8_t *tileZeros, int64_t g, int half,
                                           float groupSum) {
  return _mm256_fmadd_ps(negScaleZero(tileScales, tileZeros, g, half), _mm256_set1_ps(groupSum),
                         acc);
}

// One row (decoding). Both halves of a quad are unpacked together so each
// activation broadcast serves 16 columns.
AWQ_AVX2 void int8Row(const PackedWeights &w, const PreparedActivations &a, int64_t tile,
                      int64_t row, float *dst) {
  const __m256i lowNibbles = _mm256_set1_epi8(0x0F);
  const uint8_t *codes = w.tileCodes(tile);
  const float *tileScales = w.tileScales(tile);
  const uint8_t *tileZeros = w.tileZeros(tile);
  const int8_t *x = a.quantizedRow(row);
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t g = 0; g < w.groups; ++g) {
    const __m256 scale[2] = {_mm256_loadu_ps(tileScales + g * kTileColumns),
                             _mm256_loadu_ps(tileScales + g * kTileColumns + 8)};
    const int64_t endBlock = std::min((g + 1) * w.blocksPerGroup, w.blocks);
    for (int64_t b = g * w.blocksPerGroup; b < endBlock; ++b) {
      __m256i dot16[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
      for (int quad = 0; quad < 4; ++quad)
        for (int half = 0; half < 2; ++half) {
          const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
              codes + b * kBlockBytes + quad * kQuadBytes + 32 * half));
          // 16-bit shift for the high nibbles: bits shifted in from the next byte are masked off.
          dot16[half] = accumulateQuad(dot16[half], _mm256_and_si256(packed, lowNibbles),
                                       _mm256_and_si256(_mm256_srli_epi16(packed, 4), lowNibbles),
                                       x + b * kBlockK + quad * 8);
        }
      for (int half = 0; half < 2; ++half)
        acc[half] = accumulateBlock(acc[half], dot16[half], scale[half], a.blockScaleRow(row)[b]);
    }
    for (int half = 0; half < 2; ++half)
      acc[half] = accumulateZeroPoint(acc[half], tileScales, tileZeros, g, half,
                                      a.groupSumRow(row)[g]);
  }
  _mm256_storeu_ps(dst, acc[0]);
  _mm256_storeu_ps(dst + 8, acc[1]);
}

// Two rows per pass, so each unpacked code register is used twice. Half by
// half over the group (the second half finds the group's codes in L1): with
// both halves at once the compiler keeps all unpacked quads and broadcasts
// of the block live and spills them.
AWQ_AVX2 void int8RowPair(const PackedWeights &w, const PreparedActivations &a, int64_t tile,
                          int64_t row0, float *dst) {
  const __m256i lowNibbles = _mm256_set1_epi8(0x0F);
  const uint8_t *codes = w.tileCodes(tile);
  const float *tileScales = w.tileScales(tile);
  const uint8_t *tileZeros = w.tileZeros(tile);
  const int8_t *x[2] = {a.quantizedRow(row0), a.quantizedRow(row0 + 1)};
  __m256 acc[2][2] = {{_mm256_setzero_ps(), _mm256_setzero_ps()},
                      {_mm256_setzero_ps(), _mm256_setzero_ps()}};
  for (int64_t g = 0; g < w.groups; ++g) {
    const int64_t endBlock = std::min((g + 1) * w.blocksPerGroup, w.blocks);
    for (int half = 0; half < 2; ++half) {
      const __m256 scale = _mm256_loadu_ps(tileScales + g * kTileColumns + 8 * half);
      for (int64_t b = g * w.blocksPerGroup; b < endBlock; ++b) {
        __m256i dot16[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        for (int quad = 0; quad < 4; ++quad) {
          const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
              codes + b * kBlockBytes + quad * kQuadBytes + 32 * half));
          const __m256i low = _mm256_and_si256(packed, lowNibbles);
          const __m256i high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), lowNibbles);
          for (int r = 0; r < 2; ++r)
            dot16[r] = accumulateQuad(dot16[r], low, high, x[r] + b * kBlockK + quad * 8);
        }
        for (int r = 0; r < 2; ++r)
          acc[r][half] =
              accumulateBlock(acc[r][half], dot16[r], scale, a.blockScaleRow(row0 + r)[b]);
      }
    }
    for (int r = 0; r < 2; ++r)
      for (int half = 0; half < 2; ++half)
        acc[r][half] = accumulateZeroPoint(acc[r][half], tileScales, tileZeros, g, half,
                                           a.groupSumRow(row0 + r)[g]);
  }
  for (int r = 0; r < 2; ++r)
    for (int half = 0; half < 2; ++half)
      _mm256_storeu_ps(dst + r * kTileColumns + 8 * half, acc[r][half]);
}

AWQ_AVX2 void int8Tile(const PackedWeights &w, const PreparedActivations &a, int64_t tile,
                       int64_t row0, int64_t rows, float *dst) {
  int64_t r = 0;
  for (; r + 2 <= rows; r += 2)
    int8RowPair(w, a, tile, row0 + r, dst + r * kTileColumns);
  if (r < rows)
    int8Row(w, a, tile, row0 + r, dst + r * kTileColumns);
}

// fp32 activations, one row. Byte j of a lane holds code(8v+j) in its low and
// code(8v+4+j) in its high nibble. AND with 0x0F << 8j leaves code * 2^(8j) in
// the lane, which converts to float exactly (at most 28 significant bits, 4
// of them set), so each j accumulates in its own register scaled by 2^(8j)
// and is scaled back once per group: 1 AND + 1 convert + 1 FMA per 8 MACs.
AWQ_AVX2 void f32Row(const PackedWeights &w, const float *x, const float *groupSums,
                     int64_t tile, float *dst) {
  const uint8_t *codes = w.tileCodes(tile);
  const float *tileScales = w.tileScales(tile);
  const uint8_t *tileZeros = w.tileZeros(tile);
  const __m256i byteMask[4] = {_mm256_set1_epi32(0x0F), _mm256_set1_epi32(0x0F00),
                               _mm256_set1_epi32(0x0F0000), _mm256_set1_epi32(0x0F000000)};
  const __m256 unscale[4] = {_mm256_set1_ps(1.0f), _mm256_set1_ps(0x1p-8f),
                             _mm256_set1_ps(0x1p-16f), _mm256_set1_ps(0x1p-24f)};
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t g = 0; g < w.groups; ++g) {
    __m256 groupDot[2][4];
    for (int half = 0; half < 2; ++half)
      for (int j = 0; j < 4; ++j)
        groupDot[half][j] = _mm256_setzero_ps();
    const int64_t endBlock = std::min((g + 1) * w.blocksPerGroup, w.blocks);
    for (int64_t b = g * w.blocksPerGroup; b < endBlock; ++b) {
      for (int quad = 0; quad < 4; ++quad) {
        const uint8_t *bytes = codes + b * kBlockBytes + quad * kQuadBytes;
        const float *xq = x + b * kBlockK + quad * 8;
        __m256i low[2], high[2];
        for (int half = 0; half < 2; ++half) {
          low[half] = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(bytes + 32 * half));
          high[half] = _mm256_srli_epi32(low[half], 4); // high nibbles to the low positions
        }
        for (int j = 0; j < 4; ++j) {
          const __m256 xLow = _mm256_set1_ps(xq[j]), xHigh = _mm256_set1_ps(xq[4 + j]);
          for (int half = 0; half < 2; ++half) {
            groupDot[half][j] = _mm256_fmadd_ps(
                _mm256_cvtepi32_ps(_mm256_and_si256(low[half], byteMask[j])), xLow,
                groupDot[half][j]);
            groupDot[half][j] = _mm256_fmadd_ps(
                _mm256_cvtepi32_ps(_mm256_and_si256(high[half], byteMask[j])), xHigh,
                groupDot[half][j]);
          }
        }
      }
    }
    const __m256 groupSum = _mm256_set1_ps(groupSums[g]);
    for (int half = 0; half < 2; ++half) {
      __m256 dot = groupDot[half][0];
      for (int j = 1; j < 4; ++j)
        dot = _mm256_fmadd_ps(groupDot[half][j], unscale[j], dot);
      const __m256 scale = _mm256_loadu_ps(tileScales + g * kTileColumns + 8 * half);
      acc[half] = _mm256_fmadd_ps(dot, scale, acc[half]);
      acc[half] =
          _mm256_fmadd_ps(negScaleZero(tileScales, tileZeros, g, half), groupSum, acc[half]);
    }
  }
  _mm256_storeu_ps(dst, acc[0]);
  _mm256_storeu_ps(dst + 8, acc[1]);
}

AWQ_AVX2 void f32Tile(const PackedWeights &w, const PreparedActivations &a, int64_t tile,
                      int64_t row0, int64_t rows, float *dst) {
  for (int64_t r = 0; r < rows; ++r)
    f32Row(w, a.row(row0 + r), a.groupSumRow(row0 + r), tile, dst + r * kTileColumns);
}

// Writes rows k < K of the tile's [K x 16] dequantized slice.
AWQ_AVX2 void dequantizeTile(const PackedWeights &w, int64_t tile, float *dst, int64_t ld) {
  const uint8_t *codes = w.tileCodes(tile);
  const float *tileScales = w.tileScales(tile);
  const uint8_t *tileZeros = w.tileZeros(tile);
  const __m256i nibble = _mm256_set1_epi32(0x0F);
  for (int64_t g = 0; g < w.groups; ++g) {
    __m256 scale[2], offset[2];
    for (int half = 0; half < 2; ++half) {
      scale[half] = _mm256_loadu_ps(tileScales + g * kTileColumns + 8 * half);
      offset[half] = negScaleZero(tileScales, tileZeros, g, half);
    }
    const int64_t begin = g * w.blocksPerGroup * kBlockK;
    const int64_t end = std::min(begin + w.blocksPerGroup * kBlockK, w.k);
    for (int64_t index = begin; index < end; ++index) {
      const int64_t r = index % kBlockK, within = r % 8;
      const uint8_t *bytes = codes + index / kBlockK * kBlockBytes + r / 8 * kQuadBytes;
      const int shift = static_cast<int>(within % 4 * 8 + within / 4 * 4);
      for (int half = 0; half < 2; ++half) {
        const __m256i packed =
            _mm256_loadu_si256(reinterpret_cast<const __m256i *>(bytes + 32 * half));
        const __m256 code = _mm256_cvtepi32_ps(
            _mm256_and_si256(_mm256_srl_epi32(packed, _mm_cvtsi32_si128(shift)), nibble));
        _mm256_storeu_ps(dst + index * ld + 8 * half,
                         _mm256_fmadd_ps(code, scale[half], offset[half]));
      }
    }
  }
}

} // namespace

namespace awq::rt {

const GroupKernels &avx2GroupKernels() {
  static const GroupKernels kernels{AWQ_GROUP_ISA_AVX2, f32Tile, int8Tile, dequantizeTile};
  return kernels;
}

} // namespace awq::rt

#endif // x86
