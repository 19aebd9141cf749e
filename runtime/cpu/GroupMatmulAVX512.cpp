// GroupMatmulAVX512.cpp - AVX-512 tile kernels over the tiled W4 layout.
//
// The tile's 16 columns fill one zmm register (16 x 32-bit lanes), so a quad
// of 64 bytes is one load. The int8 path uses VNNI's vpdpbusd, which multiplies
// 4 unsigned code bytes by 4 signed activation bytes and adds them straight
// into an int32 lane: no int16 intermediate and no widening step. The
// dispatcher selects this file only on CPUs with AVX-512 F/BW/VL + VNNI, and,
// as in the AVX2 file, every function carries its own target attribute.
#include "GroupMatmulKernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

using namespace awq::rt;

#define AWQ_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")))

namespace {

AWQ_AVX512 inline __m512i broadcast4Bytes(const int8_t *p) {
  int32_t word;
  std::memcpy(&word, p, 4);
  return _mm512_set1_epi32(word);
}

// -scale * zero for the tile's 16 columns of group g.
AWQ_AVX512 inline __m512 negScaleZero(const float *tileScales, const uint8_t *tileZeros,
                                      int64_t g) {
  const __m512 scale = _mm512_loadu_ps(tileScales + g * kTileColumns);
  __m512 zero = _mm512_set1_ps(8.0f);
  if (tileZeros) {
    const __m128i bytes =
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(tileZeros + g * kTileColumns));
    zero = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
  }
  return _mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), scale), zero);
}

// int8 activations, `Rows` rows of x per pass over the tile (32 zmm registers
// leave room for 4 rows: 4 int32 dots + 4 float accumulators).
template <int Rows>
AWQ_AVX512 void int8Rows(const PackedWeights &w, const PreparedActivations &a, int64_t tile,
                         int64_t row0, float *dst) {
  const __m512i lowNibbles = _mm512_set1_epi8(0x0F);
  const uint8_t *codes = w.tileCodes(tile);
  const float *tileScales = w.tileScales(tile);
  const uint8_t *tileZeros = w.tileZeros(tile);
  __m512 acc[Rows];
  for (int r = 0; r < Rows; ++r)
    acc[r] = _mm512_setzero_ps();

  for (int64_t g = 0; g < w.groups; ++g) {
    const __m512 scale = _mm512_loadu_ps(tileScales + g * kTileColumns);
    const int64_t endBlock = std::min((g + 1) * w.blocksPerGroup, w.blocks);
    for (int64_t b = g * w.blocksPerGroup; b < endBlock; ++b) {
      const uint8_t *block = codes + b * kBlockBytes;
      __m512i dot[Rows];
      for (int r = 0; r < Rows; ++r)
        dot[r] = _mm512_setzero_si512();
      for (int quad = 0; quad < 4; ++quad) {
        const __m512i packed = _mm512_loadu_si512(block + quad * kQuadBytes);
        const __m512i low = _mm512_and_si512(packed, lowNibbles);
        // 16-bit shift: the bits shifted in from the next byte are masked off.
        const __m512i high = _mm512_and_si512(_mm512_srli_epi16(packed, 4), lowNibbles);
        for (int r = 0; r < Rows; ++r) {
          const int8_t *x = a.quantizedRow(row0 + r) + b * kBlockK + quad * 8;
          dot[r] = _mm512_dpbusd_epi32(dot[r], low, broadcast4Bytes(x));
          dot[r] = _mm512_dpbusd_epi32(dot[r], high, broadcast4Bytes(x + 4));
        }
      }
      for (int r = 0; r < Rows; ++r) {
        const __m512 blockScale = _mm512_set1_ps(a.blockScaleRow(row0 + r)[b]);
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[r]), _mm512_mul_ps(scale, blockScale),
                                 acc[r]);
      }
    }
    const __m512 zeroTerm = negScaleZero(tileScales, tileZeros, g);
    for (int r = 0; r < Rows; ++r)
      acc[r] = _mm512_fmadd_ps(zeroTerm, _mm512_set1_ps(a.groupSumRow(row0 + r)[g]), acc[r]);
  }
  for (int r = 0; r < Rows; ++r)
    _mm512_storeu_ps(dst + r * kTileColumns, acc[r]);
}

AWQ_AVX512 void int8Tile(const PackedWeights &w, const PreparedActivations &a, int64_t tile,
                         int64_t row0, int64_t rows, float *dst) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4)
    int8Rows<4>(w, a, tile, row0 + r, dst + r * kTileColumns);
  for (; r < rows; ++r)
    int8Rows<1>(w, a, tile, row0 + r, dst + r * kTileColumns);
}

// fp32 activations, one row; the same 2^(8j) trick as the AVX2 f32Row.
AWQ_AVX512 void f32Row(const PackedWeights &w, const float *x, const float *groupSums,
                       int64_t tile, float *dst) {
  const uint8_t *codes = w.tileCodes(tile);
  const float *tileScales = w.tileScales(tile);
  const uint8_t *tileZeros = w.tileZeros(tile);
  const __m512i byteMask[4] = {_mm512_set1_epi32(0x0F), _mm512_set1_epi32(0x0F00),
                               _mm512_set1_epi32(0x0F0000), _mm512_set1_epi32(0x0F000000)};
  const __m512 unscale[4] = {_mm512_set1_ps(1.0f), _mm512_set1_ps(0x1p-8f),
                             _mm512_set1_ps(0x1p-16f), _mm512_set1_ps(0x1p-24f)};
  __m512 acc = _mm512_setzero_ps();
  for (int64_t g = 0; g < w.groups; ++g) {
    // Two accumulators per j (low / high nibbles) keep 8 FMA chains in flight.
    __m512 groupDot[2][4];
    for (int part = 0; part < 2; ++part)
      for (int j = 0; j < 4; ++j)
        groupDot[part][j] = _mm512_setzero_ps();
    const int64_t endBlock = std::min((g + 1) * w.blocksPerGroup, w.blocks);
    for (int64_t b = g * w.blocksPerGroup; b < endBlock; ++b) {
      for (int quad = 0; quad < 4; ++quad) {
        const __m512i low = _mm512_loadu_si512(codes + b * kBlockBytes + quad * kQuadBytes);
        const __m512i high = _mm512_srli_epi32(low, 4); // high nibbles to the low positions
        const float *xq = x + b * kBlockK + quad * 8;
        for (int j = 0; j < 4; ++j) {
          groupDot[0][j] =
              _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_and_si512(low, byteMask[j])),
                              _mm512_set1_ps(xq[j]), groupDot[0][j]);
          groupDot[1][j] =
              _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_and_si512(high, byteMask[j])),
                              _mm512_set1_ps(xq[4 + j]), groupDot[1][j]);
        }
      }
    }
    __m512 dot = _mm512_add_ps(groupDot[0][0], groupDot[1][0]);
    for (int j = 1; j < 4; ++j)
      dot = _mm512_fmadd_ps(_mm512_add_ps(groupDot[0][j], groupDot[1][j]), unscale[j], dot);
    acc = _mm512_fmadd_ps(dot, _mm512_loadu_ps(tileScales + g * kTileColumns), acc);
    acc = _mm512_fmadd_ps(negScaleZero(tileScales, tileZeros, g), _mm512_set1_ps(groupSums[g]),
                          acc);
  }
  _mm512_storeu_ps(dst, acc);
}

AWQ_AVX512 void f32Tile(const PackedWeights &w, const PreparedActivations &a, int64_t tile,
                        int64_t row0, int64_t rows, float *dst) {
  for (int64_t r = 0; r < rows; ++r)
    f32Row(w, a.row(row0 + r), a.groupSumRow(row0 + r), tile, dst + r * kTileColumns);
}

AWQ_AVX512 void dequantizeTile(const PackedWeights &w, int64_t tile, float *dst, int64_t ld) {
  const uint8_t *codes = w.tileCodes(tile);
  const float *tileScales = w.tileScales(tile);
  const uint8_t *tileZeros = w.tileZeros(tile);
  const __m512i nibble = _mm512_set1_epi32(0x0F);
  for (int64_t g = 0; g < w.groups; ++g) {
    const __m512 scale = _mm512_loadu_ps(tileScales + g * kTileColumns);
    const __m512 offset = negScaleZero(tileScales, tileZeros, g);
    const int64_t begin = g * w.blocksPerGroup * kBlockK;
    const int64_t end = std::min(begin + w.blocksPerGroup * kBlockK, w.k);
    for (int64_t index = begin; index < end; ++index) {
      const int64_t r = index % kBlockK, within = r % 8;
      const __m512i packed =
          _mm512_loadu_si512(codes + index / kBlockK * kBlockBytes + r / 8 * kQuadBytes);
      const int shift = static_cast<int>(within % 4 * 8 + within / 4 * 4);
      const __m512 code = _mm512_cvtepi32_ps(
          _mm512_and_si512(_mm512_srl_epi32(packed, _mm_cvtsi32_si128(shift)), nibble));
      _mm512_storeu_ps(dst + index * ld, _mm512_fmadd_ps(code, scale, offset));
    }
  }
}

} // namespace

namespace awq::rt {

const GroupKernels &avx512GroupKernels() {
  static const GroupKernels kernels{AWQ_GROUP_ISA_AVX512, f32Tile, int8Tile, dequantizeTile};
  return kernels;
}

} // namespace awq::rt

#endif // x86
