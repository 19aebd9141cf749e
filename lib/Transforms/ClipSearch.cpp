//===- ClipSearch.cpp - AWQ's weight clipping search ----------------------===//

#include "awq/Transforms/ClipSearch.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace awq {

std::vector<float> sampleTokensByStride(llvm::ArrayRef<float> x, int64_t t,
                                        int64_t k, int64_t targetTokens,
                                        int64_t &sampled) {
  // llm-awq: input_feat[:, 0::n_token // n_sample_token]. The stride rounds
  // down, so between targetTokens and 2 * targetTokens - 1 rows remain (all
  // of them below 2 * targetTokens tokens).
  int64_t stride = std::max<int64_t>(1, t / targetTokens);
  std::vector<float> result;
  sampled = 0;
  for (int64_t row = 0; row < t; row += stride, ++sampled)
    result.insert(result.end(), x.begin() + row * k, x.begin() + (row + 1) * k);
  return result;
}

std::vector<float> searchClip(llvm::ArrayRef<float> w, int64_t n, int64_t k,
                              llvm::ArrayRef<float> x, int64_t t,
                              const QuantizerConfig &config) {
  int64_t groupSize = config.groupSize;
  int64_t groups = llvm::divideCeil(k, groupSize);
  std::vector<float> amax(n * groups, 0.0f);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t c = 0; c < k; ++c) {
      float &slot = amax[row * groups + c / groupSize];
      slot = std::max(slot, std::fabs(w[row * k + c]));
    }

  // Each group's tokens as a contiguous [t, width] block, extracted once.
  std::vector<std::vector<float>> groupInputs(groups);
  for (int64_t g = 0; g < groups; ++g) {
    int64_t start = g * groupSize, width = std::min(groupSize, k - start);
    groupInputs[g].resize(t * width);
    for (int64_t token = 0; token < t; ++token)
      std::copy_n(x.begin() + token * k + start, width,
                  groupInputs[g].begin() + token * width);
  }

  std::vector<float> best = amax;
  std::vector<double> bestError(n * groups,
                                std::numeric_limits<double>::infinity());
  std::vector<float> clip(n * groups), delta;
  for (int64_t step = 0; step < kClipSteps; ++step) {
    double shrink = 1.0 - step * kClipStepSize;
    for (size_t i = 0; i < clip.size(); ++i)
      clip[i] = static_cast<float>(amax[i] * shrink);
    std::vector<float> quantized = fakeQuantize(w, n, k, config, clip);
    for (int64_t g = 0; g < groups; ++g) {
      int64_t start = g * groupSize, width = std::min(groupSize, k - start);
      // x_g . (Q(w_g) - w_g) is the error of the group's partial output.
      delta.resize(n * width);
      for (int64_t row = 0; row < n; ++row)
        for (int64_t c = 0; c < width; ++c)
          delta[row * width + c] =
              quantized[row * k + start + c] - w[row * k + start + c];
      std::vector<float> error = linearForward(groupInputs[g], t, width, delta, n);
      for (int64_t row = 0; row < n; ++row) {
        double sum = 0;
        for (int64_t token = 0; token < t; ++token) {
          double e = error[token * n + row];
          sum += e * e;
        }
        double mean = sum / std::max<int64_t>(t, 1);
        int64_t index = row * groups + g;
        if (mean < bestError[index]) {
          bestError[index] = mean;
          best[index] = clip[index];
        }
      }
    }
  }
  return best;
}

} // namespace awq
