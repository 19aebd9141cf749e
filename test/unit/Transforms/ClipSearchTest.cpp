//===- ClipSearchTest.cpp - AWQ's clipping search and token sampling ------===//
//
// awq-reference.md section 4: per (row, group), clamp to amax * (1 - i/20)
// for i = 0..9 and keep the clamp with the lowest mean squared group output
// error over the sampled tokens; tokens are sampled by llm-awq's stride.
//
//===----------------------------------------------------------------------===//

#include "awq/Transforms/ClipSearch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace {

/// Rows 0..t-1 of a [t, 1] matrix holding its own row index.
std::vector<float> rowIndices(int64_t t) {
  std::vector<float> x(t);
  for (int64_t i = 0; i < t; ++i)
    x[i] = static_cast<float>(i);
  return x;
}

TEST(SampleTokensByStride, StrideRoundsDownAsLlmAwq) {
  // 1100 tokens, 512 wanted: stride 1100 / 512 = 2, so 550 rows (more than
  // 512: llm-awq's input_feat[:, 0::n // 512]).
  int64_t sampled = 0;
  std::vector<float> x = awq::sampleTokensByStride(rowIndices(1100), 1100, 1, 512, sampled);
  EXPECT_EQ(sampled, 550);
  ASSERT_EQ(x.size(), 550u);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_EQ(x[1], 2.0f);
  EXPECT_EQ(x[549], 1098.0f);
}

TEST(SampleTokensByStride, FewTokensAreAllKept) {
  int64_t sampled = 0;
  awq::sampleTokensByStride(rowIndices(300), 300, 1, 512, sampled);
  EXPECT_EQ(sampled, 300);
  awq::sampleTokensByStride(rowIndices(1023), 1023, 1, 512, sampled);
  EXPECT_EQ(sampled, 1023);
}

TEST(SampleTokensByStride, KeepsWholeRows) {
  std::vector<float> x{0, 1, 10, 11, 20, 21, 30, 31};
  int64_t sampled = 0;
  std::vector<float> result = awq::sampleTokensByStride(x, 4, 2, 2, sampled);
  EXPECT_EQ(sampled, 2);
  EXPECT_EQ(result, (std::vector<float>{0, 1, 20, 21}));
}

/// Mean over tokens of (x_g . (Q(clamp(w_g, c)) - w_g))^2 for one row and
/// group, in double, independently of searchClip's batching.
double groupError(const std::vector<float> &w, int64_t n, int64_t k,
                  const std::vector<float> &x, int64_t t,
                  const awq::QuantizerConfig &config, int64_t row, int64_t group,
                  float clip) {
  int64_t groups = (k + config.groupSize - 1) / config.groupSize;
  std::vector<float> clips(n * groups, std::numeric_limits<float>::infinity());
  clips[row * groups + group] = clip;
  std::vector<float> q = awq::fakeQuantize(w, n, k, config, clips);
  double sum = 0;
  int64_t start = group * config.groupSize;
  int64_t end = std::min(k, start + config.groupSize);
  for (int64_t token = 0; token < t; ++token) {
    double e = 0;
    for (int64_t c = start; c < end; ++c)
      e += static_cast<double>(x[token * k + c]) *
           (q[row * k + c] - static_cast<double>(w[row * k + c]));
    sum += e * e;
  }
  return sum / t;
}

/// awq-reference.md section 4 (llm-awq's n_grid = 20, max_shrink = 0.5):
/// amax x {1.0, 0.95, ..., 0.55}.
constexpr int64_t kReferenceSteps = 10;

TEST(SearchClip, GridIsLlmAwqs) {
  EXPECT_EQ(awq::kClipSteps, kReferenceSteps);
  EXPECT_DOUBLE_EQ(1.0 - (awq::kClipSteps - 1) * awq::kClipStepSize, 0.55);
}

TEST(SearchClip, PicksTheGridPointWithTheLowestGroupError) {
  // Heavy-tailed weights, where clipping the outliers often pays at 3 bits.
  const int64_t n = 6, k = 20, t = 40;
  const awq::QuantizerConfig config{3, 8, true};
  std::mt19937 rng(7);
  std::student_t_distribution<float> heavy(2.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w(n * k), x(t * k);
  for (float &v : w)
    v = heavy(rng);
  for (float &v : x)
    v = normal(rng);

  std::vector<float> clip = awq::searchClip(w, n, k, x, t, config);
  const int64_t groups = 3; // 8 + 8 + a partial group of 4
  ASSERT_EQ(clip.size(), static_cast<size_t>(n * groups));
  int64_t clipped = 0;
  for (int64_t row = 0; row < n; ++row)
    for (int64_t g = 0; g < groups; ++g) {
      float amax = 0;
      for (int64_t c = g * 8; c < std::min<int64_t>(k, g * 8 + 8); ++c)
        amax = std::max(amax, std::fabs(w[row * k + c]));
      // The chosen clamp is one of amax * {1.0, 0.95, ..., 0.55} ...
      int64_t chosen = -1;
      double best = std::numeric_limits<double>::infinity();
      int64_t bestStep = -1;
      for (int64_t step = 0; step < kReferenceSteps; ++step) {
        float candidate = static_cast<float>(amax * (1.0 - step / 20.0));
        if (candidate == clip[row * groups + g])
          chosen = step;
        double error = groupError(w, n, k, x, t, config, row, g, candidate);
        if (error < best * (1 - 1e-6)) {
          best = error;
          bestStep = step;
        }
      }
      ASSERT_GE(chosen, 0) << "row " << row << " group " << g << ": clip "
                           << clip[row * groups + g] << " is off the grid";
      // ... and the one with the lowest error (up to f32 accumulation).
      double chosenError =
          groupError(w, n, k, x, t, config, row, g, clip[row * groups + g]);
      EXPECT_LE(chosenError, best * (1 + 1e-4))
          << "row " << row << " group " << g << ": step " << chosen
          << " instead of " << bestStep;
      clipped += chosen > 0;
    }
  // The data is chosen so that the search has something to do.
  EXPECT_GT(clipped, 0);
}

TEST(SearchClip, ExactlyRepresentableWeightsAreNotClipped) {
  // Each group already lies on a 4-bit grid: quantization is exact at amax,
  // and any clamp adds error.
  const int64_t n = 2, k = 4, t = 3;
  const awq::QuantizerConfig config{4, 4, true};
  std::vector<float> w{-1.5f, 0.0f, 0.5f, 6.0f, //
                       0.0f, 1.0f, 2.0f, 15.0f};
  std::vector<float> x{1, 2, 3, 4, -1, 0.5f, 2, 1, 0, 0, 1, 3};
  std::vector<float> clip = awq::searchClip(w, n, k, x, t, config);
  EXPECT_EQ(clip, (std::vector<float>{6.0f, 15.0f}));
}

} // namespace
