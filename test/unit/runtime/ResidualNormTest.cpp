// ResidualNormTest.cpp - awq_add_rms_norm / awq_add_layer_norm against the
// graph they replace (awq_binary ADD, then awq_rms_norm / awq_layer_norm) run
// on the runtime's own ops: the same bits in every dtype, and errors that
// name the mismatch.
#include "TestUtil.h"

#include <cstring>

using namespace awq::test;

namespace {

HostTensor randomTensor(int32_t dtype, const Shape &shape, unsigned seed, float scale = 4.0f) {
  const std::vector<float> values = randomFloats(numelOf(shape), seed, -scale, scale);
  return dtype == AWQ_F32 ? makeF32(shape, values) : makeHalf(dtype, shape, values);
}

HostTensor added(const HostTensor &x, const HostTensor &residual) {
  HostTensor sum(x.get()->dtype, x.shape());
  EXPECT_EQ(awq_binary(AWQ_BINARY_ADD, x.get(), residual.get(), sum.get()), 0) << awq_last_error();
  return sum;
}

bool sameBytes(const HostTensor &a, const HostTensor &b) {
  return a.shape() == b.shape() && a.get()->dtype == b.get()->dtype &&
         std::memcmp(a.get()->data, b.get()->data,
                     static_cast<size_t>(a.numel()) * awq_dtype_size(a.get()->dtype)) == 0;
}

} // namespace

TEST(ResidualNorm, AddRmsNormMatchesAddThenRmsNormBitForBit) {
  // Rows of a batch x sequence, a width that is no multiple of a vector.
  const Shape shape{2, 3, 37};
  for (int32_t dtype : {AWQ_F32, AWQ_F16, AWQ_BF16})
    for (float offset : {0.0f, 1.0f}) {
      SCOPED_TRACE(testing::Message() << awq_dtype_name(dtype) << " gamma_offset " << offset);
      // The residual stream is large next to the block output: the sum's
      // rounding matters.
      const HostTensor x = randomTensor(dtype, shape, 1, 0.5f);
      const HostTensor residual = randomTensor(dtype, shape, 2, 300.0f);
      const HostTensor gamma = randomTensor(dtype, {37}, 3);
      const float eps = 1e-5f;
      awq_tensor sumDesc{}, outDesc{};
      ASSERT_EQ(awq_add_rms_norm_shape(x.get(), residual.get(), gamma.get(), eps, offset, &sumDesc,
                                       &outDesc),
                0)
          << awq_last_error();
      HostTensor sum = HostTensor::like(sumDesc), out = HostTensor::like(outDesc);
      ASSERT_EQ(awq_add_rms_norm(x.get(), residual.get(), gamma.get(), eps, offset, sum.get(),
                                 out.get()),
                0)
          << awq_last_error();

      const HostTensor expectedSum = added(x, residual);
      HostTensor expected(dtype, shape);
      ASSERT_EQ(awq_rms_norm(expectedSum.get(), gamma.get(), eps, offset, expected.get()), 0)
          << awq_last_error();
      EXPECT_TRUE(sameBytes(sum, expectedSum));
      EXPECT_TRUE(sameBytes(out, expected));
    }
}

TEST(ResidualNorm, AddLayerNormMatchesAddThenLayerNormBitForBit) {
  const Shape shape{4, 45};
  for (int32_t dtype : {AWQ_F32, AWQ_F16, AWQ_BF16})
    for (bool withBeta : {false, true}) {
      SCOPED_TRACE(testing::Message() << awq_dtype_name(dtype) << (withBeta ? " beta" : ""));
      const HostTensor x = randomTensor(dtype, shape, 4);
      const HostTensor residual = randomTensor(dtype, shape, 5, 100.0f);
      const HostTensor gamma = randomTensor(dtype, {45}, 6);
      const HostTensor beta = randomTensor(dtype, {45}, 7);
      const awq_tensor *betaArg = withBeta ? beta.get() : nullptr;
      const float eps = 1e-5f;
      awq_tensor sumDesc{}, outDesc{};
      ASSERT_EQ(awq_add_layer_norm_shape(x.get(), residual.get(), gamma.get(), betaArg, eps,
                                         &sumDesc, &outDesc),
                0)
          << awq_last_error();
      HostTensor sum = HostTensor::like(sumDesc), out = HostTensor::like(outDesc);
      ASSERT_EQ(awq_add_layer_norm(x.get(), residual.get(), gamma.get(), betaArg, eps, sum.get(),
                                   out.get()),
                0)
          << awq_last_error();

      const HostTensor expectedSum = added(x, residual);
      HostTensor expected(dtype, shape);
      ASSERT_EQ(awq_layer_norm(expectedSum.get(), gamma.get(), betaArg, -1, eps, expected.get()),
                0)
          << awq_last_error();
      EXPECT_TRUE(sameBytes(sum, expectedSum));
      EXPECT_TRUE(sameBytes(out, expected));
    }
}

TEST(ResidualNorm, ErrorsNameTheMismatch) {
  const HostTensor x = makeF32({2, 4}, randomFloats(8, 1));
  const HostTensor gamma = makeF32({4}, randomFloats(4, 2));
  awq_tensor sum{}, out{};

  const HostTensor longer = makeF32({3, 4}, randomFloats(12, 3));
  EXPECT_NE(awq_add_rms_norm_shape(x.get(), longer.get(), gamma.get(), 1e-5f, 0.0f, &sum, &out), 0);
  EXPECT_STREQ(awq_last_error(),
               "awq_add_rms_norm_shape: residual is f32 [3, 4] but the input is f32 [2, 4]");

  const HostTensor half = makeHalf(AWQ_F16, {2, 4}, randomFloats(8, 4));
  EXPECT_NE(awq_add_layer_norm_shape(x.get(), half.get(), gamma.get(), nullptr, 1e-5f, &sum, &out),
            0);
  EXPECT_STREQ(awq_last_error(),
               "awq_add_layer_norm_shape: residual is f16 [2, 4] but the input is f32 [2, 4]");

  const HostTensor wide = makeF32({5}, randomFloats(5, 5));
  EXPECT_NE(awq_add_rms_norm_shape(x.get(), x.get(), wide.get(), 1e-5f, 0.0f, &sum, &out), 0);
  EXPECT_NE(std::strstr(awq_last_error(), "gamma has shape [5]"), nullptr) << awq_last_error();

  // Outputs that do not match what the shape function describes.
  HostTensor sumOut(AWQ_F32, {2, 4}), wrongOut(AWQ_F32, {4, 2});
  EXPECT_NE(awq_add_rms_norm(x.get(), x.get(), gamma.get(), 1e-5f, 0.0f, sumOut.get(),
                             wrongOut.get()),
            0);
  EXPECT_NE(std::strstr(awq_last_error(), "awq_add_rms_norm:"), nullptr) << awq_last_error();
}
