// CastAndHalfTest.cpp - fp16/bf16 conversions, Cast, and the basic ABI helpers.
#include "TestUtil.h"

#include <limits>

using namespace awq::test;

TEST(Half, F16KnownValues) {
  EXPECT_EQ(awq_f32_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(awq_f32_to_f16(-2.0f), 0xC000);
  EXPECT_EQ(awq_f32_to_f16(65504.0f), 0x7BFF);           // largest finite
  EXPECT_EQ(awq_f32_to_f16(65520.0f), 0x7C00);           // rounds up to +inf
  EXPECT_EQ(awq_f32_to_f16(std::ldexp(1.0f, -24)), 0x0001); // smallest subnormal
  EXPECT_EQ(awq_f32_to_f16(0.0f), 0x0000);
  EXPECT_EQ(awq_f32_to_f16(-0.0f), 0x8000);
  // 1 + 2^-11 is halfway between 1 and the next f16: ties go to even (1.0).
  EXPECT_EQ(awq_f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(awq_f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  const uint16_t nan = awq_f32_to_f16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);

  EXPECT_EQ(awq_f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(awq_f16_to_f32(0x7BFF), 65504.0f);
  EXPECT_EQ(awq_f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(awq_f16_to_f32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(awq_f16_to_f32(0x7E00)));
}

TEST(Half, F16RoundTripsEveryFiniteValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const uint16_t h = static_cast<uint16_t>(bits);
    if ((h & 0x7C00) == 0x7C00)
      continue; // inf/nan checked above
    ASSERT_EQ(awq_f32_to_f16(awq_f16_to_f32(h)), h) << std::hex << bits;
  }
}

TEST(Half, Bf16RoundingAndNan) {
  EXPECT_EQ(awq_f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(awq_bf16_to_f32(0x3F80), 1.0f);
  // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: rounds to even (1.0).
  EXPECT_EQ(awq_f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);
  EXPECT_EQ(awq_f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
  EXPECT_TRUE(std::isnan(awq_bf16_to_f32(awq_f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(Basics, DtypeSizeNumelAndErrors) {
  EXPECT_EQ(awq_dtype_size(AWQ_F32), 4u);
  EXPECT_EQ(awq_dtype_size(AWQ_BF16), 2u);
  EXPECT_EQ(awq_dtype_size(AWQ_I64), 8u);
  EXPECT_EQ(awq_dtype_size(AWQ_BOOL), 1u);
  EXPECT_EQ(awq_dtype_size(99), 0u);
  const HostTensor t(AWQ_F32, {2, 3, 4});
  EXPECT_EQ(awq_tensor_numel(t.get()), 24);
  const HostTensor scalar(AWQ_F32, {});
  EXPECT_EQ(awq_tensor_numel(scalar.get()), 1);
  EXPECT_EQ(awq_tensor_numel(nullptr), -1);
  EXPECT_STREQ(awq_dtype_name(AWQ_BF16), "bf16");

  awq_set_num_threads(1);
  EXPECT_EQ(awq_get_num_threads(), 1);
  awq_set_num_threads(0);
  EXPECT_GE(awq_get_num_threads(), 1);
}

TEST(Cast, FloatToIntegerTruncatesAndSaturates) {
  const HostTensor x = makeF32({6}, {1.9f, -1.9f, 300.0f, -300.0f, std::nanf(""), 0.5f});
  awq_tensor desc{};
  ASSERT_EQ(awq_cast_shape(x.get(), AWQ_I8, &desc), 0);
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_cast(x.get(), AWQ_I8, out.get()), 0) << awq_last_error();
  EXPECT_EQ(out.values<int8_t>(), (std::vector<int8_t>{1, -1, 127, -128, 0, 0}));

  HostTensor asBool(AWQ_BOOL, {6});
  ASSERT_EQ(awq_cast(x.get(), AWQ_BOOL, asBool.get()), 0);
  EXPECT_EQ(asBool.values<uint8_t>(), (std::vector<uint8_t>{1, 1, 1, 1, 1, 1})); // NaN != 0
}

TEST(Cast, AcrossDtypes) {
  const HostTensor i = makeI64({4}, {-3, 0, 2, 1000});
  HostTensor f16(AWQ_F16, {4});
  ASSERT_EQ(awq_cast(i.get(), AWQ_F16, f16.get()), 0);
  EXPECT_EQ(f16.asDoubles(), (std::vector<double>{-3, 0, 2, 1000}));
  HostTensor back(AWQ_I32, {4});
  ASSERT_EQ(awq_cast(f16.get(), AWQ_I32, back.get()), 0);
  EXPECT_EQ(back.values<int32_t>(), (std::vector<int32_t>{-3, 0, 2, 1000}));
  const HostTensor b = makeBool({3}, {1, 0, 1});
  HostTensor bf(AWQ_BF16, {3});
  ASSERT_EQ(awq_cast(b.get(), AWQ_BF16, bf.get()), 0);
  EXPECT_EQ(bf.asDoubles(), (std::vector<double>{1, 0, 1}));
  HostTensor u8(AWQ_U8, {4});
  ASSERT_EQ(awq_cast(i.get(), AWQ_U8, u8.get()), 0); // integer narrowing wraps like C
  EXPECT_EQ(u8.values<uint8_t>(), (std::vector<uint8_t>{253, 0, 2, 232}));
}

TEST(Cast, Errors) {
  const HostTensor x = makeF32({2}, {1, 2});
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_cast_shape(x.get(), 42, &desc), "awq_cast_shape", "invalid target dtype");
  HostTensor wrong(AWQ_I32, {3});
  EXPECT_OP_ERROR(awq_cast(x.get(), AWQ_I32, wrong.get()), "awq_cast", "output shape");
  awq_tensor badRank = *x.get();
  badRank.rank = 9;
  EXPECT_OP_ERROR(awq_cast_shape(&badRank, AWQ_I32, &desc), "awq_cast_shape", "rank 9");
}
