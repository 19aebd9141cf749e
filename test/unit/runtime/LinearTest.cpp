// LinearTest.cpp - Linear (f32/f16/bf16 weights, both layouts), MatMul and Gemm vs double references.
#include "TestUtil.h"

using namespace awq::test;

namespace {

// y[m, n] = sum_k x[m, k] * W(k, n) + bias[n], with W given as [K, N] or [N, K].
std::vector<double> linearReference(const std::vector<double> &x, const std::vector<double> &w,
                                    const std::vector<double> &bias, int64_t m, int64_t k,
                                    int64_t n, bool weightIsNk) {
  std::vector<double> y(static_cast<size_t>(m * n));
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < n; ++c) {
      double sum = bias.empty() ? 0.0 : bias[c];
      for (int64_t i = 0; i < k; ++i)
        sum += x[r * k + i] * (weightIsNk ? w[c * k + i] : w[i * n + c]);
      y[r * n + c] = sum;
    }
  return y;
}

void checkLinear(int32_t weightDtype, int64_t m, int64_t k, int64_t n, bool weightIsNk,
                 bool withBias) {
  SCOPED_TRACE(std::string(awq_dtype_name(weightDtype)) + " m=" + std::to_string(m) +
               " k=" + std::to_string(k) + " n=" + std::to_string(n) +
               (weightIsNk ? " [N,K]" : " [K,N]") + (withBias ? " bias" : ""));
  const HostTensor x = makeF32({m, k}, randomFloats(m * k, 1));
  const Shape wShape = weightIsNk ? Shape{n, k} : Shape{k, n};
  const std::vector<float> wValues = randomFloats(k * n, 2);
  const HostTensor w = weightDtype == AWQ_F32 ? makeF32(wShape, wValues)
                                              : makeHalf(weightDtype, wShape, wValues);
  const HostTensor bias = makeF32({n}, randomFloats(n, 3));
  awq_tensor desc{};
  ASSERT_EQ(awq_linear_shape(x.get(), w.get(), withBias ? bias.get() : nullptr, weightIsNk, &desc),
            0)
      << awq_last_error();
  ASSERT_EQ(shapeOf(desc), (Shape{m, n}));
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_linear(x.get(), w.get(), withBias ? bias.get() : nullptr, weightIsNk, out.get()), 0)
      << awq_last_error();
  // The reference uses the weight values *as stored* (already rounded to
  // f16/bf16), so the only error left is f32 accumulation over K terms of
  // magnitude <= 1: about sqrt(K) * 2^-24 * K in the worst case; 1e-4 * sqrt(K)
  // leaves a wide margin yet catches any wrong element or layout.
  const double tolerance = 1e-4 * std::sqrt(static_cast<double>(k));
  expectNear(out.asDoubles(),
             linearReference(x.asDoubles(), w.asDoubles(), withBias ? bias.asDoubles() : std::vector<double>{},
                             m, k, n, weightIsNk),
             tolerance);
}

} // namespace

TEST(Linear, F32BothLayoutsWithAndWithoutBias) {
  for (bool nk : {false, true})
    for (bool bias : {false, true})
      checkLinear(AWQ_F32, 7, 33, 19, nk, bias);
}

TEST(Linear, HalfWeightsFewRowsDirectKernel) {
  for (int32_t dtype : {AWQ_F16, AWQ_BF16})
    for (bool nk : {false, true})
      checkLinear(dtype, 1, 130, 77, nk, true);
}

TEST(Linear, HalfWeightsManyRowsBlockedSgemm) {
  // K * N > 2^20 so the weight is widened in more than one block.
  for (int32_t dtype : {AWQ_F16, AWQ_BF16})
    for (bool nk : {false, true})
      checkLinear(dtype, 9, 1030, 1100, nk, nk);
}

TEST(Linear, HalfWeightVersusF32WeightIsWithinRoundingOfTheWeights) {
  // Same math, weight rounded to f16: |dy| <= sum_k |x| * |w| * 2^-11.
  const int64_t m = 5, k = 64, n = 16;
  const std::vector<float> wValues = randomFloats(k * n, 5);
  const HostTensor x = makeF32({m, k}, randomFloats(m * k, 4));
  const HostTensor w32 = makeF32({k, n}, wValues), w16 = makeHalf(AWQ_F16, {k, n}, wValues);
  HostTensor y32(AWQ_F32, {m, n}), y16(AWQ_F32, {m, n});
  ASSERT_EQ(awq_linear(x.get(), w32.get(), nullptr, 0, y32.get()), 0);
  ASSERT_EQ(awq_linear(x.get(), w16.get(), nullptr, 0, y16.get()), 0);
  expectNear(y16.asDoubles(), y32.asDoubles(), k * (1.0 / 2048) + 1e-5);
}

TEST(Linear, BatchedInputRank3) {
  const HostTensor x = makeF32({2, 3, 8}, randomFloats(48, 6));
  const HostTensor w = makeF32({4, 8}, randomFloats(32, 7));
  awq_tensor desc{};
  ASSERT_EQ(awq_linear_shape(x.get(), w.get(), nullptr, 1, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{2, 3, 4}));
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_linear(x.get(), w.get(), nullptr, 1, out.get()), 0);
  expectNear(out.asDoubles(), linearReference(x.asDoubles(), w.asDoubles(), {}, 6, 8, 4, true), 1e-5);
}

TEST(Linear, Errors) {
  const HostTensor x = makeF32({2, 8}, std::vector<float>(16, 1));
  const HostTensor w = makeF32({4, 8}, std::vector<float>(32, 1));
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_linear_shape(x.get(), w.get(), nullptr, 0, &desc), "awq_linear_shape",
                  "has K = 8");
  const HostTensor bias = makeF32({5}, std::vector<float>(5, 0));
  EXPECT_OP_ERROR(awq_linear_shape(x.get(), w.get(), bias.get(), 1, &desc), "awq_linear_shape",
                  "bias");
  const HostTensor xi = makeI64({2, 8}, std::vector<int64_t>(16, 1));
  HostTensor out(AWQ_F32, {2, 4});
  EXPECT_OP_ERROR(awq_linear(xi.get(), w.get(), nullptr, 1, out.get()), "awq_linear",
                  "input must be f32");
}

TEST(MatMul, BatchedBroadcastingAndVectors) {
  struct Case {
    Shape a, b, out;
  };
  const std::vector<Case> cases = {
      {{2, 3, 4}, {4, 5}, {2, 3, 5}},       {{2, 1, 3, 4}, {3, 4, 2}, {2, 3, 3, 2}},
      {{4}, {4, 5}, {5}},                   {{2, 3, 4}, {4}, {2, 3}},
      {{4}, {4}, {}},                       {{1, 3, 4}, {2, 4, 6}, {2, 3, 6}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.a) + " x " + ::testing::PrintToString(c.b));
    const HostTensor a = makeF32(c.a, randomFloats(numelOf(c.a), 8));
    const HostTensor b = makeF32(c.b, randomFloats(numelOf(c.b), 9));
    awq_tensor desc{};
    ASSERT_EQ(awq_matmul_shape(a.get(), b.get(), &desc), 0) << awq_last_error();
    ASSERT_EQ(shapeOf(desc), c.out);
    HostTensor out = HostTensor::like(desc);
    ASSERT_EQ(awq_matmul(a.get(), b.get(), out.get()), 0) << awq_last_error();

    // Reference: promote 1-D operands, broadcast batch dims, multiply.
    Shape as = c.a, bs = c.b;
    if (as.size() == 1)
      as.insert(as.begin(), 1);
    if (bs.size() == 1)
      bs.push_back(1);
    const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
    const Shape aBatch(as.begin(), as.end() - 2), bBatch(bs.begin(), bs.end() - 2);
    const size_t rank = std::max(aBatch.size(), bBatch.size());
    Shape batch(rank);
    for (size_t i = 0; i < rank; ++i) {
      const int64_t da = i < rank - aBatch.size() ? 1 : aBatch[i - (rank - aBatch.size())];
      const int64_t db = i < rank - bBatch.size() ? 1 : bBatch[i - (rank - bBatch.size())];
      batch[i] = std::max(da, db);
    }
    const std::vector<double> av = a.asDoubles(), bv = b.asDoubles();
    std::vector<double> expected;
    for (int64_t bi = 0; bi < numelOf(batch); ++bi) {
      const Shape idx = unravel(bi, batch);
      auto offsetIn = [&](const Shape &own) {
        int64_t index = 0, stride = 1;
        for (size_t j = own.size(); j-- > 0;) {
          index += (own[j] == 1 ? 0 : idx[j + rank - own.size()]) * stride;
          stride *= own[j];
        }
        return index;
      };
      const int64_t ao = offsetIn(aBatch) * m * k, bo = offsetIn(bBatch) * k * n;
      for (int64_t r = 0; r < m; ++r)
        for (int64_t col = 0; col < n; ++col) {
          double sum = 0;
          for (int64_t i = 0; i < k; ++i)
            sum += av[ao + r * k + i] * bv[bo + i * n + col];
          expected.push_back(sum);
        }
    }
    expectNear(out.asDoubles(), expected, 1e-5);
  }
}

TEST(MatMul, HalfOperands) {
  const HostTensor a = makeHalf(AWQ_BF16, {2, 3, 8}, randomFloats(48, 10));
  const HostTensor b = makeHalf(AWQ_BF16, {2, 8, 2}, randomFloats(32, 11));
  HostTensor out(AWQ_BF16, {2, 3, 2});
  ASSERT_EQ(awq_matmul(a.get(), b.get(), out.get()), 0) << awq_last_error();
  const std::vector<double> av = a.asDoubles(), bv = b.asDoubles();
  std::vector<double> expected;
  for (int64_t bi = 0; bi < 2; ++bi)
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t c = 0; c < 2; ++c) {
        double sum = 0;
        for (int64_t i = 0; i < 8; ++i)
          sum += av[bi * 24 + r * 8 + i] * bv[bi * 16 + i * 2 + c];
        expected.push_back(sum);
      }
  // Exact f32 math then one bf16 rounding (2^-8 relative).
  expectNear(out.asDoubles(), expected, 1e-3, 1.0 / 256);
}

TEST(MatMul, Errors) {
  const HostTensor a = makeF32({2, 3}, std::vector<float>(6, 0));
  const HostTensor b = makeF32({4, 2}, std::vector<float>(8, 0));
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_matmul_shape(a.get(), b.get(), &desc), "awq_matmul_shape", "inner dims");
  const HostTensor a3 = makeF32({2, 2, 3}, std::vector<float>(12, 0));
  const HostTensor b3 = makeF32({3, 3, 1}, std::vector<float>(9, 0));
  EXPECT_OP_ERROR(awq_matmul_shape(a3.get(), b3.get(), &desc), "awq_matmul_shape",
                  "cannot broadcast");
}

TEST(Gemm, TransposesAlphaBetaAndBroadcastC) {
  const int64_t m = 3, k = 5, n = 4;
  for (int transA : {0, 1})
    for (int transB : {0, 1}) {
      SCOPED_TRACE(std::to_string(transA) + std::to_string(transB));
      const HostTensor a = makeF32(transA ? Shape{k, m} : Shape{m, k}, randomFloats(m * k, 12));
      const HostTensor b = makeF32(transB ? Shape{n, k} : Shape{k, n}, randomFloats(k * n, 13));
      const HostTensor c = makeF32({n}, randomFloats(n, 14));
      awq_tensor desc{};
      ASSERT_EQ(awq_gemm_shape(a.get(), b.get(), c.get(), 0.5f, 2.0f, transA, transB, &desc), 0)
          << awq_last_error();
      HostTensor out = HostTensor::like(desc);
      ASSERT_EQ(awq_gemm(a.get(), b.get(), c.get(), 0.5f, 2.0f, transA, transB, out.get()), 0)
          << awq_last_error();
      const std::vector<double> av = a.asDoubles(), bv = b.asDoubles(), cv = c.asDoubles();
      std::vector<double> expected;
      for (int64_t r = 0; r < m; ++r)
        for (int64_t col = 0; col < n; ++col) {
          double sum = 0;
          for (int64_t i = 0; i < k; ++i)
            sum += (transA ? av[i * m + r] : av[r * k + i]) * (transB ? bv[col * k + i] : bv[i * n + col]);
          expected.push_back(0.5 * sum + 2.0 * cv[col]);
        }
      expectNear(out.asDoubles(), expected, 1e-5);
    }
}

TEST(Gemm, Errors) {
  const HostTensor a = makeF32({3, 5}, std::vector<float>(15, 0));
  const HostTensor b = makeF32({5, 4}, std::vector<float>(20, 0));
  const HostTensor c = makeF32({3, 3}, std::vector<float>(9, 0));
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_gemm_shape(a.get(), b.get(), c.get(), 1, 1, 0, 0, &desc), "awq_gemm_shape",
                  "C");
  EXPECT_OP_ERROR(awq_gemm_shape(a.get(), b.get(), nullptr, 1, 1, 1, 0, &desc), "awq_gemm_shape",
                  "K");
}
