// GatherTest.cpp - ONNX Gather along different axes with negative and i32 indices.
#include "TestUtil.h"

using namespace awq::test;

TEST(Gather, EmbeddingLookupAxis0) {
  // [vocab 5, hidden 3]; indices [2, 2] including a negative one.
  std::vector<float> table(15);
  for (int i = 0; i < 15; ++i)
    table[i] = static_cast<float>(i);
  const HostTensor data = makeF32({5, 3}, table);
  const HostTensor indices = makeI64({2, 2}, {4, 0, -1, 2});
  awq_tensor desc{};
  ASSERT_EQ(awq_gather_shape(data.get(), indices.get(), 0, &desc), 0);
  ASSERT_EQ(shapeOf(desc), (Shape{2, 2, 3}));
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_gather(data.get(), indices.get(), 0, out.get()), 0) << awq_last_error();
  EXPECT_EQ(out.values<float>(),
            (std::vector<float>{12, 13, 14, 0, 1, 2, 12, 13, 14, 6, 7, 8}));
}

TEST(Gather, MiddleAxisWithScalarAndI32Indices) {
  const Shape shape{2, 4, 3};
  std::vector<int64_t> values(24);
  for (int i = 0; i < 24; ++i)
    values[i] = i;
  const HostTensor data = makeI64(shape, values);
  // Scalar index removes the axis (what Shape -> Gather(0) chains rely on).
  const HostTensor scalar = makeI64({}, {-2});
  awq_tensor desc{};
  ASSERT_EQ(awq_gather_shape(data.get(), scalar.get(), 1, &desc), 0);
  ASSERT_EQ(shapeOf(desc), (Shape{2, 3}));
  HostTensor picked = HostTensor::like(desc);
  ASSERT_EQ(awq_gather(data.get(), scalar.get(), 1, picked.get()), 0);
  EXPECT_EQ(picked.values<int64_t>(), (std::vector<int64_t>{6, 7, 8, 18, 19, 20}));

  const HostTensor idx32 = makeTensor<int32_t>(AWQ_I32, {3}, {2, 0, 2});
  ASSERT_EQ(awq_gather_shape(data.get(), idx32.get(), -1, &desc), 0);
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_gather(data.get(), idx32.get(), -1, out.get()), 0);
  std::vector<int64_t> expected;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t r = 0; r < 4; ++r)
      for (int64_t i : {2, 0, 2})
        expected.push_back((b * 4 + r) * 3 + i);
  EXPECT_EQ(out.values<int64_t>(), expected);
}

TEST(Gather, Errors) {
  const HostTensor data = makeF32({3, 2}, std::vector<float>(6, 0));
  const HostTensor indices = makeI64({1}, {3});
  HostTensor out(AWQ_F32, {1, 2});
  EXPECT_OP_ERROR(awq_gather(data.get(), indices.get(), 0, out.get()), "awq_gather",
                  "out of range");
  const HostTensor floatIndices = makeF32({1}, {0});
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_gather_shape(data.get(), floatIndices.get(), 0, &desc), "awq_gather_shape",
                  "indices must be i64 or i32");
  EXPECT_OP_ERROR(awq_gather_shape(data.get(), indices.get(), 2, &desc), "awq_gather_shape",
                  "axis 2");
}
