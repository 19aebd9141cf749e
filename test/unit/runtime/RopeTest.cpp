// RopeTest.cpp - rotary embeddings: both layouts, position ids, partial rotary, in-place.
#include "TestUtil.h"

using namespace awq::test;

namespace {

// Reference on [outer, S, inner, D] (seqAxis given by S's position) in double.
std::vector<double> ropeReference(const std::vector<double> &x, const Shape &shape, int64_t seqAxis,
                                  const std::vector<int64_t> &positionsPerRow, bool perBatch,
                                  int64_t rotary, double theta, awq_rope_layout layout) {
  std::vector<double> y = x;
  const int64_t d = shape.back(), half = rotary / 2;
  for (int64_t v = 0; v < numelOf(shape) / d; ++v) {
    const Shape idx = unravel(v * d, shape);
    const int64_t s = idx[seqAxis];
    const int64_t pos = perBatch ? positionsPerRow[idx[0] * shape[seqAxis] + s] : positionsPerRow[s];
    for (int64_t i = 0; i < half; ++i) {
      const double angle = pos * std::pow(theta, -2.0 * i / rotary);
      const int64_t a = layout == AWQ_ROPE_INTERLEAVED ? 2 * i : i;
      const int64_t b = layout == AWQ_ROPE_INTERLEAVED ? 2 * i + 1 : i + half;
      const double x1 = x[v * d + a], x2 = x[v * d + b];
      y[v * d + a] = x1 * std::cos(angle) - x2 * std::sin(angle);
      y[v * d + b] = x2 * std::cos(angle) + x1 * std::sin(angle);
    }
  }
  return y;
}

} // namespace

TEST(Rope, BothLayoutsWithPositionOffset) {
  const Shape shape{2, 3, 5, 8}; // [B, H, S, D]
  const HostTensor x = makeF32(shape, randomFloats(numelOf(shape), 1));
  for (awq_rope_layout layout : {AWQ_ROPE_INTERLEAVED, AWQ_ROPE_HALF_SPLIT}) {
    SCOPED_TRACE(static_cast<int>(layout));
    awq_tensor desc{};
    ASSERT_EQ(awq_rope_shape(x.get(), nullptr, 7, 2, 0, 10000.0f, layout, &desc), 0)
        << awq_last_error();
    HostTensor out = HostTensor::like(desc);
    ASSERT_EQ(awq_rope(x.get(), nullptr, 7, 2, 0, 10000.0f, layout, out.get()), 0)
        << awq_last_error();
    const std::vector<int64_t> positions = {7, 8, 9, 10, 11};
    // cos/sin are rounded to f32 once: |error| ~ 1e-7 per term.
    expectNear(out.asDoubles(),
               ropeReference(x.asDoubles(), shape, 2, positions, false, 8, 10000.0, layout), 1e-6);
  }
}

TEST(Rope, LayoutsDiffer) {
  // Guards against the two layouts silently doing the same thing.
  const HostTensor x = makeF32({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  HostTensor a(AWQ_F32, {1, 1, 2, 4}), b(AWQ_F32, {1, 1, 2, 4});
  ASSERT_EQ(awq_rope(x.get(), nullptr, 0, 2, 0, 10000.0f, AWQ_ROPE_INTERLEAVED, a.get()), 0);
  ASSERT_EQ(awq_rope(x.get(), nullptr, 0, 2, 0, 10000.0f, AWQ_ROPE_HALF_SPLIT, b.get()), 0);
  EXPECT_NE(a.values<float>(), b.values<float>());
  // Position 0 is the identity.
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(a.values<float>()[i], x.values<float>()[i]);
}

TEST(Rope, BatchPositionIdsSeqAxisOnePartialRotaryInPlace) {
  const Shape shape{2, 4, 3, 10}; // [B, S, H, D], rotate the first 6 channels
  const std::vector<float> values = randomFloats(numelOf(shape), 2);
  HostTensor x = makeF32(shape, values);
  const std::vector<int64_t> ids = {0, 1, 2, 3, 5, 9, 2, 4};
  const HostTensor positionIds = makeI64({2, 4}, ids);
  const std::vector<double> expected = ropeReference(toDoubles(values), shape, 1, ids, true, 6,
                                                     500.0, AWQ_ROPE_HALF_SPLIT);
  ASSERT_EQ(awq_rope(x.get(), positionIds.get(), 0, 1, 6, 500.0f, AWQ_ROPE_HALF_SPLIT, x.get()), 0)
      << awq_last_error();
  expectNear(x.asDoubles(), expected, 1e-6);
}

TEST(Rope, HalfPrecisionInput) {
  const Shape shape{1, 2, 3, 8};
  const HostTensor x = makeHalf(AWQ_F16, shape, randomFloats(numelOf(shape), 3));
  HostTensor out(AWQ_F16, shape);
  const HostTensor ids = makeTensor<int32_t>(AWQ_I32, {3}, {4, 5, 6});
  ASSERT_EQ(awq_rope(x.get(), ids.get(), 0, -2, 0, 10000.0f, AWQ_ROPE_INTERLEAVED, out.get()), 0)
      << awq_last_error();
  // One f16 rounding of values <= ~1.4: 2^-11 relative.
  expectNear(out.asDoubles(),
             ropeReference(x.asDoubles(), shape, 2, {4, 5, 6}, false, 8, 10000.0, AWQ_ROPE_INTERLEAVED),
             1e-3);
}

TEST(Rope, Errors) {
  const HostTensor x = makeF32({1, 2, 3, 8}, std::vector<float>(48, 0));
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_rope_shape(x.get(), nullptr, 0, 2, 5, 10000.0f, AWQ_ROPE_HALF_SPLIT, &desc),
                  "awq_rope_shape", "rotary_dim 5");
  EXPECT_OP_ERROR(awq_rope_shape(x.get(), nullptr, 0, 3, 0, 10000.0f, AWQ_ROPE_HALF_SPLIT, &desc),
                  "awq_rope_shape", "seq_axis");
  const HostTensor ids = makeI64({4}, {0, 1, 2, 3});
  EXPECT_OP_ERROR(awq_rope_shape(x.get(), ids.get(), 0, 2, 0, 10000.0f, AWQ_ROPE_HALF_SPLIT, &desc),
                  "awq_rope_shape", "position_ids");
}
