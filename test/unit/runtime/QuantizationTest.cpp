// QuantizationTest.cpp - group quantizer, packing and group matmul against scalar references.
#include "TestUtil.h"

#include <cmath>
#include <string>
#include <tuple>

using namespace awq::test;

namespace {

// The quantizer as awq-reference.md states it, in double, one group at a time.
struct ReferenceQuantized {
  std::vector<uint8_t> codes, zeros;
  std::vector<float> scales;
};

ReferenceQuantized referenceQuantize(const std::vector<float> &w, int64_t n, int64_t k, int bits,
                                     int64_t groupSize, bool zeroPoint) {
  const int64_t groups = (k + groupSize - 1) / groupSize;
  ReferenceQuantized out{std::vector<uint8_t>(n * k), std::vector<uint8_t>(n * groups),
                         std::vector<float>(n * groups)};
  for (int64_t row = 0; row < n; ++row)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t first = g * groupSize, last = std::min(k, first + groupSize);
      double lo = 1e30, hi = -1e30;
      for (int64_t i = first; i < last; ++i) {
        lo = std::min<double>(lo, w[row * k + i]);
        hi = std::max<double>(hi, w[row * k + i]);
      }
      // The scale is stored as f32; zero point and codes derive from that value.
      float scale;
      double zero;
      if (zeroPoint) {
        const double maxCode = std::pow(2.0, bits) - 1;
        scale = static_cast<float>(std::max(hi - lo, 1e-5) / maxCode);
        zero = std::clamp(-std::nearbyint(lo / scale), 0.0, maxCode);
      } else {
        scale = static_cast<float>(std::max(std::max(std::fabs(lo), std::fabs(hi)), 1e-5) /
                                   (std::pow(2.0, bits - 1) - 1));
        zero = std::pow(2.0, bits - 1);
      }
      out.scales[row * groups + g] = scale;
      out.zeros[row * groups + g] = static_cast<uint8_t>(zero);
      for (int64_t i = first; i < last; ++i) {
        const double q = std::nearbyint(static_cast<double>(w[row * k + i]) / scale);
        const double code = zeroPoint ? std::clamp(q + zero, 0.0, std::pow(2.0, bits) - 1)
                                      : std::clamp(q, -zero, zero - 1) + zero;
        out.codes[row * k + i] = static_cast<uint8_t>(code);
      }
    }
  return out;
}

// bits, group size, zero point. K = 172 (stories260K's down projection) has a
// partial last group for every group size but itself.
class QuantizerTest : public ::testing::TestWithParam<std::tuple<int, int64_t, bool>> {};

TEST_P(QuantizerTest, MatchesReferenceAndRoundTrips) {
  const auto [bits, groupSize, zeroPoint] = GetParam();
  const int64_t n = 5, k = 172, groups = (k + groupSize - 1) / groupSize;
  std::vector<float> w = randomFloats(n * k, 7 + bits);
  w[3] = 4.0f; // an outlier stretches its group's range
  HostTensor weight = makeF32({n, k}, w);
  awq_tensor codesDesc{}, scalesDesc{}, zerosDesc{};
  ASSERT_EQ(awq_quantize_groups_shape(weight.get(), bits, groupSize, &codesDesc, &scalesDesc,
                                      &zerosDesc), 0) << awq_last_error();
  HostTensor codes = HostTensor::like(codesDesc), scales = HostTensor::like(scalesDesc),
             zeros = HostTensor::like(zerosDesc);
  ASSERT_EQ(scales.shape(), (Shape{n, groups}));
  ASSERT_EQ(awq_quantize_groups(weight.get(), bits, groupSize, zeroPoint, nullptr, codes.get(),
                                scales.get(), zeros.get()), 0) << awq_last_error();

  const ReferenceQuantized expected = referenceQuantize(w, n, k, bits, groupSize, zeroPoint);
  EXPECT_EQ(codes.values<uint8_t>(), expected.codes);
  EXPECT_EQ(scales.values<float>(), expected.scales);
  if (zeroPoint)
    EXPECT_EQ(zeros.values<uint8_t>(), expected.zeros);

  // Packing is a bit-exact round trip.
  awq_tensor packedDesc{};
  ASSERT_EQ(awq_pack_codes_shape(codes.get(), bits, &packedDesc), 0);
  HostTensor packed = HostTensor::like(packedDesc);
  ASSERT_EQ(packed.shape(), (Shape{n, (k * bits + 7) / 8}));
  ASSERT_EQ(awq_pack_codes(codes.get(), bits, packed.get()), 0) << awq_last_error();
  HostTensor unpacked(AWQ_U8, {n, k});
  ASSERT_EQ(awq_unpack_codes(packed.get(), bits, k, unpacked.get()), 0) << awq_last_error();
  EXPECT_EQ(unpacked.values<uint8_t>(), codes.values<uint8_t>());

  // Fake quantization is dequantize(quantize(w)), exactly.
  HostTensor dequantized(AWQ_F32, {n, k}), fake(AWQ_F32, {n, k});
  ASSERT_EQ(awq_dequantize_groups(codes.get(), scales.get(), zeroPoint ? zeros.get() : nullptr,
                                  bits, groupSize, dequantized.get()), 0) << awq_last_error();
  ASSERT_EQ(awq_fake_quantize_groups(weight.get(), bits, groupSize, zeroPoint, nullptr, fake.get()), 0)
      << awq_last_error();
  EXPECT_EQ(fake.values<float>(), dequantized.values<float>());
  // Every weight lands within half a step of its group's grid (or on the
  // clamped end of the range).
  for (int64_t i = 0; i < n * k; ++i) {
    const float step = scales.values<float>()[(i / k) * groups + (i % k) / groupSize];
    EXPECT_LE(std::fabs(dequantized.values<float>()[i] - w[i]), step * 0.5f + 1e-6f + (zeroPoint ? 0 : step))
        << "element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllWidths, QuantizerTest,
                         ::testing::Combine(::testing::Values(2, 3, 4, 8),
                                            ::testing::Values<int64_t>(32, 64, 128, 172),
                                            ::testing::Bool()));

TEST(Packing, FourBitsIsLowNibbleFirst) {
  HostTensor codes = makeTensor<uint8_t>(AWQ_U8, {1, 5}, {1, 2, 3, 4, 15});
  HostTensor packed(AWQ_U8, {1, 3});
  ASSERT_EQ(awq_pack_codes(codes.get(), 4, packed.get()), 0) << awq_last_error();
  EXPECT_EQ(packed.values<uint8_t>(), (std::vector<uint8_t>{0x21, 0x43, 0x0F}));
}

TEST(Packing, ThreeBitCodesStraddleBytes) {
  // Codes 5, 6, 7 at bits 0..8: 101 | 110 << 3 | 111 << 6 = 0b1_1111_0101.
  HostTensor codes = makeTensor<uint8_t>(AWQ_U8, {1, 3}, {5, 6, 7});
  HostTensor packed(AWQ_U8, {1, 2});
  ASSERT_EQ(awq_pack_codes(codes.get(), 3, packed.get()), 0) << awq_last_error();
  EXPECT_EQ(packed.values<uint8_t>(), (std::vector<uint8_t>{0xF5, 0x01}));
}

TEST(Packing, RejectsCodesWiderThanBits) {
  HostTensor codes = makeTensor<uint8_t>(AWQ_U8, {1, 2}, {3, 4});
  HostTensor packed(AWQ_U8, {1, 1});
  EXPECT_NE(awq_pack_codes(codes.get(), 2, packed.get()), 0);
  EXPECT_NE(std::string(awq_last_error()).find("does not fit in 2 bits"), std::string::npos)
      << awq_last_error();
}

TEST(Quantizer, ClipShrinksTheGroupRange) {
  // One group of 4 with an outlier, 2 bits, clipped at 1: the group is
  // quantized as [-1, 0, 1, 1]. The stored f32 scale is 2/3 rounded up, so
  // -1 / scale = -1.4999999: zero = 1, codes = [0, 1, 2, 2], w' = (code - 1) * scale.
  HostTensor weight = makeF32({1, 4}, {-1.0f, 0.0f, 1.0f, 8.0f});
  HostTensor clip = makeF32({1, 1}, {1.0f});
  HostTensor out(AWQ_F32, {1, 4});
  ASSERT_EQ(awq_fake_quantize_groups(weight.get(), 2, 4, 1, clip.get(), out.get()), 0)
      << awq_last_error();
  const float scale = static_cast<float>(2.0 / 3.0);
  EXPECT_EQ(out.values<float>(), (std::vector<float>{-scale, 0.0f, scale, scale}));
  // Without the clip the outlier sets the range and the small values collapse.
  ASSERT_EQ(awq_fake_quantize_groups(weight.get(), 2, 4, 1, nullptr, out.get()), 0)
      << awq_last_error();
  EXPECT_EQ(out.values<float>()[0], out.values<float>()[1]);
}

TEST(Quantizer, RejectsUnsupportedBits) {
  HostTensor weight = makeF32({1, 4}, {0, 1, 2, 3});
  awq_tensor codes{}, scales{}, zeros{};
  EXPECT_NE(awq_quantize_groups_shape(weight.get(), 5, 4, &codes, &scales, &zeros), 0);
  EXPECT_NE(std::string(awq_last_error()).find("bits must be 2, 3, 4 or 8, got 5"), std::string::npos)
      << awq_last_error();
}

// rows of x (direct path up to 4, sgemm path beyond), bits, zero points.
class GroupMatmulTest : public ::testing::TestWithParam<std::tuple<int64_t, int, bool>> {};

TEST_P(GroupMatmulTest, MatchesDequantizedMatmul) {
  const auto [m, bits, zeroPoint] = GetParam();
  const int64_t n = 70, k = 172, groupSize = 32, groups = 6;
  HostTensor weight = makeF32({n, k}, randomFloats(n * k, 11));
  HostTensor codes(AWQ_U8, {n, k}), scales(AWQ_F32, {n, groups}), zeros(AWQ_U8, {n, groups});
  ASSERT_EQ(awq_quantize_groups(weight.get(), bits, groupSize, zeroPoint, nullptr, codes.get(),
                                scales.get(), zeros.get()), 0) << awq_last_error();
  HostTensor packed(AWQ_U8, {n, (k * bits + 7) / 8});
  ASSERT_EQ(awq_pack_codes(codes.get(), bits, packed.get()), 0) << awq_last_error();
  HostTensor dequantized(AWQ_F32, {n, k});
  const awq_tensor *zerosArg = zeroPoint ? zeros.get() : nullptr;
  ASSERT_EQ(awq_dequantize_groups(codes.get(), scales.get(), zerosArg, bits, groupSize,
                                  dequantized.get()), 0) << awq_last_error();
  // Scales as f16, as models store them; the reference uses the same rounded values.
  std::vector<float> scaleValues = scales.values<float>();
  HostTensor halfScales = makeHalf(AWQ_F16, {n, groups}, scaleValues);
  std::vector<double> halfScaleValues = halfScales.asDoubles();
  HostTensor bias = makeF32({n}, randomFloats(n, 3));
  HostTensor x = makeF32({m, k}, randomFloats(m * k, 5));

  awq_tensor outDesc{};
  ASSERT_EQ(awq_group_matmul_shape(x.get(), packed.get(), halfScales.get(), zerosArg, bias.get(),
                                   bits, groupSize, k, &outDesc), 0) << awq_last_error();
  HostTensor out = HostTensor::like(outDesc);
  ASSERT_EQ(out.shape(), (Shape{m, n}));
  ASSERT_EQ(awq_group_matmul(x.get(), packed.get(), halfScales.get(), zerosArg, bias.get(), bits,
                             groupSize, k, out.get()), 0) << awq_last_error();

  std::vector<double> expected(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = bias.values<float>()[j];
      for (int64_t l = 0; l < k; ++l) {
        const double zero = zeroPoint ? zeros.values<uint8_t>()[j * groups + l / groupSize]
                                      : std::pow(2.0, bits - 1);
        const double w = (codes.values<uint8_t>()[j * k + l] - zero) *
                         halfScaleValues[j * groups + l / groupSize];
        sum += x.values<float>()[i * k + l] * w;
      }
      expected[i * n + j] = sum;
    }
  // fp32 accumulation over K = 172 products of O(1) terms: ~1e-5 relative.
  expectNear(out.asDoubles(), expected, 1e-4, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Paths, GroupMatmulTest,
                         ::testing::Combine(::testing::Values<int64_t>(1, 3, 17),
                                            ::testing::Values(2, 3, 4, 8), ::testing::Bool()));

TEST(GroupMatmul, RejectsWrongScalesShape) {
  HostTensor x = makeF32({1, 64}, randomFloats(64, 1));
  HostTensor packed(AWQ_U8, {8, 32}), scales(AWQ_F32, {8, 3});
  awq_tensor out{};
  EXPECT_NE(awq_group_matmul_shape(x.get(), packed.get(), scales.get(), nullptr, nullptr, 4, 32,
                                   64, &out), 0);
  EXPECT_NE(std::string(awq_last_error()).find("scales has shape [8, 3], expected [8, 2]"),
            std::string::npos) << awq_last_error();
}

} // namespace
