// GroupMmaFragmentsHostTest.cu - the mma-tile kernel's own per-lane code
// (GroupMmaFragments.cuh) run on the HOST for every lane of every tile, with
// mma.sync.m16n8k16 emulated from the PTX ISA's fragment layout:
//   A (16 x 16, row): register r of lane (g = lane / 4, t = lane % 4) holds
//     row g + 8 (r % 2), columns 2t + 8 (r / 2) and + 1;
//   B (16 x 8, col): register r holds rows 2t + 8r and + 1, column g;
//   C (16 x 8): c0, c1 row g, columns 2t, 2t + 1; c2, c3 row g + 8.
// Checks, without a GPU: every weight the fragments carry equals
// (code - zero) * scale rounded once to the dtype (the input permutation,
// group and zero indexing, padding), and the emulated products give the CPU
// runtime's result (the activation fragments and the output map).
#include "CudaTestUtil.h"
#include "GroupMmaFragments.cuh"
#include "GroupWeightsFixture.h"

#include <cmath>
#include <tuple>
#include <type_traits>

using namespace awq::test;
using awq::cuda::GroupWeightsView;

namespace {

template <class T> float pairHalf(uint32_t pair, int half) {
  const auto bits = static_cast<uint16_t>(pair >> (16 * half));
  return awq::cuda::toFloat(awq::cuda::bitCast<T>(bits));
}

template <class T> std::vector<T> asDtype(const std::vector<float> &values) {
  std::vector<T> out(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    out[i] = awq::cuda::fromFloat<T>(values[i]);
  return out;
}

// y as the kernel computes it (f32, bias added, before the final rounding),
// and W' as its A fragments carry it (logical tile positions mapped back to
// physical inputs through the B fragments' permutation).
struct HostMmaRun {
  std::vector<float> y;       // [M, N]
  std::vector<float> weights; // [N_padded, K_padded]
};

template <class T, bool VECTORIZED>
HostMmaRun mmaKernelOnHost(const std::vector<T> &x, int64_t m, const GroupWeightsView &w,
                           const T *bias) {
  using namespace awq::cuda;
  const int64_t rowTiles = mmaTilesNPadded(w.n) / kMmaTileRows;
  const int64_t quads = w.kPadded / kMmaQuadInputs;
  const int64_t xSlices = (m + 7) / 8;
  HostMmaRun run{std::vector<float>(static_cast<size_t>(m * w.n)),
                 std::vector<float>(static_cast<size_t>(rowTiles * kMmaTileRows * w.kPadded))};
  const auto *codes = reinterpret_cast<const uint4 *>(w.codes);
  for (int64_t tile = 0; tile < rowTiles; ++tile) {
    // Per lane, per x slice: the four f32 accumulators, as the kernel's acc.
    std::vector<float> acc(static_cast<size_t>(32 * xSlices * 4), 0.0f);
    for (int64_t q = 0; q < quads; ++q) {
      float a[4][16][16], b[8][4][16][8];              // [tile j][row][col], [slice][j][k][col]
      int64_t physicalInput[4][16] = {};              // logical column -> input, per tile j
      for (int lane = 0; lane < 32; ++lane) {
        const int g = lane / 4, t = lane % 4;
        const uint4 vector = codes[(tile * quads + q) * 32 + lane];
        const int64_t group = mmaGroupOf(w, q * kMmaQuadInputs + 16 * t);
        const int64_t paramIndex = (tile * w.groups + group) * 8 + g;
        const uint32_t zeroPair =
            w.zeros ? reinterpret_cast<const uint16_t *>(w.zeros)[paramIndex] : 0x0808u;
        const MmaGroupParams params =
            mmaGroupParams<T>(static_cast<const uint32_t *>(w.scales)[paramIndex], zeroPair);
        const uint32_t words[4] = {vector.x, vector.y, vector.z, vector.w};
        for (int j = 0; j < 4; ++j) {
          uint32_t fragment[4];
          mmaFragmentFromWord<T>(words[j], params, fragment);
          for (int r = 0; r < 4; ++r)
            for (int half = 0; half < 2; ++half)
              a[j][g + 8 * (r % 2)][2 * t + 8 * (r / 2) + half] = pairHalf<T>(fragment[r], half);
          // The B registers' physical inputs, by the same permutation.
          for (int r = 0; r < 2; ++r)
            for (int half = 0; half < 2; ++half)
              physicalInput[j][2 * t + 8 * r + half] =
                  q * kMmaQuadInputs + 16 * t + 4 * j + 2 * r + half;
        }
        for (int64_t slice = 0; slice < xSlices; ++slice) {
          uint32_t pairs[8];
          loadMmaActivations<T, VECTORIZED>(x.data(), w.k, 8 * slice + g, m,
                                            q * kMmaQuadInputs + 16 * t, pairs);
          for (int j = 0; j < 4; ++j)
            for (int r = 0; r < 2; ++r)
              for (int half = 0; half < 2; ++half)
                b[slice][j][2 * t + 8 * r + half][g] = pairHalf<T>(pairs[2 * j + r], half);
        }
      }
      for (int j = 0; j < 4; ++j)
        for (int row = 0; row < 16; ++row)
          for (int col = 0; col < 16; ++col)
            run.weights[(tile * kMmaTileRows + row) * w.kPadded + physicalInput[j][col]] =
                a[j][row][col];
      // C += A . B per slice and tile, then scattered into the lanes' c0..c3.
      for (int64_t slice = 0; slice < xSlices; ++slice)
        for (int lane = 0; lane < 32; ++lane)
          for (int c = 0; c < 4; ++c) {
            const int row = lane / 4 + 8 * (c / 2), col = 2 * (lane % 4) + c % 2;
            float sum = 0.0f;
            for (int j = 0; j < 4; ++j)
              for (int kk = 0; kk < 16; ++kk)
                sum += a[j][row][kk] * b[slice][j][kk][col];
            acc[(lane * xSlices + slice) * 4 + c] += sum;
          }
    }
    // The kernel's epilogue: each lane's accumulators to their outputs.
    for (int lane = 0; lane < 32; ++lane)
      for (int64_t slice = 0; slice < xSlices; ++slice)
        for (int c = 0; c < 4; ++c) {
          const MmaOutputCoordinate at = mmaOutputCoordinate(lane, c);
          const int64_t n = tile * kMmaTileRows + at.rowInTile, row = 8 * slice + at.xRow;
          if (n < w.n && row < m)
            run.y[row * w.n + n] = acc[(lane * xSlices + slice) * 4 + c] +
                                   (bias ? toFloat(bias[n]) : 0.0f);
        }
  }
  return run;
}

template <class T>
void checkMmaKernelOnHost(int64_t groupSize, int64_t k, int64_t n, bool hasZeros, int64_t m,
                          unsigned seed) {
  const int32_t dtype = std::is_same_v<T, __half> ? AWQ_F16 : AWQ_BF16;
  const CanonicalGroupWeights w = makeGroupWeights(4, groupSize, k, n, hasZeros, seed);
  SCOPED_TRACE(w.describe() + (dtype == AWQ_F16 ? " f16" : " bf16") + " M=" + std::to_string(m));
  const std::vector<uint8_t> blob = packForCuda(w, dtype, AWQ_CUDA_LAYOUT_MMA_TILES);
  const awq_cuda_group_weights_info info = infoOf(blob);
  const GroupWeightsView view = awq::cuda::viewOf(blob.data(), info);
  const std::vector<float> x = roundThrough(dtype, randomFloats(m * k, seed + 1, -2.0f, 2.0f));
  const std::vector<float> bias = roundThrough(dtype, randomFloats(n, seed + 2));
  const std::vector<T> biasValues = asDtype<T>(bias);
  const HostMmaRun run =
      k % 8 == 0 ? mmaKernelOnHost<T, true>(asDtype<T>(x), m, view, biasValues.data())
                 : mmaKernelOnHost<T, false>(asDtype<T>(x), m, view, biasValues.data());

  // Every weight: (code - zero) * scale rounded once to the dtype; padding 0.
  const HostTensor scales = scalesRoundedTo(w, dtype);
  for (int64_t row = 0; row < awq::cuda::mmaTilesNPadded(n); ++row)
    for (int64_t input = 0; input < info.k_padded; ++input) {
      float expected = 0.0f;
      if (row < n && input < k) {
        const int64_t group = input / groupSize;
        const int code = w.codes.data<uint8_t>()[row * k + input];
        expected = fromHalfBits(dtype, toHalfBits(dtype, (code - w.zeroAt(row, group)) *
                                                             scales.data<float>()[row * w.groups +
                                                                                  group]));
      }
      ASSERT_EQ(run.weights[row * info.k_padded + input], expected)
          << "row " << row << " input " << input;
    }
  // The products: the CPU's f32 weights vs these rounded ones (u per
  // weight), f32 sums in another order (1e-5).
  const GroupMatmulReference reference = groupMatmulReference(w, dtype, x, m, &bias);
  const double u = unitRoundoff(dtype);
  for (size_t i = 0; i < run.y.size(); ++i)
    ASSERT_NEAR(run.y[i], reference.y[i], (u + 1e-5) * reference.magnitude[i] + 1e-6)
        << "output " << i;
}

} // namespace

TEST(CudaMmaFragmentsHost, EmulatedTilesGiveTheRoundedWeightsAndTheCpuProduct) {
  // K = 384: vector activation loads; K = 172: scalar loads and a padded
  // last quad; K = 96 with groups of 32: padding past the last group; group
  // 200 >= K: one group per row; N = 20: a partial row tile; M = 1, 8 (one
  // slice of x), 11 and 20 (partial second and third slices).
  unsigned seed = 60;
  for (const auto &[groupSize, k, n, hasZeros, m] :
       {std::tuple<int64_t, int64_t, int64_t, bool, int64_t>{32, 384, 20, true, 1},
        {64, 384, 16, false, 8},
        {128, 384, 32, true, 11},
        {32, 172, 20, true, 3},
        {32, 96, 16, false, 20},
        {200, 200, 17, true, 2}}) {
    checkMmaKernelOnHost<__half>(groupSize, k, n, hasZeros, m, seed++);
    checkMmaKernelOnHost<__nv_bfloat16>(groupSize, k, n, hasZeros, m, seed++);
  }
}
