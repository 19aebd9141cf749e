//===- QuantizerMath.h - Weight math the AWQ search evaluates ---*- C++ -*-===//
//
// Thin wrappers over the runtime's C ABI (one implementation of the
// quantizer and of the linear, shared with inference) for row-major f32
// matrices held in std::vector.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TRANSFORMS_QUANTIZERMATH_H
#define AWQ_TRANSFORMS_QUANTIZERMATH_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace awq {

/// The quantizer being simulated.
struct QuantizerConfig {
  int64_t bits = 4;
  /// Already resolved against K (effectiveGroupSize).
  int64_t groupSize = 128;
  bool zeroPoint = true;
};

/// dequantize(quantize(w)) for w [n, k], optionally clamped per (row, group)
/// by `clip` [n, ceil(k / groupSize)] first.
std::vector<float> fakeQuantize(llvm::ArrayRef<float> w, int64_t n, int64_t k,
                                const QuantizerConfig &config,
                                llvm::ArrayRef<float> clip = {});

/// x [t, k] times w [n, k] transposed: [t, n].
std::vector<float> linearForward(llvm::ArrayRef<float> x, int64_t t, int64_t k,
                                 llvm::ArrayRef<float> w, int64_t n);

/// Sum of squared differences, accumulated in double.
double sumSquaredError(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b);

} // namespace awq

#endif // AWQ_TRANSFORMS_QUANTIZERMATH_H
