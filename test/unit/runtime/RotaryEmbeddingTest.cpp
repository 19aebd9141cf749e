// RotaryEmbeddingTest.cpp - awq_rotary_embedding against the ONNX chain it
// replaces (Slice, Neg, Concat, [Unsqueeze, Reshape], Mul, Mul, Add) run on
// the runtime's own ops: the same bits in every dtype, layout and broadcast.
#include "TestUtil.h"

#include <cstring>
#include <string>
#include <vector>

using namespace awq::test;

namespace {

// The descriptor of `t` with another shape over the same data (Reshape /
// Unsqueeze without a copy).
awq_tensor reshaped(const awq_tensor *t, const Shape &shape) {
  awq_tensor view = *t;
  view.rank = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    view.shape[i] = shape[i];
  return view;
}

HostTensor sliceLast(const HostTensor &x, int64_t start, int64_t end, int64_t step) {
  const int64_t axis = -1;
  awq_tensor desc{};
  EXPECT_EQ(awq_slice_shape(x.get(), &start, &end, &axis, &step, 1, &desc), 0) << awq_last_error();
  HostTensor out = HostTensor::like(desc);
  EXPECT_EQ(awq_slice(x.get(), &start, &end, &axis, &step, 1, out.get()), 0) << awq_last_error();
  return out;
}

HostTensor negate(const HostTensor &x) {
  HostTensor out(x.get()->dtype, x.shape());
  EXPECT_EQ(awq_unary(AWQ_UNARY_NEG, x.get(), out.get()), 0) << awq_last_error();
  return out;
}

HostTensor concatLast(const awq_tensor *a, const awq_tensor *b) {
  const awq_tensor *parts[2] = {a, b};
  awq_tensor desc{};
  EXPECT_EQ(awq_concat_shape(parts, 2, -1, &desc), 0) << awq_last_error();
  HostTensor out = HostTensor::like(desc);
  EXPECT_EQ(awq_concat(parts, 2, -1, out.get()), 0) << awq_last_error();
  return out;
}

HostTensor binary(awq_binary_op op, const awq_tensor *a, const awq_tensor *b) {
  awq_tensor desc{};
  EXPECT_EQ(awq_binary_shape(op, a, b, &desc), 0) << awq_last_error();
  HostTensor out = HostTensor::like(desc);
  EXPECT_EQ(awq_binary(op, a, b, out.get()), 0) << awq_last_error();
  return out;
}

// x * cos + rotate(x) * sin as exporters write it (see
// lib/Conversion/ONNXToAWQ/RotaryEmbeddingFusion.cpp).
HostTensor exportedChain(const HostTensor &x, const HostTensor &cos, const HostTensor &sin,
                         awq_rope_layout layout) {
  const Shape shape = x.shape();
  const int64_t dim = shape.back();
  HostTensor rotated;
  if (layout == AWQ_ROPE_HALF_SPLIT) {
    HostTensor first = sliceLast(x, 0, dim / 2, 1), second = sliceLast(x, dim / 2, dim, 1);
    HostTensor negated = negate(second);
    rotated = concatLast(negated.get(), first.get());
  } else {
    HostTensor even = sliceLast(x, 0, dim, 2), odd = sliceLast(x, 1, dim, 2);
    HostTensor negated = negate(odd);
    Shape pairShape = even.shape();
    pairShape.push_back(1);
    const awq_tensor a = reshaped(negated.get(), pairShape), b = reshaped(even.get(), pairShape);
    HostTensor pairs = concatLast(&a, &b);
    rotated = HostTensor(x.get()->dtype, shape);
    std::memcpy(rotated.get()->data, pairs.get()->data,
                static_cast<size_t>(x.numel()) * awq_dtype_size(x.get()->dtype));
  }
  HostTensor direct = binary(AWQ_BINARY_MUL, x.get(), cos.get());
  HostTensor turned = binary(AWQ_BINARY_MUL, rotated.get(), sin.get());
  return binary(AWQ_BINARY_ADD, direct.get(), turned.get());
}

std::string shapeText(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

HostTensor randomTensor(int32_t dtype, const Shape &shape, unsigned seed) {
  const std::vector<float> values = randomFloats(numelOf(shape), seed, -4.0f, 4.0f);
  return dtype == AWQ_F32 ? makeF32(shape, values) : makeHalf(dtype, shape, values);
}

} // namespace

TEST(RotaryEmbedding, MatchesTheExportedChainBitForBit) {
  struct Case {
    Shape x;
    std::vector<Shape> angles;
  };
  const Case cases[] = {
      // [B, H, S, D] with HF's [1, 1, S, D] (one cos per position), per-batch
      // [B, 1, S, D], [S, D], and one per head.
      {{2, 3, 5, 8}, {{1, 1, 5, 8}, {2, 1, 5, 8}, {5, 8}, {2, 3, 5, 8}}},
      // [B, S, H, D] (awq-fuse-head-transposes) with [1, S, 1, D], [B, S, 1, D]
      // and [S, 1, D]: the heads of a position share their angles.
      {{2, 5, 3, 8}, {{1, 5, 1, 8}, {2, 5, 1, 8}, {5, 1, 8}}},
  };
  for (int32_t dtype : {AWQ_F32, AWQ_F16, AWQ_BF16})
    for (awq_rope_layout layout : {AWQ_ROPE_HALF_SPLIT, AWQ_ROPE_INTERLEAVED})
      for (const Case &testCase : cases)
        for (const Shape &angleShape : testCase.angles) {
          const Shape &xShape = testCase.x;
          SCOPED_TRACE(testing::Message()
                       << awq_dtype_name(dtype) << " layout " << layout << " x "
                       << shapeText(xShape) << " angles " << shapeText(angleShape));
          const HostTensor x = randomTensor(dtype, xShape, 1);
          const HostTensor cos = randomTensor(dtype, angleShape, 2);
          const HostTensor sin = randomTensor(dtype, angleShape, 3);
          awq_tensor desc{};
          ASSERT_EQ(awq_rotary_embedding_shape(x.get(), cos.get(), sin.get(), layout, &desc), 0)
              << awq_last_error();
          HostTensor fused = HostTensor::like(desc);
          ASSERT_EQ(awq_rotary_embedding(x.get(), cos.get(), sin.get(), layout, fused.get()), 0)
              << awq_last_error();
          const HostTensor chain = exportedChain(x, cos, sin, layout);
          ASSERT_EQ(fused.shape(), chain.shape());
          EXPECT_EQ(std::memcmp(fused.get()->data, chain.get()->data,
                                static_cast<size_t>(x.numel()) * awq_dtype_size(dtype)),
                    0);
        }
}

TEST(RotaryEmbedding, RotatesPairsOfTheLayout) {
  // cos 0, sin 1 leaves rotate(x) itself: which channel pairs with which.
  const HostTensor x = makeF32({4}, {1, 2, 3, 4});
  const HostTensor cos = makeF32({4}, {0, 0, 0, 0}), sin = makeF32({4}, {1, 1, 1, 1});
  HostTensor out(AWQ_F32, {4});
  ASSERT_EQ(awq_rotary_embedding(x.get(), cos.get(), sin.get(), AWQ_ROPE_HALF_SPLIT, out.get()), 0);
  EXPECT_EQ(out.values<float>(), (std::vector<float>{-3, -4, 1, 2}));
  ASSERT_EQ(awq_rotary_embedding(x.get(), cos.get(), sin.get(), AWQ_ROPE_INTERLEAVED, out.get()), 0);
  EXPECT_EQ(out.values<float>(), (std::vector<float>{-2, 1, -4, 3}));
}

TEST(RotaryEmbedding, ErrorsNameTheMismatch) {
  const HostTensor x = makeF32({2, 4}, randomFloats(8, 1));
  const HostTensor angles = makeF32({2, 4}, randomFloats(8, 2));
  auto shapeError = [](const awq_tensor *x, const awq_tensor *cos, const awq_tensor *sin,
                       awq_rope_layout layout) {
    awq_tensor desc{};
    EXPECT_NE(awq_rotary_embedding_shape(x, cos, sin, layout, &desc), 0);
    return std::string(awq_last_error());
  };
  const HostTensor odd = makeF32({2, 3}, randomFloats(6, 3));
  EXPECT_NE(shapeError(odd.get(), odd.get(), odd.get(), AWQ_ROPE_HALF_SPLIT)
                .find("last dim (the head dim) must be positive and even, got [2, 3]"),
            std::string::npos);
  const HostTensor half = makeHalf(AWQ_F16, {2, 4}, randomFloats(8, 4));
  EXPECT_NE(shapeError(x.get(), half.get(), half.get(), AWQ_ROPE_HALF_SPLIT)
                .find("cos and sin must be f32 like the input, got f16 and f16"),
            std::string::npos);
  const HostTensor wide = makeF32({3, 2, 4}, randomFloats(24, 5));
  EXPECT_NE(shapeError(x.get(), wide.get(), wide.get(), AWQ_ROPE_HALF_SPLIT)
                .find("cos/sin [3, 2, 4] must broadcast to the input [2, 4]"),
            std::string::npos);
  const HostTensor perHead = makeF32({2, 1}, randomFloats(2, 6));
  EXPECT_NE(shapeError(x.get(), perHead.get(), perHead.get(), AWQ_ROPE_HALF_SPLIT)
                .find("cos/sin [2, 1] must broadcast"),
            std::string::npos);
  const HostTensor row = makeF32({4}, randomFloats(4, 7));
  EXPECT_NE(shapeError(x.get(), angles.get(), row.get(), AWQ_ROPE_HALF_SPLIT)
                .find("cos [2, 4] and sin [4] differ in shape"),
            std::string::npos);
  EXPECT_NE(shapeError(x.get(), angles.get(), angles.get(), static_cast<awq_rope_layout>(7))
                .find("unknown layout 7"),
            std::string::npos);
  HostTensor same = makeF32({2, 4}, randomFloats(8, 1));
  EXPECT_NE(awq_rotary_embedding(same.get(), angles.get(), angles.get(), AWQ_ROPE_HALF_SPLIT,
                                 same.get()),
            0);
  EXPECT_NE(std::string(awq_last_error()).find("must not alias the input"), std::string::npos);
}
