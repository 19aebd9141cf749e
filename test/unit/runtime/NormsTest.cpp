// NormsTest.cpp - RMSNorm, LayerNorm and Softmax against double-precision references.
#include "TestUtil.h"

using namespace awq::test;

namespace {

std::vector<double> rmsNormReference(const std::vector<double> &x, const std::vector<double> &g,
                                     double eps, double offset) {
  const size_t h = g.size();
  std::vector<double> y(x.size());
  for (size_t r = 0; r < x.size() / h; ++r) {
    double ss = 0;
    for (size_t i = 0; i < h; ++i)
      ss += x[r * h + i] * x[r * h + i];
    const double inv = 1.0 / std::sqrt(ss / h + eps);
    for (size_t i = 0; i < h; ++i)
      y[r * h + i] = x[r * h + i] * inv * (offset + g[i]);
  }
  return y;
}

std::vector<double> layerNormReference(const std::vector<double> &x, const std::vector<double> &g,
                                       const std::vector<double> &b, double eps) {
  const size_t w = g.size();
  std::vector<double> y(x.size());
  for (size_t r = 0; r < x.size() / w; ++r) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < w; ++i)
      mean += x[r * w + i];
    mean /= w;
    for (size_t i = 0; i < w; ++i)
      var += (x[r * w + i] - mean) * (x[r * w + i] - mean);
    var /= w;
    for (size_t i = 0; i < w; ++i)
      y[r * w + i] = (x[r * w + i] - mean) / std::sqrt(var + eps) * g[i] + (b.empty() ? 0 : b[i]);
  }
  return y;
}

} // namespace

TEST(RmsNorm, MatchesReferenceWithAndWithoutGammaOffset) {
  const Shape shape{3, 5, 64};
  const HostTensor x = makeF32(shape, randomFloats(numelOf(shape), 1, -2, 2));
  const HostTensor gamma = makeF32({64}, randomFloats(64, 2, 0.5f, 1.5f));
  for (float offset : {0.0f, 1.0f}) {
    awq_tensor desc{};
    ASSERT_EQ(awq_rms_norm_shape(x.get(), gamma.get(), 1e-6f, offset, &desc), 0);
    HostTensor out = HostTensor::like(desc);
    ASSERT_EQ(awq_rms_norm(x.get(), gamma.get(), 1e-6f, offset, out.get()), 0) << awq_last_error();
    // f32 output: error is a few f32 ulps of values around 1.
    expectNear(out.asDoubles(), rmsNormReference(x.asDoubles(), gamma.asDoubles(), 1e-6, offset),
               1e-5, 1e-5);
  }
}

TEST(RmsNorm, HalfInputAndHalfGamma) {
  const HostTensor x = makeHalf(AWQ_BF16, {4, 32}, randomFloats(128, 3, -3, 3));
  const HostTensor gamma = makeHalf(AWQ_F16, {32}, randomFloats(32, 4, 0.5f, 1.5f));
  HostTensor out(AWQ_BF16, {4, 32});
  ASSERT_EQ(awq_rms_norm(x.get(), gamma.get(), 1e-5f, 0.0f, out.get()), 0) << awq_last_error();
  // bf16 output has 8 significant bits: 2^-8 relative from the final rounding.
  expectNear(out.asDoubles(), rmsNormReference(x.asDoubles(), gamma.asDoubles(), 1e-5, 0), 1e-3,
             1.0 / 128);
}

TEST(RmsNorm, Errors) {
  const HostTensor x = makeF32({2, 4}, std::vector<float>(8, 1));
  const HostTensor gamma = makeF32({3}, {1, 1, 1});
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_rms_norm_shape(x.get(), gamma.get(), 1e-6f, 0, &desc), "awq_rms_norm_shape",
                  "last dim is 4");
  const HostTensor ints = makeI64({4}, {1, 2, 3, 4});
  HostTensor out(AWQ_F32, {2, 4});
  EXPECT_OP_ERROR(awq_rms_norm(x.get(), ints.get(), 1e-6f, 0, out.get()), "awq_rms_norm",
                  "gamma must be f32");
}

TEST(LayerNorm, LastAxisAndMultiAxis) {
  const Shape shape{2, 3, 16};
  const HostTensor x = makeF32(shape, randomFloats(numelOf(shape), 5, -2, 3));
  {
    const HostTensor g = makeF32({16}, randomFloats(16, 6, 0.5f, 1.5f));
    const HostTensor b = makeF32({16}, randomFloats(16, 7));
    HostTensor out(AWQ_F32, shape);
    ASSERT_EQ(awq_layer_norm(x.get(), g.get(), b.get(), -1, 1e-5f, out.get()), 0)
        << awq_last_error();
    expectNear(out.asDoubles(), layerNormReference(x.asDoubles(), g.asDoubles(), b.asDoubles(), 1e-5),
               1e-5, 1e-5);
  }
  {
    // axis -2 normalises over the last two axes (48 elements); no beta.
    const HostTensor g = makeF32({3, 16}, randomFloats(48, 8, 0.5f, 1.5f));
    HostTensor out(AWQ_F32, shape);
    ASSERT_EQ(awq_layer_norm(x.get(), g.get(), nullptr, -2, 1e-5f, out.get()), 0)
        << awq_last_error();
    expectNear(out.asDoubles(), layerNormReference(x.asDoubles(), g.asDoubles(), {}, 1e-5), 1e-5,
               1e-5);
  }
}

TEST(LayerNorm, Errors) {
  const HostTensor x = makeF32({2, 4}, std::vector<float>(8, 1));
  const HostTensor g = makeF32({4}, std::vector<float>(4, 1));
  const HostTensor b = makeF32({5}, std::vector<float>(5, 1));
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_layer_norm_shape(x.get(), g.get(), b.get(), -1, 1e-5f, &desc),
                  "awq_layer_norm_shape", "beta");
  EXPECT_OP_ERROR(awq_layer_norm_shape(x.get(), g.get(), nullptr, 2, 1e-5f, &desc),
                  "awq_layer_norm_shape", "out of range");
}

TEST(Softmax, AnyAxisMatchesReference) {
  const Shape shape{2, 5, 3};
  const std::vector<float> values = randomFloats(numelOf(shape), 9, -5, 5);
  const HostTensor x = makeF32(shape, values);
  for (int64_t axis : {-1, 1, 0}) {
    SCOPED_TRACE(axis);
    const int64_t a = axis < 0 ? axis + 3 : axis;
    HostTensor out(AWQ_F32, shape);
    ASSERT_EQ(awq_softmax(x.get(), axis, out.get()), 0) << awq_last_error();
    std::vector<double> expected(values.size());
    for (int64_t i = 0; i < numelOf(shape); ++i) {
      Shape idx = unravel(i, shape);
      double sum = 0;
      for (int64_t j = 0; j < shape[a]; ++j) {
        Shape other = idx;
        other[a] = j;
        int64_t flat = 0;
        for (size_t d = 0; d < 3; ++d)
          flat += other[d] * stridesOf(shape)[d];
        sum += std::exp(static_cast<double>(values[flat]));
      }
      expected[i] = std::exp(static_cast<double>(values[i])) / sum;
    }
    expectNear(out.asDoubles(), expected, 1e-6, 1e-5);
  }
}

TEST(Softmax, StableForLargeValuesAndMaskedRows) {
  const HostTensor x = makeF32({2, 3}, {1000.0f, 1001.0f, 1002.0f, -INFINITY, -INFINITY, -INFINITY});
  HostTensor out(AWQ_F32, {2, 3});
  ASSERT_EQ(awq_softmax(x.get(), -1, out.get()), 0);
  const double e0 = std::exp(-2.0), e1 = std::exp(-1.0), s = e0 + e1 + 1.0;
  // A fully masked row is defined as zeros (no NaN).
  expectNear(out.asDoubles(), {e0 / s, e1 / s, 1.0 / s, 0, 0, 0}, 1e-6);
}
