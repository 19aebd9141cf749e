// GroupMatmulScalar.cpp - portable tile kernels over the tiled W4 layout.
//
// These run on any CPU (and when AWQ_GROUP_ISA=scalar) and spell out, one
// column at a time, the arithmetic the SIMD kernels vectorize:
//   fp32 activations: per group, sum_k x[k] * code[k] in f32, then
//                     acc += scale * that - scale * zero * sum_k x[k]
//   int8 activations: per block, sum_k xq[k] * code[k] in int32, then
//                     acc += float(that) * (scale * blockScale);
//                     per group acc += -scale * zero * groupSum
// See GroupMatmulKernels.h for the layout and PreparedActivations.
#include "GroupMatmulKernels.h"

using namespace awq::rt;

namespace {

float zeroOf(const uint8_t *tileZeros, int64_t slot) {
  return tileZeros ? static_cast<float>(tileZeros[slot]) : 8.0f;
}

void f32Tile(const PackedWeights &w, const PreparedActivations &a, int64_t tile, int64_t row0,
             int64_t rows, float *dst) {
  const int64_t first = tile * kTileColumns;
  const float *scales = w.tileScales(tile);
  const uint8_t *zeros = w.tileZeros(tile);
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = a.row(row0 + r);
    const float *groupSums = a.groupSumRow(row0 + r);
    for (int64_t c = 0; c < kTileColumns; ++c) {
      float acc = 0.0f;
      for (int64_t g = 0; g < w.groups; ++g) {
        const int64_t begin = g * w.blocksPerGroup * kBlockK;
        const int64_t end = std::min(begin + w.blocksPerGroup * kBlockK, w.paddedK);
        float groupDot = 0.0f;
        for (int64_t index = begin; index < end; ++index)
          groupDot += x[index] * static_cast<float>(tiledCode(w, first + c, index));
        const float scale = scales[g * kTileColumns + c];
        acc += groupDot * scale - scale * zeroOf(zeros, g * kTileColumns + c) * groupSums[g];
      }
      dst[r * kTileColumns + c] = acc;
    }
  }
}

void int8Tile(const PackedWeights &w, const PreparedActivations &a, int64_t tile, int64_t row0,
              int64_t rows, float *dst) {
  const int64_t first = tile * kTileColumns;
  const float *scales = w.tileScales(tile);
  const uint8_t *zeros = w.tileZeros(tile);
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t *xq = a.quantizedRow(row0 + r);
    const float *blockScales = a.blockScaleRow(row0 + r);
    const float *groupSums = a.groupSumRow(row0 + r);
    for (int64_t c = 0; c < kTileColumns; ++c) {
      float acc = 0.0f;
      for (int64_t g = 0; g < w.groups; ++g) {
        const float scale = scales[g * kTileColumns + c];
        const int64_t endBlock = std::min((g + 1) * w.blocksPerGroup, w.blocks);
        for (int64_t b = g * w.blocksPerGroup; b < endBlock; ++b) {
          int32_t blockDot = 0;
          for (int64_t index = b * kBlockK; index < (b + 1) * kBlockK; ++index)
            blockDot += xq[index] * tiledCode(w, first + c, index);
          acc += static_cast<float>(blockDot) * (scale * blockScales[b]);
        }
        acc += -(scale * zeroOf(zeros, g * kTileColumns + c)) * groupSums[g];
      }
      dst[r * kTileColumns + c] = acc;
    }
  }
}

void dequantizeTile(const PackedWeights &w, int64_t tile, float *dst, int64_t ld) {
  const float *scales = w.tileScales(tile);
  const uint8_t *zeros = w.tileZeros(tile);
  for (int64_t index = 0; index < w.k; ++index) {
    const int64_t g = index / (w.blocksPerGroup * kBlockK);
    for (int64_t c = 0; c < kTileColumns; ++c) {
      const float scale = scales[g * kTileColumns + c];
      const float code = tiledCode(w, tile * kTileColumns + c, index);
      dst[index * ld + c] = code * scale - scale * zeroOf(zeros, g * kTileColumns + c);
    }
  }
}

} // namespace

namespace awq::rt {

const GroupKernels &scalarGroupKernels() {
  static const GroupKernels kernels{AWQ_GROUP_ISA_SCALAR, f32Tile, int8Tile, dequantizeTile};
  return kernels;
}

} // namespace awq::rt
