// GroupMatmulKernelsTest.cpp - prepacked group weights and the fast group-matmul
// kernels (scalar, AVX2, AVX-512) against a double-precision reference.
//
// Tolerances (per output y[i][n], with absSum = sum_k |x[i][k] * W'[n][k]|):
//   fp32 activations: 1e-5 * absSum + 1e-6. The kernels sum O(K) f32 products
//     in several partial sums (per j, per group); f32 rounding is ~6e-8 per
//     add, and a single wrong code moves y by ~absSum / K >= 2.4e-4 * absSum at
//     K = 4096, far above the tolerance, so wrong unpacking cannot hide.
//   int8 activations: the fp32 tolerance plus the activation quantization
//     bound. Each x is replaced by blockScale * round(x / blockScale) with
//     blockScale = absmax(block of 32) / 127, so it moves by at most
//     blockScale / 2 (plus float rounding of x * 127 / absmax, covered by
//     0.501 instead of 0.5), and |y - y_exact| <= sum over blocks of
//     0.501 * blockScale * sum_{k in block} |W'[n][k]|. A separate test feeds
//     integer activations whose quantization is exact and holds the int8 path
//     to the fp32 tolerance.
#include "TestUtil.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

using namespace awq::test;

namespace {

// Group-quantized weights as awq_group_matmul takes them, plus the blob.
struct QuantizedWeights {
  int bits;
  int64_t n, k, groupSize, groups;
  bool zeroPoint;
  std::vector<uint8_t> codes, zeros; // [n][k], [n][groups]
  std::vector<float> scales;         // [n][groups]
  HostTensor packed, scalesTensor, zerosTensor, blob;

  double weight(int64_t row, int64_t index) const {
    const int64_t g = index / groupSize;
    const double zero = zeroPoint ? zeros[row * groups + g] : std::pow(2.0, bits - 1);
    return (codes[row * k + index] - zero) * scales[row * groups + g];
  }
};

QuantizedWeights makeWeights(int bits, int64_t n, int64_t k, int64_t groupSize, bool zeroPoint,
                             unsigned seed) {
  QuantizedWeights w{bits, n, k, groupSize, (k + groupSize - 1) / groupSize, zeroPoint,
                     {}, {}, {}, {}, {}, {}, {}};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> code(0, (1 << bits) - 1);
  std::uniform_real_distribution<float> scale(0.02f, 0.2f);
  w.codes.resize(n * k);
  for (uint8_t &c : w.codes)
    c = static_cast<uint8_t>(code(rng));
  w.scales.resize(n * w.groups);
  w.zeros.resize(n * w.groups);
  for (int64_t i = 0; i < n * w.groups; ++i) {
    w.scales[i] = scale(rng);
    w.zeros[i] = static_cast<uint8_t>(code(rng));
  }
  HostTensor codes = makeTensor<uint8_t>(AWQ_U8, {n, k}, w.codes);
  w.packed = HostTensor(AWQ_U8, {n, (k * bits + 7) / 8});
  EXPECT_EQ(awq_pack_codes(codes.get(), bits, w.packed.get()), 0) << awq_last_error();
  w.scalesTensor = makeF32({n, w.groups}, w.scales);
  w.zerosTensor = makeTensor<uint8_t>(AWQ_U8, {n, w.groups}, w.zeros);
  const awq_tensor *zerosArg = zeroPoint ? w.zerosTensor.get() : nullptr;
  awq_tensor blobDesc{};
  EXPECT_EQ(awq_group_weights_prepack_shape(w.packed.get(), w.scalesTensor.get(), zerosArg, bits,
                                            groupSize, k, &blobDesc), 0) << awq_last_error();
  w.blob = HostTensor::like(blobDesc);
  EXPECT_EQ(awq_group_weights_prepack(w.packed.get(), w.scalesTensor.get(), zerosArg, bits,
                                      groupSize, k, w.blob.get()), 0) << awq_last_error();
  return w;
}

// y = x . W'^T + bias in double, and the per-output tolerance for `activation`.
struct Reference {
  std::vector<double> y, tolerance;
};

Reference reference(const QuantizedWeights &w, const std::vector<float> &x, int64_t m,
                    const std::vector<float> *bias, int32_t activation) {
  std::vector<double> dequantized(w.n * w.k);
  for (int64_t j = 0; j < w.n; ++j)
    for (int64_t l = 0; l < w.k; ++l)
      dequantized[j * w.k + l] = w.weight(j, l);
  Reference ref{std::vector<double>(m * w.n), std::vector<double>(m * w.n)};
  for (int64_t i = 0; i < m; ++i) {
    const float *xi = x.data() + i * w.k;
    std::vector<double> blockStep((w.k + 31) / 32); // 0.501 * absmax / 127 per block
    for (int64_t l = 0; l < w.k; ++l)
      blockStep[l / 32] = std::max(blockStep[l / 32], 0.501 * std::fabs(xi[l]) / 127.0);
    for (int64_t j = 0; j < w.n; ++j) {
      double sum = bias ? (*bias)[j] : 0.0, absSum = 0.0, quantizationBound = 0.0;
      for (int64_t l = 0; l < w.k; ++l) {
        const double wl = dequantized[j * w.k + l];
        sum += xi[l] * wl;
        absSum += std::fabs(xi[l] * wl);
        quantizationBound += blockStep[l / 32] * std::fabs(wl);
      }
      ref.y[i * w.n + j] = sum;
      ref.tolerance[i * w.n + j] = 1e-5 * absSum + 1e-6 +
                                   (activation == AWQ_GROUP_ACT_INT8 ? quantizationBound : 0.0);
    }
  }
  return ref;
}

void expectWithin(const std::vector<double> &actual, const Reference &ref) {
  ASSERT_EQ(actual.size(), ref.y.size());
  for (size_t i = 0; i < actual.size(); ++i)
    ASSERT_NEAR(actual[i], ref.y[i], ref.tolerance[i]) << "element " << i;
}

std::vector<float> randomActivations(int64_t m, int64_t k, unsigned seed) {
  std::vector<float> x = randomFloats(m * k, seed);
  // One larger value per row makes its block's int8 scale coarse.
  for (int64_t i = 0; i < m; ++i)
    x[i * k + (i * 37) % k] = 3.0f;
  return x;
}

// Runs the prepacked matmul; returns the output as doubles.
std::vector<double> runPrepacked(const QuantizedWeights &w, const HostTensor &x,
                                 const HostTensor *bias, int32_t activation) {
  awq_tensor outDesc{};
  EXPECT_EQ(awq_group_matmul_prepacked_shape(x.get(), w.blob.get(), bias ? bias->get() : nullptr,
                                             &outDesc), 0) << awq_last_error();
  HostTensor out = HostTensor::like(outDesc);
  EXPECT_EQ(awq_group_matmul_prepacked(x.get(), w.blob.get(), bias ? bias->get() : nullptr,
                                       activation, out.get()), 0) << awq_last_error();
  return out.asDoubles();
}

// Forces an ISA for one test and restores AUTO afterwards; skips unsupported ones.
class IsaScope {
public:
  explicit IsaScope(int32_t isa) : supported_(awq_group_isa_supported(isa) != 0) {
    if (supported_)
      EXPECT_EQ(awq_group_set_isa(isa), 0) << awq_last_error();
  }
  ~IsaScope() { awq_group_set_isa(AWQ_GROUP_ISA_AUTO); }
  bool supported() const { return supported_; }

private:
  bool supported_;
};

#define SKIP_UNLESS_SUPPORTED(scope, isa)                                                          \
  if (!(scope).supported())                                                                        \
  GTEST_SKIP() << "this CPU cannot run the " << awq_group_isa_name(isa) << " kernels"

// ---- Tiled W4 kernels: every path x group size x zero point x K x M ----------

using KernelParams = std::tuple<int32_t /*isa*/, int32_t /*activation*/, int64_t /*group (0 = K)*/,
                                bool /*zero point*/, int64_t /*K*/, int64_t /*M*/>;

class TiledKernelTest : public ::testing::TestWithParam<KernelParams> {};

TEST_P(TiledKernelTest, MatchesReference) {
  const auto [isa, activation, group, zeroPoint, k, m] = GetParam();
  IsaScope scope(isa);
  SKIP_UNLESS_SUPPORTED(scope, isa);
  const int64_t n = 40; // three tiles, the last one partial
  const int64_t groupSize = group == 0 ? k : group;
  const QuantizedWeights w = makeWeights(4, n, k, groupSize, zeroPoint, 17);
  awq_group_weights_info info{};
  ASSERT_EQ(awq_group_weights_get_info(w.blob.get(), &info), 0) << awq_last_error();
  ASSERT_EQ(info.layout, AWQ_GROUP_LAYOUT_TILED_W4);

  const std::vector<float> x = randomActivations(m, k, 5);
  const std::vector<float> bias = randomFloats(n, 3);
  HostTensor xTensor = makeF32({m, k}, x), biasTensor = makeF32({n}, bias);
  const Reference ref = reference(w, x, m, &bias, activation);
  expectWithin(runPrepacked(w, xTensor, &biasTensor, activation), ref);
}

std::string kernelName(const ::testing::TestParamInfo<KernelParams> &info) {
  const auto [isa, activation, group, zeroPoint, k, m] = info.param;
  return std::string(awq_group_isa_name(isa)) + (activation == AWQ_GROUP_ACT_INT8 ? "_int8" : "_f32") +
         "_g" + (group == 0 ? std::string("K") : std::to_string(group)) + (zeroPoint ? "_zp" : "_sym") +
         "_K" + std::to_string(k) + "_M" + std::to_string(m);
}

INSTANTIATE_TEST_SUITE_P(
    AllPaths, TiledKernelTest,
    ::testing::Combine(::testing::Values(AWQ_GROUP_ISA_SCALAR, AWQ_GROUP_ISA_AVX2,
                                         AWQ_GROUP_ISA_AVX512),
                       ::testing::Values(AWQ_GROUP_ACT_F32, AWQ_GROUP_ACT_INT8),
                       ::testing::Values<int64_t>(32, 64, 128, 0), ::testing::Bool(),
                       ::testing::Values<int64_t>(128, 172, 4096),
                       ::testing::Values<int64_t>(1, 3, 8, 64)),
    kernelName);

// Integer activations in [-127, 127] with 127 in every block quantize exactly
// (blockScale = 1), so the int8 path must be as accurate as the fp32 one.
class ExactInt8Test : public ::testing::TestWithParam<std::tuple<int32_t, int64_t>> {};

TEST_P(ExactInt8Test, ExactlyQuantizableActivations) {
  const auto [isa, m] = GetParam();
  IsaScope scope(isa);
  SKIP_UNLESS_SUPPORTED(scope, isa);
  const int64_t n = 24, k = 172;
  const QuantizedWeights w = makeWeights(4, n, k, 64, true, 23);
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> value(-127, 127);
  std::vector<float> x(m * k);
  for (int64_t i = 0; i < m * k; ++i)
    x[i] = static_cast<float>(i % k % 32 == 0 ? 127 : value(rng));
  HostTensor xTensor = makeF32({m, k}, x);
  expectWithin(runPrepacked(w, xTensor, nullptr, AWQ_GROUP_ACT_INT8),
               reference(w, x, m, nullptr, AWQ_GROUP_ACT_F32));
}

INSTANTIATE_TEST_SUITE_P(AllPaths, ExactInt8Test,
                         ::testing::Combine(::testing::Values(AWQ_GROUP_ISA_SCALAR,
                                                              AWQ_GROUP_ISA_AVX2,
                                                              AWQ_GROUP_ISA_AVX512),
                                            ::testing::Values<int64_t>(1, 2, 5)));

// ---- Row_major blobs: other widths and group sizes on the portable path ------

using FallbackParams = std::tuple<int /*bits*/, int64_t /*group (0 = K)*/, bool, int64_t /*K*/,
                                  int64_t /*M*/>;

class RowMajorBlobTest : public ::testing::TestWithParam<FallbackParams> {};

TEST_P(RowMajorBlobTest, MatchesReferenceInBothModes) {
  const auto [bits, group, zeroPoint, k, m] = GetParam();
  const int64_t n = 20, groupSize = group == 0 ? k : group;
  const QuantizedWeights w = makeWeights(bits, n, k, groupSize, zeroPoint, 31);
  awq_group_weights_info info{};
  ASSERT_EQ(awq_group_weights_get_info(w.blob.get(), &info), 0) << awq_last_error();
  const bool tiled = bits == 4 && (groupSize % 32 == 0 || groupSize >= k);
  EXPECT_EQ(info.layout, tiled ? AWQ_GROUP_LAYOUT_TILED_W4 : AWQ_GROUP_LAYOUT_ROW_MAJOR);
  const std::vector<float> x = randomActivations(m, k, 8);
  HostTensor xTensor = makeF32({m, k}, x);
  // Row_major blobs compute in f32 whatever the mode: both get the f32 tolerance.
  for (int32_t activation : {AWQ_GROUP_ACT_F32, AWQ_GROUP_ACT_INT8})
    expectWithin(runPrepacked(w, xTensor, nullptr, activation),
                 reference(w, x, m, nullptr, tiled ? activation : AWQ_GROUP_ACT_F32));
}

INSTANTIATE_TEST_SUITE_P(OtherWidths, RowMajorBlobTest,
                         ::testing::Combine(::testing::Values(2, 3, 8),
                                            ::testing::Values<int64_t>(32, 64, 128, 0),
                                            ::testing::Bool(),
                                            ::testing::Values<int64_t>(128, 172, 4096),
                                            ::testing::Values<int64_t>(1, 8)));
// Group sizes that are not whole blocks of 32 stay row_major even at 4 bits.
INSTANTIATE_TEST_SUITE_P(OddGroups, RowMajorBlobTest,
                         ::testing::Combine(::testing::Values(4),
                                            ::testing::Values<int64_t>(16, 48), ::testing::Bool(),
                                            ::testing::Values<int64_t>(172),
                                            ::testing::Values<int64_t>(1, 8)));

// ---- Fused gate/up -------------------------------------------------------------

double silu(double v) { return v / (1.0 + std::exp(-v)); }

class GateUpTest
    : public ::testing::TestWithParam<std::tuple<int32_t, int32_t, int /*bits*/, int64_t /*M*/>> {};

TEST_P(GateUpTest, MatchesUnfused) {
  const auto [isa, activation, bits, m] = GetParam();
  IsaScope scope(isa);
  SKIP_UNLESS_SUPPORTED(scope, isa);
  const int64_t n = 40, k = 172;
  const QuantizedWeights gate = makeWeights(bits, n, k, 32, true, 41);
  const QuantizedWeights up = makeWeights(bits, n, k, 32, false, 43);
  HostTensor x = makeF32({m, k}, randomActivations(m, k, 12));
  const std::vector<double> gateOut = runPrepacked(gate, x, nullptr, activation);
  const std::vector<double> upOut = runPrepacked(up, x, nullptr, activation);

  awq_tensor outDesc{};
  ASSERT_EQ(awq_group_matmul_gate_up_silu_prepacked_shape(x.get(), gate.blob.get(),
                                                          up.blob.get(), &outDesc), 0)
      << awq_last_error();
  HostTensor out = HostTensor::like(outDesc);
  ASSERT_EQ(out.shape(), (Shape{m, n}));
  ASSERT_EQ(awq_group_matmul_gate_up_silu_prepacked(x.get(), gate.blob.get(), up.blob.get(),
                                                    activation, out.get()), 0)
      << awq_last_error();
  // Same kernels on the same prepared activations: only SiLU's f32 rounding differs.
  std::vector<double> expected(m * n);
  for (int64_t i = 0; i < m * n; ++i)
    expected[i] = silu(gateOut[i]) * upOut[i];
  expectNear(out.asDoubles(), expected, 1e-6, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    AllPaths, GateUpTest,
    ::testing::Combine(::testing::Values(AWQ_GROUP_ISA_SCALAR, AWQ_GROUP_ISA_AVX2,
                                         AWQ_GROUP_ISA_AVX512),
                       ::testing::Values(AWQ_GROUP_ACT_F32, AWQ_GROUP_ACT_INT8),
                       ::testing::Values(4, 3), ::testing::Values<int64_t>(1, 3, 8, 64)));

// ---- Prepack round trip --------------------------------------------------------

class RoundTripTest
    : public ::testing::TestWithParam<std::tuple<int, int64_t /*group (0 = K)*/, bool, int64_t>> {};

TEST_P(RoundTripTest, UnpackGivesBackTheRowMajorCodes) {
  const auto [bits, group, zeroPoint, k] = GetParam();
  const int64_t n = 37, groupSize = group == 0 ? k : group;
  const QuantizedWeights w = makeWeights(bits, n, k, groupSize, zeroPoint, 55);
  awq_group_weights_info info{};
  ASSERT_EQ(awq_group_weights_get_info(w.blob.get(), &info), 0) << awq_last_error();
  EXPECT_EQ(info.bits, bits);
  EXPECT_EQ(info.group_size, groupSize);
  EXPECT_EQ(info.k, k);
  EXPECT_EQ(info.n, n);
  EXPECT_EQ(info.has_zeros, zeroPoint ? 1 : 0);
  HostTensor codes(AWQ_U8, w.packed.shape()), scales(AWQ_F32, {n, w.groups}),
      zeros(AWQ_U8, {n, w.groups});
  ASSERT_EQ(awq_group_weights_unpack(w.blob.get(), codes.get(), scales.get(),
                                     zeroPoint ? zeros.get() : nullptr), 0)
      << awq_last_error();
  EXPECT_EQ(codes.values<uint8_t>(), w.packed.values<uint8_t>());
  EXPECT_EQ(scales.values<float>(), w.scales);
  if (zeroPoint)
    EXPECT_EQ(zeros.values<uint8_t>(), w.zeros);
}

INSTANTIATE_TEST_SUITE_P(AllWidths, RoundTripTest,
                         ::testing::Combine(::testing::Values(2, 3, 4, 8),
                                            ::testing::Values<int64_t>(32, 64, 128, 0),
                                            ::testing::Bool(),
                                            ::testing::Values<int64_t>(128, 172)));

TEST(Prepack, F16ScalesAreStoredAsTheirF32Values) {
  const int64_t n = 3, k = 64;
  const QuantizedWeights w = makeWeights(4, n, k, 32, false, 61);
  HostTensor halfScales = makeHalf(AWQ_F16, {n, 2}, w.scales);
  awq_tensor blobDesc{};
  ASSERT_EQ(awq_group_weights_prepack_shape(w.packed.get(), halfScales.get(), nullptr, 4, 32, k,
                                            &blobDesc), 0) << awq_last_error();
  HostTensor blob = HostTensor::like(blobDesc);
  ASSERT_EQ(awq_group_weights_prepack(w.packed.get(), halfScales.get(), nullptr, 4, 32, k,
                                      blob.get()), 0) << awq_last_error();
  HostTensor codes(AWQ_U8, w.packed.shape()), scales(AWQ_F32, {n, 2});
  ASSERT_EQ(awq_group_weights_unpack(blob.get(), codes.get(), scales.get(), nullptr), 0)
      << awq_last_error();
  const std::vector<double> expected = halfScales.asDoubles();
  for (int64_t i = 0; i < n * 2; ++i)
    EXPECT_EQ(scales.values<float>()[i], static_cast<float>(expected[i])) << i;
}

// ---- Large activations, long K: f32 accumulation must not overflow -------------

TEST(GroupMatmulKernels, LargeActivationsStayFinite) {
  const int64_t n = 16, k = 11008, m = 1;
  const QuantizedWeights w = makeWeights(4, n, k, 128, true, 71);
  const std::vector<float> x = randomFloats(m * k, 4, -1000.0f, 1000.0f);
  HostTensor xTensor = makeF32({m, k}, x);
  for (int32_t isa : {AWQ_GROUP_ISA_SCALAR, AWQ_GROUP_ISA_AVX2, AWQ_GROUP_ISA_AVX512}) {
    IsaScope scope(isa);
    if (!scope.supported())
      continue;
    for (int32_t activation : {AWQ_GROUP_ACT_F32, AWQ_GROUP_ACT_INT8})
      expectWithin(runPrepacked(w, xTensor, nullptr, activation),
                   reference(w, x, m, nullptr, activation));
  }
}

// ---- ISA selection and error paths ----------------------------------------------

TEST(GroupIsa, SelectionFollowsSetIsa) {
  EXPECT_EQ(awq_group_isa_supported(AWQ_GROUP_ISA_SCALAR), 1);
  EXPECT_EQ(awq_group_isa_supported(AWQ_GROUP_ISA_AUTO), 1);
  ASSERT_EQ(awq_group_set_isa(AWQ_GROUP_ISA_SCALAR), 0) << awq_last_error();
  EXPECT_EQ(awq_group_get_isa(), AWQ_GROUP_ISA_SCALAR);
  ASSERT_EQ(awq_group_set_isa(AWQ_GROUP_ISA_AUTO), 0) << awq_last_error();
  EXPECT_NE(awq_group_get_isa(), AWQ_GROUP_ISA_AUTO);
  EXPECT_EQ(awq_group_isa_supported(awq_group_get_isa()), 1);
  EXPECT_OP_ERROR(awq_group_set_isa(7), "awq_group_set_isa", "unknown isa 7");
  for (int32_t isa : {AWQ_GROUP_ISA_AVX2, AWQ_GROUP_ISA_AVX512})
    if (!awq_group_isa_supported(isa))
      EXPECT_OP_ERROR(awq_group_set_isa(isa), "awq_group_set_isa", "cannot run");
}

class PrepackedErrors : public ::testing::Test {
protected:
  QuantizedWeights w = makeWeights(4, 20, 64, 32, true, 81);
  HostTensor x = makeF32({2, 64}, randomFloats(128, 2));
  HostTensor out = HostTensor(AWQ_F32, {2, 20});
};

TEST_F(PrepackedErrors, RejectsABadMagic) {
  w.blob.data<uint8_t>()[0] = 'X';
  EXPECT_OP_ERROR(awq_group_matmul_prepacked(x.get(), w.blob.get(), nullptr, AWQ_GROUP_ACT_F32,
                                             out.get()),
                  "awq_group_matmul_prepacked", "bad magic");
}

TEST_F(PrepackedErrors, RejectsATruncatedBlob) {
  w.blob.get()->shape[0] -= 64;
  EXPECT_OP_ERROR(awq_group_matmul_prepacked(x.get(), w.blob.get(), nullptr, AWQ_GROUP_ACT_F32,
                                             out.get()),
                  "awq_group_matmul_prepacked", "inconsistent");
}

TEST_F(PrepackedErrors, RejectsWrongInputWidth) {
  HostTensor wide = makeF32({2, 65}, randomFloats(130, 2));
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_group_matmul_prepacked_shape(wide.get(), w.blob.get(), nullptr, &desc),
                  "awq_group_matmul_prepacked_shape", "input has 65 features but the weights have K = 64");
}

TEST_F(PrepackedErrors, RejectsUnknownActivationMode) {
  EXPECT_OP_ERROR(awq_group_matmul_prepacked(x.get(), w.blob.get(), nullptr, 2, out.get()),
                  "awq_group_matmul_prepacked", "activation must be");
}

TEST_F(PrepackedErrors, RejectsWrongBiasAndOutput) {
  HostTensor bias = makeF32({19}, randomFloats(19, 1));
  EXPECT_OP_ERROR(awq_group_matmul_prepacked(x.get(), w.blob.get(), bias.get(), AWQ_GROUP_ACT_F32,
                                             out.get()),
                  "awq_group_matmul_prepacked", "bias has 19 elements, expected N = 20");
  HostTensor narrow(AWQ_F32, {2, 19});
  EXPECT_OP_ERROR(awq_group_matmul_prepacked(x.get(), w.blob.get(), nullptr, AWQ_GROUP_ACT_F32,
                                             narrow.get()),
                  "awq_group_matmul_prepacked", "");
}

TEST_F(PrepackedErrors, RejectsMismatchedGateAndUp) {
  const QuantizedWeights other = makeWeights(4, 24, 64, 32, true, 83);
  EXPECT_OP_ERROR(awq_group_matmul_gate_up_silu_prepacked(x.get(), w.blob.get(), other.blob.get(),
                                                          AWQ_GROUP_ACT_INT8, out.get()),
                  "awq_group_matmul_gate_up_silu_prepacked", "differ");
}

TEST_F(PrepackedErrors, RejectsAnUnpackWithoutZeros) {
  HostTensor codes(AWQ_U8, w.packed.shape()), scales(AWQ_F32, {20, 2});
  EXPECT_OP_ERROR(awq_group_weights_unpack(w.blob.get(), codes.get(), scales.get(), nullptr),
                  "awq_group_weights_unpack", "zeros must not be NULL");
}

TEST(Prepack, RejectsBadWeights) {
  HostTensor packed(AWQ_U8, {8, 31}), scales(AWQ_F32, {8, 2});
  awq_tensor blob{};
  EXPECT_OP_ERROR(awq_group_weights_prepack_shape(packed.get(), scales.get(), nullptr, 4, 32, 64,
                                                  &blob),
                  "awq_group_weights_prepack_shape", "qweight has shape [8, 31], expected [N >= 1, 32]");
  HostTensor goodPacked(AWQ_U8, {8, 32});
  EXPECT_OP_ERROR(awq_group_weights_prepack_shape(goodPacked.get(), scales.get(), nullptr, 4, 128,
                                                  64, &blob),
                  "awq_group_weights_prepack_shape", "group_size 128 exceeds K = 64");
  EXPECT_OP_ERROR(awq_group_weights_prepack_shape(goodPacked.get(), scales.get(), nullptr, 5, 32,
                                                  64, &blob),
                  "awq_group_weights_prepack_shape", "bits must be 2, 3, 4 or 8");
}

} // namespace
