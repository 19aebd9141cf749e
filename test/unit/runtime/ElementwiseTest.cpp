// ElementwiseTest.cpp - unary, binary (broadcasting) and Where against scalar references.
#include "TestUtil.h"

#include <functional>

using namespace awq::test;

namespace {

// Numpy broadcasting reference: element of `shape` addressed by an output index.
int64_t broadcastIndex(const Shape &outIndex, const Shape &shape) {
  const size_t offset = outIndex.size() - shape.size();
  const Shape strides = stridesOf(shape);
  int64_t index = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    index += (shape[i] == 1 ? 0 : outIndex[offset + i]) * strides[i];
  return index;
}

HostTensor runBinary(awq_binary_op op, const HostTensor &a, const HostTensor &b) {
  awq_tensor desc{};
  EXPECT_EQ(awq_binary_shape(op, a.get(), b.get(), &desc), 0) << awq_last_error();
  HostTensor out = HostTensor::like(desc);
  EXPECT_EQ(awq_binary(op, a.get(), b.get(), out.get()), 0) << awq_last_error();
  return out;
}

HostTensor runUnary(awq_unary_op op, const HostTensor &x) {
  awq_tensor desc{};
  EXPECT_EQ(awq_unary_shape(op, x.get(), &desc), 0) << awq_last_error();
  HostTensor out = HostTensor::like(desc);
  EXPECT_EQ(awq_unary(op, x.get(), out.get()), 0) << awq_last_error();
  return out;
}

struct BroadcastCase {
  Shape a, b, expected;
};

} // namespace

TEST(Unary, FloatOpsMatchDoubleReference) {
  const std::vector<float> values = randomFloats(1000, 1, -4.0f, 4.0f);
  const HostTensor x = makeF32({10, 100}, values);
  const std::vector<std::pair<awq_unary_op, std::function<double(double)>>> cases = {
      {AWQ_UNARY_NEG, [](double v) { return -v; }},
      {AWQ_UNARY_ABS, [](double v) { return std::fabs(v); }},
      {AWQ_UNARY_EXP, [](double v) { return std::exp(v); }},
      {AWQ_UNARY_ERF, [](double v) { return std::erf(v); }},
      {AWQ_UNARY_TANH, [](double v) { return std::tanh(v); }},
      {AWQ_UNARY_SIGMOID, [](double v) { return 1.0 / (1.0 + std::exp(-v)); }},
      {AWQ_UNARY_SIN, [](double v) { return std::sin(v); }},
      {AWQ_UNARY_COS, [](double v) { return std::cos(v); }},
      {AWQ_UNARY_FLOOR, [](double v) { return std::floor(v); }},
      {AWQ_UNARY_CEIL, [](double v) { return std::ceil(v); }},
      {AWQ_UNARY_RELU, [](double v) { return v > 0 ? v : 0.0; }},
      {AWQ_UNARY_RECIPROCAL, [](double v) { return 1.0 / v; }},
      {AWQ_UNARY_SILU, [](double v) { return v / (1.0 + std::exp(-v)); }},
      {AWQ_UNARY_GELU, [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }},
      {AWQ_UNARY_GELU_TANH,
       [](double v) {
         return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
       }},
  };
  for (const auto &[op, reference] : cases) {
    SCOPED_TRACE(static_cast<int>(op));
    const HostTensor out = runUnary(op, x);
    std::vector<double> expected;
    for (float v : values)
      expected.push_back(reference(v));
    // f32 math: a few ulps relative, plus a tiny absolute slack near zero.
    expectNear(out.asDoubles(), expected, 1e-6, 1e-5);
  }
}

TEST(Unary, SqrtAndLogOnPositiveValues) {
  const std::vector<float> values = randomFloats(257, 2, 0.01f, 100.0f);
  const HostTensor x = makeF32({257}, values);
  std::vector<double> sqrtRef, logRef;
  for (float v : values) {
    sqrtRef.push_back(std::sqrt(static_cast<double>(v)));
    logRef.push_back(std::log(static_cast<double>(v)));
  }
  expectNear(runUnary(AWQ_UNARY_SQRT, x).asDoubles(), sqrtRef, 0.0, 1e-6);
  expectNear(runUnary(AWQ_UNARY_LOG, x).asDoubles(), logRef, 1e-6, 1e-6);
}

TEST(Unary, NamedActivationsAndHalfInput) {
  const std::vector<float> values = randomFloats(64, 3, -3.0f, 3.0f);
  // f16 input is computed in f32 and rounded once: error <= half an f16 ulp (2^-11 relative).
  HostTensor x = makeHalf(AWQ_F16, {8, 8}, values);
  HostTensor out(AWQ_F16, {8, 8});
  ASSERT_EQ(awq_silu(x.get(), out.get()), 0) << awq_last_error();
  const std::vector<double> xs = x.asDoubles();
  std::vector<double> expected;
  for (double v : xs)
    expected.push_back(v / (1.0 + std::exp(-v)));
  expectNear(out.asDoubles(), expected, 1e-4, 1.0 / 1024);

  ASSERT_EQ(awq_gelu(x.get(), /*approximate_tanh=*/0, out.get()), 0);
  expected.clear();
  for (double v : xs)
    expected.push_back(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
  expectNear(out.asDoubles(), expected, 1e-4, 1.0 / 1024);

  ASSERT_EQ(awq_relu(x.get(), out.get()), 0);
  for (size_t i = 0; i < xs.size(); ++i)
    EXPECT_EQ(out.asDoubles()[i], xs[i] > 0 ? xs[i] : 0.0);
}

TEST(Unary, InPlaceAndIntegerAndNot) {
  HostTensor x = makeF32({4}, {-1.0f, 2.0f, -3.0f, 4.0f});
  ASSERT_EQ(awq_unary(AWQ_UNARY_NEG, x.get(), x.get()), 0);
  EXPECT_EQ(x.values<float>(), (std::vector<float>{1, -2, 3, -4}));

  const HostTensor i = makeI64({3}, {-5, 0, 7});
  EXPECT_EQ(runUnary(AWQ_UNARY_ABS, i).values<int64_t>(), (std::vector<int64_t>{5, 0, 7}));
  EXPECT_EQ(runUnary(AWQ_UNARY_RELU, i).values<int64_t>(), (std::vector<int64_t>{0, 0, 7}));

  const HostTensor b = makeBool({3}, {1, 0, 1});
  EXPECT_EQ(runUnary(AWQ_UNARY_NOT, b).values<uint8_t>(), (std::vector<uint8_t>{0, 1, 0}));
}

TEST(Unary, RejectsUnsupportedDtype) {
  const HostTensor i = makeI64({2}, {1, 2});
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_unary_shape(AWQ_UNARY_EXP, i.get(), &desc), "awq_unary_shape", "i64");
  HostTensor out(AWQ_I64, {2});
  EXPECT_OP_ERROR(awq_unary(AWQ_UNARY_SQRT, i.get(), out.get()), "awq_unary", "Sqrt");
}

TEST(Binary, BroadcastShapesCornerCases) {
  const std::vector<BroadcastCase> cases = {
      {{2, 3, 4}, {4}, {2, 3, 4}},       {{2, 1, 4}, {3, 1}, {2, 3, 4}},
      {{}, {2, 3}, {2, 3}},              {{5, 1, 1}, {1, 1, 6}, {5, 1, 6}},
      {{1}, {1}, {1}},                   {{2, 0, 3}, {1, 3}, {2, 0, 3}},
      {{3, 1, 2, 1}, {4, 1, 5}, {3, 4, 2, 5}}, {{1, 1}, {7}, {1, 7}},
  };
  for (const BroadcastCase &c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.a) + " vs " + ::testing::PrintToString(c.b));
    const std::vector<float> av = randomFloats(numelOf(c.a), 10), bv = randomFloats(numelOf(c.b), 11);
    const HostTensor a = makeF32(c.a, av), b = makeF32(c.b, bv);
    for (awq_binary_op op : {AWQ_BINARY_ADD, AWQ_BINARY_SUB, AWQ_BINARY_MUL, AWQ_BINARY_MAX}) {
      const HostTensor out = runBinary(op, a, b);
      ASSERT_EQ(out.shape(), c.expected);
      std::vector<double> expected;
      for (int64_t i = 0; i < numelOf(c.expected); ++i) {
        const Shape idx = unravel(i, c.expected);
        const double x = av[broadcastIndex(idx, c.a)], y = bv[broadcastIndex(idx, c.b)];
        expected.push_back(op == AWQ_BINARY_ADD   ? x + y
                           : op == AWQ_BINARY_SUB ? x - y
                           : op == AWQ_BINARY_MUL ? x * y
                                                  : std::max(x, y));
      }
      expectNear(out.asDoubles(), expected, 1e-6);
    }
  }
}

TEST(Binary, LargeBroadcastUsesThreadsCorrectly) {
  // Big enough to be split across threads, with runs crossing chunk borders.
  const Shape as{3, 257, 129}, bs{257, 1};
  const std::vector<float> av = randomFloats(numelOf(as), 12), bv = randomFloats(numelOf(bs), 13);
  const HostTensor out = runBinary(AWQ_BINARY_DIV, makeF32(as, av), makeF32(bs, bv));
  std::vector<double> expected;
  for (int64_t i = 0; i < numelOf(as); ++i) {
    const Shape idx = unravel(i, as);
    expected.push_back(static_cast<double>(av[i]) / bv[broadcastIndex(idx, bs)]);
  }
  expectNear(out.asDoubles(), expected, 1e-5, 1e-5);
}

TEST(Binary, IntegerArithmeticAndComparisons) {
  const HostTensor a = makeI64({2, 3}, {7, -7, 9, 1, 2, 3});
  const HostTensor b = makeI64({3}, {2, 2, -4});
  EXPECT_EQ(runBinary(AWQ_BINARY_DIV, a, b).values<int64_t>(),
            (std::vector<int64_t>{3, -3, -2, 0, 1, 0})); // truncation toward zero
  EXPECT_EQ(runBinary(AWQ_BINARY_ADD, a, b).values<int64_t>(),
            (std::vector<int64_t>{9, -5, 5, 3, 4, -1}));
  const HostTensor less = runBinary(AWQ_BINARY_LESS, a, b);
  EXPECT_EQ(less.get()->dtype, AWQ_BOOL);
  EXPECT_EQ(less.values<uint8_t>(), (std::vector<uint8_t>{0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(runBinary(AWQ_BINARY_EQUAL, a, b).values<uint8_t>(),
            (std::vector<uint8_t>{0, 0, 0, 0, 1, 0}));
  EXPECT_EQ(runBinary(AWQ_BINARY_GREATER_OR_EQUAL, a, b).values<uint8_t>(),
            (std::vector<uint8_t>{1, 0, 1, 0, 1, 1}));
}

TEST(Binary, LogicalOps) {
  const HostTensor a = makeBool({4}, {0, 0, 1, 1}), b = makeBool({4}, {0, 1, 0, 1});
  EXPECT_EQ(runBinary(AWQ_BINARY_AND, a, b).values<uint8_t>(), (std::vector<uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(runBinary(AWQ_BINARY_OR, a, b).values<uint8_t>(), (std::vector<uint8_t>{0, 1, 1, 1}));
  EXPECT_EQ(runBinary(AWQ_BINARY_XOR, a, b).values<uint8_t>(), (std::vector<uint8_t>{0, 1, 1, 0}));
}

TEST(Binary, PowWithMixedExponentDtype) {
  const HostTensor base = makeF32({3}, {1.5f, -2.0f, 3.0f});
  const HostTensor square = runBinary(AWQ_BINARY_POW, base, makeI64({}, {2}));
  EXPECT_EQ(square.values<float>(), (std::vector<float>{2.25f, 4.0f, 9.0f}));
  const HostTensor root = runBinary(AWQ_BINARY_POW, makeF32({2}, {4.0f, 9.0f}), makeF32({}, {0.5f}));
  expectNear(root.asDoubles(), {2.0, 3.0}, 1e-6);
}

TEST(Binary, HalfInputs) {
  const std::vector<float> av = randomFloats(24, 20), bv = randomFloats(4, 21);
  for (int32_t dtype : {AWQ_F16, AWQ_BF16}) {
    const HostTensor a = makeHalf(dtype, {6, 4}, av), b = makeHalf(dtype, {4}, bv);
    const HostTensor out = runBinary(AWQ_BINARY_MUL, a, b);
    const std::vector<double> ad = a.asDoubles(), bd = b.asDoubles();
    std::vector<double> expected;
    for (int64_t i = 0; i < 24; ++i)
      expected.push_back(ad[i] * bd[i % 4]);
    // One rounding to the output type: 2^-11 (f16) or 2^-8 (bf16) relative.
    expectNear(out.asDoubles(), expected, 1e-6, dtype == AWQ_F16 ? 1.0 / 2048 : 1.0 / 256);
  }
}

TEST(Binary, Errors) {
  const HostTensor a = makeF32({2, 3}, std::vector<float>(6, 1.0f));
  const HostTensor b = makeF32({4}, std::vector<float>(4, 1.0f));
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_binary_shape(AWQ_BINARY_ADD, a.get(), b.get(), &desc), "awq_binary_shape",
                  "cannot broadcast");
  const HostTensor i = makeI64({3}, {1, 2, 3});
  EXPECT_OP_ERROR(awq_binary_shape(AWQ_BINARY_ADD, a.get(), i.get(), &desc), "awq_binary_shape",
                  "matching dtypes");
  HostTensor wrongOut = HostTensor(AWQ_F32, {3, 2});
  const HostTensor c = makeF32({3}, {1, 2, 3});
  EXPECT_OP_ERROR(awq_binary(AWQ_BINARY_ADD, a.get(), c.get(), wrongOut.get()), "awq_binary",
                  "output shape");
  HostTensor intOut(AWQ_I64, {3});
  const HostTensor zeroDivisor = makeI64({3}, {1, 0, 1});
  EXPECT_OP_ERROR(awq_binary(AWQ_BINARY_DIV, i.get(), zeroDivisor.get(), intOut.get()),
                  "awq_binary", "division by zero");
  EXPECT_OP_ERROR(awq_binary(AWQ_BINARY_ADD, nullptr, c.get(), wrongOut.get()), "awq_binary",
                  "NULL");
}

TEST(Where, ThreeWayBroadcast) {
  const HostTensor cond = makeBool({2, 1, 3}, {1, 0, 1, 0, 1, 0});
  const HostTensor x = makeF32({4, 1}, {1, 2, 3, 4});
  const HostTensor y = makeF32({}, {-1});
  awq_tensor desc{};
  ASSERT_EQ(awq_where_shape(cond.get(), x.get(), y.get(), &desc), 0) << awq_last_error();
  ASSERT_EQ(shapeOf(desc), (Shape{2, 4, 3}));
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_where(cond.get(), x.get(), y.get(), out.get()), 0) << awq_last_error();
  const std::vector<float> v = out.values<float>();
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t r = 0; r < 4; ++r)
      for (int64_t c = 0; c < 3; ++c)
        EXPECT_EQ(v[(b * 4 + r) * 3 + c], cond.values<uint8_t>()[b * 3 + c] ? r + 1.0f : -1.0f);

  const HostTensor notBool = makeF32({3}, {1, 0, 1});
  EXPECT_OP_ERROR(awq_where_shape(notBool.get(), x.get(), y.get(), &desc), "awq_where_shape",
                  "condition must be bool");
}
