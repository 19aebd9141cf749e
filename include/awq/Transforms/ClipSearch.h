//===- ClipSearch.h - AWQ's weight clipping search --------------*- C++ -*-===//
//
// awq-reference.md section 4: per (output row, quantization group), try
// clamping the weights to amax * (1 - i/20), i = 0..9, and keep the clamp
// whose quantized group output on sample tokens is closest to the original.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TRANSFORMS_CLIPSEARCH_H
#define AWQ_TRANSFORMS_CLIPSEARCH_H

#include "awq/Transforms/QuantizerMath.h"

#include <vector>

namespace awq {

/// Number of shrink steps and their size: amax x {1.0, 0.95, ..., 0.55}, as
/// llm-awq's auto_clip (n_grid = 20, max_shrink = 0.5).
inline constexpr int64_t kClipSteps = 10;
inline constexpr double kClipStepSize = 1.0 / 20;

/// Every `stride`-th row of x [t, k], stride = max(1, t / targetTokens)
/// rounded down as llm-awq's auto_clip does: at least min(t, targetTokens)
/// and fewer than 2 * targetTokens rows. `sampled` gets the row count.
std::vector<float> sampleTokensByStride(llvm::ArrayRef<float> x, int64_t t,
                                        int64_t k, int64_t targetTokens,
                                        int64_t &sampled);

/// The clip value per (row, group) of w [n, k] (f32 [n, ceil(k / group)])
/// minimizing, per group, the mean over the tokens x [t, k] of
/// (x_g . Q(clamp(w_g)) - x_g . w_g)^2.
std::vector<float> searchClip(llvm::ArrayRef<float> w, int64_t n, int64_t k,
                              llvm::ArrayRef<float> x, int64_t t,
                              const QuantizerConfig &config);

} // namespace awq

#endif // AWQ_TRANSFORMS_CLIPSEARCH_H
