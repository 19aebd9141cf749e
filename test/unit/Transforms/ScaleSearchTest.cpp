//===- ScaleSearchTest.cpp - The math of AWQ's scale search ---------------===//
//
// awq-reference.md section 2: candidate scales s = x̄^α (or duo's
// x̄^α / (w̄^(1-α) + 1e-4)), floored at 1e-4 and normalized by
// sqrt(max(s) min(s)); the grid search over α keeps the lowest loss.
//
//===----------------------------------------------------------------------===//

#include "awq/Transforms/ScaleSearch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

TEST(CandidateScales, AlphaZeroIsIdentity) {
  std::vector<float> xMean{0.5f, 3.0f, 0.01f, 7.0f};
  for (float s : awq::candidateScales(xMean, {}, 0.0))
    EXPECT_FLOAT_EQ(s, 1.0f);
}

TEST(CandidateScales, NormalizedBySqrtOfMaxTimesMin) {
  std::vector<float> xMean{0.25f, 1.0f, 4.0f, 9.0f};
  std::vector<float> s = awq::candidateScales(xMean, {}, 0.5);
  // Raw x̄^0.5 = [0.5, 1, 2, 3]; sqrt(3 * 0.5) normalizes, so the extremes
  // multiply to 1 and the ratios are kept.
  double norm = std::sqrt(3.0 * 0.5);
  EXPECT_NEAR(s[0], 0.5 / norm, 1e-6);
  EXPECT_NEAR(s[1], 1.0 / norm, 1e-6);
  EXPECT_NEAR(s[2], 2.0 / norm, 1e-6);
  EXPECT_NEAR(s[3], 3.0 / norm, 1e-6);
  EXPECT_NEAR(s[0] * s[3], 1.0, 1e-6);
}

TEST(CandidateScales, AlphaOneFollowsActivations) {
  std::vector<float> xMean{2.0f, 8.0f};
  std::vector<float> s = awq::candidateScales(xMean, {}, 1.0);
  EXPECT_NEAR(s[0], 0.5, 1e-6);
  EXPECT_NEAR(s[1], 2.0, 1e-6);
}

TEST(CandidateScales, DeadChannelIsFloored) {
  // A channel that never fires would get s = 0 and an infinite 1/s; the
  // 1e-4 floor keeps it finite (before normalization).
  std::vector<float> xMean{0.0f, 1.0f};
  std::vector<float> s = awq::candidateScales(xMean, {}, 0.5);
  double norm = std::sqrt(1e-4 * 1.0);
  EXPECT_NEAR(s[0], 1e-4 / norm, 1e-6);
  EXPECT_NEAR(s[1], 1.0 / norm, 1e-4);
}

TEST(CandidateScales, DuoFormula) {
  std::vector<float> xMean{1.0f, 4.0f, 0.25f};
  std::vector<float> wMean{0.5f, 0.2f, 0.9f};
  double alpha = 0.3;
  std::vector<float> s = awq::candidateScales(xMean, wMean, alpha);
  std::vector<double> raw(3);
  for (int c = 0; c < 3; ++c)
    raw[c] = std::pow(xMean[c], alpha) / (std::pow(wMean[c], 1 - alpha) + 1e-4);
  double norm = std::sqrt(*std::max_element(raw.begin(), raw.end()) *
                          *std::min_element(raw.begin(), raw.end()));
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(s[c], raw[c] / norm, 1e-6) << "channel " << c;
}

TEST(WeightChannelMeans, MeanOfGroupNormalizedMagnitudes) {
  // One [2, 4] weight, groups of 2: each |w| divided by its group's absmax
  // (+ 1e-6), averaged over the rows.
  std::vector<float> w{1.0f, -2.0f, 0.5f, 0.5f, //
                       -4.0f, 4.0f, 0.0f, 3.0f};
  std::vector<float> means = awq::weightChannelMeans({w}, {2}, 4, 2);
  ASSERT_EQ(means.size(), 4u);
  EXPECT_NEAR(means[0], (0.5 + 1.0) / 2, 1e-5);
  EXPECT_NEAR(means[1], (1.0 + 1.0) / 2, 1e-5);
  EXPECT_NEAR(means[2], (1.0 + 0.0) / 2, 1e-5);
  EXPECT_NEAR(means[3], (1.0 + 1.0) / 2, 1e-5);
}

TEST(SearchScales, EvaluatesTheWholeGridAndKeepsTheMinimum) {
  std::vector<float> xMean{1.0f, 16.0f};
  std::vector<double> alphas;
  // A loss with its minimum at alpha = 0.75, read back from the scales:
  // s1 / s0 = 16^alpha.
  auto loss = [&](llvm::ArrayRef<float> s) {
    double alpha = std::log(s[1] / s[0]) / std::log(16.0);
    alphas.push_back(alpha);
    return (alpha - 0.75) * (alpha - 0.75) + 1.0;
  };
  awq::ScaleSearchResult result = awq::searchScales(xMean, {}, 20, loss);
  ASSERT_EQ(alphas.size(), 21u);
  EXPECT_NEAR(alphas.front(), 0.0, 1e-6);
  EXPECT_NEAR(alphas.back(), 1.0, 1e-6);
  EXPECT_DOUBLE_EQ(result.alpha, 0.75);
  EXPECT_NEAR(result.loss, 1.0, 1e-9);
  EXPECT_NEAR(result.identityLoss, 0.75 * 0.75 + 1.0, 1e-9);
  EXPECT_NEAR(result.scales[1] / result.scales[0], 8.0, 1e-4);
}

TEST(SearchScales, TiesKeepTheSmallerAlpha) {
  awq::ScaleSearchResult result =
      awq::searchScales({1.0f, 2.0f}, {}, 4, [](llvm::ArrayRef<float>) { return 3.0; });
  EXPECT_EQ(result.alpha, 0.0);
  EXPECT_EQ(result.loss, 3.0);
}

} // namespace
