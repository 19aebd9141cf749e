// GroupKernelLanesHostTest.cu - the kernels' own per-thread code run on the
// HOST: all 32 lanes of the GEMV (GroupGemvLane.cuh), summed as the warp
// shuffle would, and the 128-bit dequantization that stages tensor-core
// tiles and feeds cuBLAS (dequantizeCodeVector), against the CPU runtime.
// This checks the chunk partitioning, group and zero-point indexing,
// padding and activation loads of the GPU paths without a GPU; only the
// launch, the shuffles and the WMMA products are left to the GPU tests.
#include "CudaTestUtil.h"
#include "GroupGemvLane.cuh"
#include "GroupWeightsFixture.h"

#include <cmath>
#include <cstring>
#include <set>

using namespace awq::test;

namespace {

// How the GEMV's lanes walk a row (GroupGemvLane.cuh, GroupGemv.cu).
enum class Walk { Chunks, Words, StagedChunks, ChunkPairs };

const char *walkName(Walk walk) {
  switch (walk) {
  case Walk::Chunks: return "chunks";
  case Walk::Words: return "words";
  case Walk::ChunkPairs: return "chunk pairs (two weight rows per warp)";
  default: return "chunks over x staged as the kernel stages it";
  }
}

// What the GEMV kernel writes for y[r, row], in f32 before the final rounding;
// x in f16 (X = __half) or in f32 (X = float: an f32 graph's).
template <int BITS, int MR, bool GATE_UP, bool VEC_X, Walk WALK, class X>
std::vector<float> gemvOnHost(const std::vector<X> &x, const awq::cuda::GroupWeightsView &w,
                              const awq::cuda::GroupWeightsView &up, const __half *bias) {
  // The staged kernel's copy of x: the same two functions it calls per piece.
  const int64_t piecesPerRow = w.kPadded / 8;
  std::vector<uint4> pieces(static_cast<size_t>(MR * piecesPerRow));
  if (WALK == Walk::StagedChunks)
    for (int r = 0; r < MR; ++r)
      for (int64_t piece = 0; piece < piecesPerRow; ++piece)
        pieces[r * piecesPerRow + awq::cuda::stagedPieceIndex(piece)] =
            awq::cuda::activationPiece<__half, X, VEC_X>(x.data(), w.k, r, piece);
  std::vector<float> y(static_cast<size_t>(MR * w.n));
  if constexpr (WALK == Walk::ChunkPairs) {
    // As groupGemvPairKernel: output rows 2w and 2w + 1 per warp (the second
    // clamped past n and dropped), or with GATE_UP the gate and up rows.
    const awq::cuda::GlobalActivations<__half, X, VEC_X> activations{x.data(), w.k};
    for (int64_t row = 0; row < w.n; row += GATE_UP ? 1 : 2) {
      float total[2][MR] = {};
      for (int lane = 0; lane < awq::cuda::kWarpLanes; ++lane) {
        float acc[2][MR] = {};
        awq::cuda::gemvPairLaneSums<__half, BITS, MR, GATE_UP>(activations, w, up, row, lane, acc);
        for (int i = 0; i < 2; ++i)
          for (int r = 0; r < MR; ++r)
            total[i][r] += acc[i][r];
      }
      for (int r = 0; r < MR; ++r) {
        y[r * w.n + row] =
            awq::cuda::gemvOutput<__half, GATE_UP>(total[0][r], total[1][r], bias, row);
        if (!GATE_UP && row + 1 < w.n)
          y[r * w.n + row + 1] =
              awq::cuda::gemvOutput<__half, false>(total[1][r], 0.0f, bias, row + 1);
      }
    }
  } else {
    for (int64_t row = 0; row < w.n; ++row) {
      float total[MR] = {}, totalUp[MR] = {};
      for (int lane = 0; lane < awq::cuda::kWarpLanes; ++lane) {
        float acc[MR] = {}, accUp[MR] = {};
        if constexpr (WALK == Walk::StagedChunks)
          awq::cuda::gemvLaneSums<__half, BITS, MR, GATE_UP, false>(
              awq::cuda::StagedActivations<__half>{pieces.data(), piecesPerRow}, w, up, row, lane,
              acc, accUp);
        else
          awq::cuda::gemvLaneSums<__half, BITS, MR, GATE_UP, WALK == Walk::Words>(
              awq::cuda::GlobalActivations<__half, X, VEC_X>{x.data(), w.k}, w, up, row, lane, acc,
              accUp);
        for (int r = 0; r < MR; ++r) {
          total[r] += acc[r];
          totalUp[r] += accUp[r];
        }
      }
      for (int r = 0; r < MR; ++r)
        y[r * w.n + row] =
            awq::cuda::gemvOutput<__half, GATE_UP>(total[r], totalUp[r], bias, row);
    }
  }
  return y;
}

std::vector<__half> asHalves(const std::vector<float> &values) {
  std::vector<__half> out(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    out[i] = __float2half_rn(values[i]);
  return out;
}

using Reference = GroupMatmulReference;
Reference reference(const CanonicalGroupWeights &w, const std::vector<float> &x, int64_t m,
                    const std::vector<float> *bias) {
  return groupMatmulReference(w, AWQ_F16, x, m, bias);
}

template <int BITS, int MR, bool VEC_X, Walk WALK>
void checkGemvLanesWith(int64_t groupSize, int64_t k, bool hasZeros, unsigned seed) {
  const CanonicalGroupWeights w = makeGroupWeights(BITS, groupSize, k, 9, hasZeros, seed);
  SCOPED_TRACE(w.describe() + " M=" + std::to_string(MR) + (VEC_X ? " vector" : " scalar") +
               " loads, lanes walk " + walkName(WALK));
  const std::vector<uint8_t> blob = packForCuda(w, AWQ_F16);
  const awq::cuda::GroupWeightsView view = awq::cuda::viewOf(blob.data(), infoOf(blob));
  const std::vector<float> x = roundThrough(AWQ_F16, randomFloats(MR * k, seed + 1, -2.0f, 2.0f));
  const std::vector<float> bias = roundThrough(AWQ_F16, randomFloats(w.n, seed + 2));
  const std::vector<__half> biasHalves = asHalves(bias);
  const std::vector<float> got =
      gemvOnHost<BITS, MR, false, VEC_X, WALK>(asHalves(x), view, view, biasHalves.data());
  const Reference expected = reference(w, x, MR, &bias);
  // Same products, summed in another order in f32.
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], expected.y[i], 1e-5 * expected.magnitude[i] + 1e-6) << "output " << i;
}

// Every way the GEMV's lanes can walk a row (the staged one serves 4 bits).
template <int BITS, int MR, bool VEC_X>
void checkGemvLanes(int64_t groupSize, int64_t k, bool hasZeros, unsigned seed) {
  checkGemvLanesWith<BITS, MR, VEC_X, Walk::Chunks>(groupSize, k, hasZeros, seed);
  checkGemvLanesWith<BITS, MR, VEC_X, Walk::Words>(groupSize, k, hasZeros, seed);
  checkGemvLanesWith<BITS, MR, VEC_X, Walk::ChunkPairs>(groupSize, k, hasZeros, seed);
  if constexpr (BITS == 4)
    checkGemvLanesWith<BITS, MR, VEC_X, Walk::StagedChunks>(groupSize, k, hasZeros, seed);
}

} // namespace

TEST(CudaGemvLanesHost, AllLanesSumToTheCpuResult) {
  // K = 384: vector activation loads; K = 172 (not a multiple of 8): scalar
  // loads and a padded last chunk; group = K = 172: one group per row.
  checkGemvLanes<4, 1, true>(32, 384, true, 1);
  checkGemvLanes<4, 4, true>(128, 384, false, 2);
  checkGemvLanes<4, 3, true>(64, 2048, true, 3); // > 32 x 4 chunks: lanes take several steps
  checkGemvLanes<4, 1, false>(32, 172, true, 4);
  checkGemvLanes<4, 2, false>(172, 172, false, 5);
  checkGemvLanes<8, 1, true>(32, 384, true, 6);
  checkGemvLanes<8, 4, false>(64, 172, true, 7);
  checkGemvLanes<8, 2, true>(128, 4096, false, 8);
  checkGemvLanes<4, 1, true>(128, 11008, true, 9); // > 32 x 16 words: several word steps
}

TEST(CudaGemvLanesHost, StagedActivationsAreSwizzledWithoutBankConflicts) {
  // Within each chunk the four pieces are a permutation of its four slots,
  // and a warp reading piece w of 8 consecutive chunks touches 8 different
  // 16-byte bank groups (all 32 banks): the fewest shared-memory wavefronts.
  for (int64_t chunk = 0; chunk < 64; ++chunk) {
    std::set<int64_t> slots;
    for (int64_t w = 0; w < 4; ++w) {
      const int64_t index = awq::cuda::stagedPieceIndex(chunk * 4 + w);
      EXPECT_EQ(index / 4, chunk);
      slots.insert(index);
    }
    EXPECT_EQ(slots.size(), 4u) << "chunk " << chunk;
  }
  for (int64_t first = 0; first < 64; ++first)
    for (int64_t w = 0; w < 4; ++w) {
      std::set<int64_t> bankGroups;
      for (int64_t chunk = first; chunk < first + 8; ++chunk)
        bankGroups.insert(awq::cuda::stagedPieceIndex(chunk * 4 + w) % 8);
      EXPECT_EQ(bankGroups.size(), 8u) << "chunks " << first << "+, piece " << w;
    }
}

TEST(CudaGemvLanesHost, FusedGateUpLanesGiveSiluTimesUp) {
  const CanonicalGroupWeights gate = makeGroupWeights(4, 64, 256, 7, true, 20);
  const CanonicalGroupWeights up = makeGroupWeights(4, 64, 256, 7, true, 21);
  const std::vector<uint8_t> gateBlob = packForCuda(gate, AWQ_F16);
  const std::vector<uint8_t> upBlob = packForCuda(up, AWQ_F16);
  const std::vector<float> x = roundThrough(AWQ_F16, randomFloats(2 * 256, 22, -2.0f, 2.0f));
  const Reference g = reference(gate, x, 2, nullptr);
  const Reference u = reference(up, x, 2, nullptr);
  const auto gateView = awq::cuda::viewOf(gateBlob.data(), infoOf(gateBlob));
  const auto upView = awq::cuda::viewOf(upBlob.data(), infoOf(upBlob));
  for (Walk walk : {Walk::Chunks, Walk::Words, Walk::StagedChunks, Walk::ChunkPairs}) {
    SCOPED_TRACE(std::string("lanes walk ") + walkName(walk));
    const std::vector<__half> xHalves = asHalves(x);
    const std::vector<float> got =
        walk == Walk::Chunks  ? gemvOnHost<4, 2, true, true, Walk::Chunks>(xHalves, gateView,
                                                                          upView, nullptr)
        : walk == Walk::Words ? gemvOnHost<4, 2, true, true, Walk::Words>(xHalves, gateView,
                                                                          upView, nullptr)
        : walk == Walk::ChunkPairs
            ? gemvOnHost<4, 2, true, true, Walk::ChunkPairs>(xHalves, gateView, upView, nullptr)
            : gemvOnHost<4, 2, true, true, Walk::StagedChunks>(xHalves, gateView, upView,
                                                               nullptr);
    for (size_t i = 0; i < got.size(); ++i) {
      const double silu = g.y[i] / (1.0 + std::exp(-static_cast<double>(g.y[i])));
      // Each factor is within 1e-5 of its magnitude sum; the product carries it.
      const double tolerance =
          1e-5 * (g.magnitude[i] * std::fabs(u.y[i]) + u.magnitude[i] * std::fabs(silu)) + 1e-6;
      ASSERT_NEAR(got[i], silu * u.y[i], tolerance) << "output " << i;
    }
  }
}

TEST(CudaDequantizeVectorHost, TilesAndCublasInputEqualTheRoundedWeights) {
  // Every 128-bit vector of codes, as the tensor-core tiles and the
  // dequantize kernel read it, equals (code - zero) * scale rounded once to
  // the dtype, and padding inputs are exactly 0.
  unsigned seed = 40;
  for (int32_t bits : {4, 8})
    for (const auto &[k, groupSize] : {std::pair<int64_t, int64_t>{384, 32}, {172, 64}, {200, 200}})
      for (bool hasZeros : {true, false}) {
        const CanonicalGroupWeights w = makeGroupWeights(bits, groupSize, k, 5, hasZeros, seed++);
        SCOPED_TRACE(w.describe());
        const std::vector<uint8_t> blob = packForCuda(w, AWQ_F16);
        const awq_cuda_group_weights_info info = infoOf(blob);
        const awq::cuda::GroupWeightsView view = awq::cuda::viewOf(blob.data(), info);
        const HostTensor scales = scalesRoundedTo(w, AWQ_F16);
        const int inputs = 128 / bits;
        for (int64_t row = 0; row < w.n; ++row)
          for (int64_t first = 0; first < info.k_padded; first += inputs) {
            __half values[32];
            if (bits == 4)
              awq::cuda::dequantizeCodeVector<__half, 4>(view, row, first, values);
            else
              awq::cuda::dequantizeCodeVector<__half, 8>(view, row, first, values);
            for (int j = 0; j < inputs; ++j) {
              const int64_t input = first + j;
              float expected = 0.0f;
              if (input < k) {
                const int64_t group = input / groupSize;
                const int code = w.codes.data<uint8_t>()[row * k + input];
                expected = fromHalfBits(
                    AWQ_F16, toHalfBits(AWQ_F16, (code - w.zeroAt(row, group)) *
                                                     scales.data<float>()[row * w.groups + group]));
              }
              ASSERT_EQ(__half2float(values[j]), expected) << "row " << row << " input " << input;
            }
          }
      }
}

namespace {

// f32 x (an f32 graph's): every walk rounds it to f16 as it loads or stages
// it, so its sums are those of x cast to f16 first, bit for bit.
template <int BITS, int MR, bool VEC_X, Walk WALK>
void checkF32ActivationsWith(int64_t groupSize, int64_t k, unsigned seed) {
  const CanonicalGroupWeights w = makeGroupWeights(BITS, groupSize, k, 9, true, seed);
  SCOPED_TRACE(w.describe() + " M=" + std::to_string(MR) + (VEC_X ? " vector" : " scalar") +
               " loads, lanes walk " + walkName(WALK));
  const std::vector<uint8_t> blob = packForCuda(w, AWQ_F16);
  const awq::cuda::GroupWeightsView view = awq::cuda::viewOf(blob.data(), infoOf(blob));
  const std::vector<float> x = randomFloats(MR * k, seed + 1, -2.0f, 2.0f); // not f16 values
  const std::vector<__half> bias = asHalves(randomFloats(w.n, seed + 2));
  const std::vector<float> fromF32 =
      gemvOnHost<BITS, MR, false, VEC_X, WALK>(x, view, view, bias.data());
  const std::vector<float> fromHalves =
      gemvOnHost<BITS, MR, false, VEC_X, WALK>(asHalves(x), view, view, bias.data());
  ASSERT_EQ(fromF32.size(), fromHalves.size());
  for (size_t i = 0; i < fromF32.size(); ++i)
    ASSERT_EQ(fromF32[i], fromHalves[i]) << "output " << i;
}

template <int BITS, int MR, bool VEC_X>
void checkF32Activations(int64_t groupSize, int64_t k, unsigned seed) {
  checkF32ActivationsWith<BITS, MR, VEC_X, Walk::Chunks>(groupSize, k, seed);
  checkF32ActivationsWith<BITS, MR, VEC_X, Walk::Words>(groupSize, k, seed);
  checkF32ActivationsWith<BITS, MR, VEC_X, Walk::ChunkPairs>(groupSize, k, seed);
  if constexpr (BITS == 4)
    checkF32ActivationsWith<BITS, MR, VEC_X, Walk::StagedChunks>(groupSize, k, seed);
}

} // namespace

TEST(CudaGemvLanesHost, F32ActivationsSumAsTheirF16Rounding) {
  checkF32Activations<4, 1, true>(32, 384, 11);
  checkF32Activations<4, 3, true>(128, 384, 12);
  checkF32Activations<4, 2, false>(32, 172, 13);
  checkF32Activations<8, 1, true>(64, 384, 14);
  checkF32Activations<8, 4, false>(32, 172, 15);
}
