// GpuGroupMatmulTest.cpp - every group-matmul kernel (GEMV, tensor cores,
// dequantize + cuBLAS, mma tiles, fused gate/up) against the CPU runtime's
// awq_group_matmul for every bits / group size / zero point / dtype
// combination, plus an overflow case. The argument checks run without a GPU.
#include "CudaTestUtil.h"

#include "GroupWeightsFixture.h"

#include <cmath>
#include <tuple>

using namespace awq::test;

namespace {

enum Path : int32_t { ByRows = 0, Gemv = 1, TensorCore = 2, DequantizeCublas = 3, MmaTiles = 4 };

constexpr int32_t kChunks = AWQ_CUDA_LAYOUT_ROW_CHUNKS, kTiles = AWQ_CUDA_LAYOUT_MMA_TILES;

// The layout a path reads (dequantize + cuBLAS and the dispatch read both:
// the runs below name one).
int32_t layoutOf(int32_t path) { return path == MmaTiles ? kTiles : kChunks; }

using Reference = GroupMatmulReference;

Reference cpuReference(const CanonicalGroupWeights &w, int32_t dtype, const std::vector<float> &x,
                       int64_t m, const std::vector<float> *bias) {
  return groupMatmulReference(w, dtype, x, m, bias);
}

// Tolerance: the output is rounded once to the dtype (twice with a bias on
// the cuBLAS path): 2u|y|; the tensor-core and cuBLAS paths also round each
// dequantized weight to the dtype: u * sum|x w|; f32 accumulation of up to
// 11008 products in another order: 1e-5 * sum|x w|.
void expectMatches(const std::vector<float> &got, const Reference &reference, int32_t dtype,
                   bool weightsRounded) {
  const double u = unitRoundoff(dtype);
  ASSERT_EQ(got.size(), reference.y.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i])) << "output " << i << " is " << got[i];
    const double tolerance = 2 * u * std::fabs(reference.y[i]) +
                             ((weightsRounded ? u : 0.0) + 1e-5) * reference.magnitude[i] + 1e-6;
    ASSERT_NEAR(got[i], reference.y[i], tolerance) << "output " << i;
  }
}

std::vector<float> runGroupMatmul(int32_t path, const std::vector<uint8_t> &blob, int32_t dtype,
                                  const std::vector<float> &x, int64_t m,
                                  const std::vector<float> *bias) {
  awq_cuda_group_weights_info info{};
  EXPECT_EQ(awq_cuda_group_weights_get_info(blob.data(), static_cast<int64_t>(blob.size()), &info),
            0)
      << awq_last_error();
  DeviceBuffer blobDevice = DeviceBuffer::fromBytes(blob.data(), blob.size());
  DeviceBuffer xDevice = DeviceBuffer::from(toHalfVector(dtype, x));
  DeviceBuffer biasDevice;
  if (bias)
    biasDevice = DeviceBuffer::from(toHalfVector(dtype, *bias));
  DeviceBuffer yDevice(static_cast<size_t>(m * info.n) * 2);
  const int64_t workspaceBytes = awq_cuda_group_matmul_path_workspace_bytes(path, &info, m);
  DeviceBuffer workspace(static_cast<size_t>(workspaceBytes));
  EXPECT_EQ(awq_cuda_group_matmul_path(path, xDevice.get(), m, blobDevice.get(), &info,
                                       bias ? biasDevice.get() : nullptr, yDevice.get(),
                                       workspace.get(), nullptr),
            0)
      << awq_last_error();
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  return fromHalfVector(dtype, yDevice.download<uint16_t>());
}

std::vector<float> activations(int32_t dtype, int64_t count, unsigned seed) {
  return roundThrough(dtype, randomFloats(count, seed, -2.0f, 2.0f));
}

} // namespace

TEST(GpuGroupMatmul, EveryPathMatchesTheCpuForEveryCombination) {
  AWQ_REQUIRE_GPU();
  unsigned seed = 100;
  for (int32_t dtype : {AWQ_F16, AWQ_BF16})
    for (int32_t bits : {4, 8})
      for (int64_t groupSize : {32, 64, 128})
        for (bool hasZeros : {true, false}) {
          // N = 72: a partial 64-wide tile and a partial 4-row GEMV block.
          const CanonicalGroupWeights w = makeGroupWeights(bits, groupSize, 384, 72, hasZeros, seed++);
          const std::vector<uint8_t> chunkBlob = packForCuda(w, dtype, kChunks);
          const std::vector<uint8_t> tileBlob =
              bits == 4 ? packForCuda(w, dtype, kTiles) : std::vector<uint8_t>{};
          const std::vector<float> bias = roundThrough(dtype, randomFloats(w.n, seed++));
          struct Run {
            int32_t path;
            int64_t m;
            int32_t layout;
          };
          // Mma tiles: 1-8 rows (one 8-row slice of x), 9-16, 17-32 and
          // 33-64 (2, 4 and 8 slices), each with a partial last slice.
          for (const Run run :
               {Run{Gemv, 1, kChunks}, Run{Gemv, 2, kChunks}, Run{Gemv, 3, kChunks},
                Run{Gemv, 4, kChunks}, Run{TensorCore, 5, kChunks}, Run{TensorCore, 64, kChunks},
                Run{TensorCore, 77, kChunks}, Run{DequantizeCublas, 3, kChunks},
                Run{ByRows, 300, kChunks}, Run{MmaTiles, 1, kTiles}, Run{MmaTiles, 3, kTiles},
                Run{MmaTiles, 8, kTiles}, Run{MmaTiles, 13, kTiles}, Run{MmaTiles, 30, kTiles},
                Run{MmaTiles, 64, kTiles}, Run{DequantizeCublas, 5, kTiles},
                Run{ByRows, 2, kTiles}, Run{ByRows, 300, kTiles}}) {
            if (run.layout == kTiles && bits != 4)
              continue;
            const std::vector<uint8_t> &blob = run.layout == kTiles ? tileBlob : chunkBlob;
            SCOPED_TRACE(w.describe() + (dtype == AWQ_F16 ? " f16" : " bf16") +
                         (run.layout == kTiles ? " mma-tiles" : " row-chunks") +
                         " path=" + std::to_string(run.path) + " M=" + std::to_string(run.m));
            const std::vector<float> x = activations(dtype, run.m * w.k, seed++);
            const bool withBias = run.m % 2 == 1;
            const Reference reference = cpuReference(w, dtype, x, run.m, withBias ? &bias : nullptr);
            const std::vector<float> got =
                runGroupMatmul(run.path, blob, dtype, x, run.m, withBias ? &bias : nullptr);
            expectMatches(got, reference, dtype, run.path != Gemv);
          }
        }
}

TEST(GpuGroupMatmul, UnalignedKAndOneGroupPerRow) {
  AWQ_REQUIRE_GPU();
  // K = 172 (stories260K's down projection): not a multiple of 8, so the
  // activations take the scalar loads; group = K (200, 100) is one group per
  // row, its size no multiple of 32.
  unsigned seed = 300;
  for (int32_t dtype : {AWQ_F16, AWQ_BF16})
    for (const auto &[k, groupSize] : {std::pair<int64_t, int64_t>{172, 32}, {200, 200}, {100, 100}})
      for (int32_t bits : {4, 8}) {
        const CanonicalGroupWeights w = makeGroupWeights(bits, groupSize, k, 65, true, seed++);
        for (const auto &[path, m] : {std::pair<int32_t, int64_t>{Gemv, 1}, {Gemv, 4},
                                      {TensorCore, 9}, {DequantizeCublas, 9}, {MmaTiles, 1},
                                      {MmaTiles, 9}}) {
          if (path == MmaTiles && bits != 4)
            continue;
          const std::vector<uint8_t> blob = packForCuda(w, dtype, layoutOf(path));
          SCOPED_TRACE(w.describe() + " path=" + std::to_string(path) + " M=" + std::to_string(m));
          const std::vector<float> x = activations(dtype, m * k, seed++);
          const Reference reference = cpuReference(w, dtype, x, m, nullptr);
          expectMatches(runGroupMatmul(path, blob, dtype, x, m, nullptr), reference, dtype,
                        path != Gemv);
        }
        if (bits == 4) { // dequantize + cuBLAS from mma tiles, K unaligned
          const std::vector<uint8_t> blob = packForCuda(w, dtype, kTiles);
          SCOPED_TRACE(w.describe() + " path=3 from mma tiles M=9");
          const std::vector<float> x = activations(dtype, 9 * k, seed++);
          expectMatches(runGroupMatmul(DequantizeCublas, blob, dtype, x, 9, nullptr),
                        cpuReference(w, dtype, x, 9, nullptr), dtype, true);
        }
      }
}

TEST(GpuGroupMatmul, TensorCoresSplitOverKMatchTheCpu) {
  AWQ_REQUIRE_GPU();
  // Few output tiles and long rows: the tensor-core path splits K over
  // blocks and adds their f32 partials. K = 2080 is 17 steps of 128 inputs
  // (the last one partial), split 6 ways with a short last split; K = 1001
  // takes the scalar activation loads; N = 72 and M = 77 leave partial tiles.
  unsigned seed = 700;
  for (int32_t dtype : {AWQ_F16, AWQ_BF16})
    for (const auto &[bits, groupSize, k] :
         {std::tuple<int32_t, int64_t, int64_t>{4, 128, 2080}, {8, 32, 2080}, {4, 64, 1001}}) {
      const CanonicalGroupWeights w = makeGroupWeights(bits, groupSize, k, 72, true, seed++);
      const std::vector<uint8_t> blob = packForCuda(w, dtype);
      awq_cuda_group_weights_info info{};
      ASSERT_EQ(awq_cuda_group_weights_get_info(blob.data(), static_cast<int64_t>(blob.size()),
                                                &info),
                0);
      const std::vector<float> bias = roundThrough(dtype, randomFloats(w.n, seed++));
      for (int64_t m : {5, 64, 77}) {
        SCOPED_TRACE(w.describe() + (dtype == AWQ_F16 ? " f16" : " bf16") +
                     " M=" + std::to_string(m));
        // The split's partials are what the workspace holds.
        EXPECT_GT(awq_cuda_group_matmul_path_workspace_bytes(TensorCore, &info, m), m * w.n * 4);
        const std::vector<float> x = activations(dtype, m * k, seed++);
        const Reference reference = cpuReference(w, dtype, x, m, &bias);
        expectMatches(runGroupMatmul(TensorCore, blob, dtype, x, m, &bias), reference, dtype,
                      true);
      }
    }
}

TEST(GpuGroupMatmul, LargeActivationsOverLongRowsStayFinite) {
  AWQ_REQUIRE_GPU();
  // |x| ~ 1e3 and K = 11008 (LLaMA-7B's down projection): the two halves of
  // each row are mirror images (codes c with zero 0, then 15 - c with zero
  // 15), so running sums reach ~1e6, far past fp16's 65504, while the result
  // is small. Any fp16 accumulation overflows to Inf; f32 must not.
  const int64_t k = 11008, n = 64, half = k / 2;
  CanonicalGroupWeights w = makeGroupWeights(4, 128, k, n, true, 400, 0.02f, 0.02f);
  for (int64_t row = 0; row < n; ++row) {
    for (int64_t i = 0; i < half; ++i) {
      uint8_t &first = w.codes.data<uint8_t>()[row * k + i];
      first = static_cast<uint8_t>(8 + first % 8);
      w.codes.data<uint8_t>()[row * k + half + i] = static_cast<uint8_t>(15 - first);
    }
    for (int64_t g = 0; g < w.groups; ++g)
      w.zeros.data<uint8_t>()[row * w.groups + g] = g < w.groups / 2 ? 0 : 15;
  }
  ASSERT_EQ(awq_pack_codes(w.codes.get(), 4, w.qweight.get()), 0) << awq_last_error();
  for (int32_t dtype : {AWQ_F16, AWQ_BF16}) {
    for (const auto &[path, m] : {std::pair<int32_t, int64_t>{Gemv, 1}, {TensorCore, 16},
                                  {DequantizeCublas, 16}, {MmaTiles, 1}, {MmaTiles, 16}}) {
      const std::vector<uint8_t> blob = packForCuda(w, dtype, layoutOf(path));
      SCOPED_TRACE(std::string(dtype == AWQ_F16 ? "f16" : "bf16") + " path=" + std::to_string(path));
      std::vector<float> x(static_cast<size_t>(m * k));
      const std::vector<float> noise = randomFloats(m * half, 401, 900.0f, 1100.0f);
      for (int64_t r = 0; r < m; ++r)
        for (int64_t i = 0; i < half; ++i) {
          x[r * k + i] = noise[r * half + i];
          x[r * k + half + i] = noise[r * half + i] * 0.999f; // leaves ~0.1% of each half
        }
      x = roundThrough(dtype, x);
      const Reference reference = cpuReference(w, dtype, x, m, nullptr);
      expectMatches(runGroupMatmul(path, blob, dtype, x, m, nullptr), reference, dtype,
                    path != Gemv);
    }
  }
}

TEST(GpuGroupMatmul, FusedGateUpSiluMatchesTwoMatmuls) {
  AWQ_REQUIRE_GPU();
  unsigned seed = 500;
  for (int32_t dtype : {AWQ_F16, AWQ_BF16})
    for (int32_t bits : {4, 8})
      for (int32_t layout : {kChunks, kTiles})
      for (int64_t m : {1, 3, 4, 12, 64, 300}) {
        if (layout == kTiles && bits != 4)
          continue;
        const CanonicalGroupWeights gate = makeGroupWeights(bits, 64, 256, 72, true, seed++);
        const CanonicalGroupWeights up = makeGroupWeights(bits, 64, 256, 72, true, seed++);
        SCOPED_TRACE(gate.describe() + (layout == kTiles ? " mma-tiles" : " row-chunks") +
                     " M=" + std::to_string(m));
        const std::vector<uint8_t> gateBlob = packForCuda(gate, dtype, layout);
        const std::vector<uint8_t> upBlob = packForCuda(up, dtype, layout);
        awq_cuda_group_weights_info info{};
        ASSERT_EQ(awq_cuda_group_weights_get_info(gateBlob.data(),
                                                  static_cast<int64_t>(gateBlob.size()), &info),
                  0);
        const std::vector<float> x = activations(dtype, m * gate.k, seed++);
        const Reference g = cpuReference(gate, dtype, x, m, nullptr);
        const Reference u = cpuReference(up, dtype, x, m, nullptr);

        DeviceBuffer gateDevice = DeviceBuffer::fromBytes(gateBlob.data(), gateBlob.size());
        DeviceBuffer upDevice = DeviceBuffer::fromBytes(upBlob.data(), upBlob.size());
        DeviceBuffer xDevice = DeviceBuffer::from(toHalfVector(dtype, x));
        DeviceBuffer yDevice(static_cast<size_t>(m * gate.n) * 2);
        DeviceBuffer workspace(
            static_cast<size_t>(awq_cuda_gate_up_silu_workspace_bytes(&info, m)));
        AWQ_ASSERT_OK(awq_cuda_gate_up_silu(xDevice.get(), m, gateDevice.get(), upDevice.get(),
                                            &info, yDevice.get(), workspace.get(), nullptr));
        AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
        const std::vector<float> got = fromHalfVector(dtype, yDevice.download<uint16_t>());
        // Unfused (row chunks past 4 rows, mma tiles past 64), gate and up
        // are rounded to the dtype before the product: relative error ~2u
        // on each, u on the output, plus the matmul bound carried through
        // |d(silu(g) u)| <= (|u| + |silu(g)|); weights rounded to the dtype
        // (every path but the GEMV): u * sum |x w| more.
        const double eps = unitRoundoff(dtype);
        const bool fused = layout == kTiles ? m <= 64 : m <= 4;
        const bool weightsRounded = layout == kTiles || m > 4;
        for (size_t i = 0; i < got.size(); ++i) {
          const double gv = g.y[i], uv = u.y[i];
          const double silu = gv / (1.0 + std::exp(-gv));
          const double expected = silu * uv;
          const double matmulError = (weightsRounded ? eps + 1e-5 : 1e-5);
          const double tolerance = 4 * eps * std::fabs(expected) +
                                   1.2 * matmulError * (g.magnitude[i] * std::fabs(uv) +
                                                        u.magnitude[i] * (std::fabs(silu) + 1e-3)) +
                                   2 * eps * (g.magnitude[i] + u.magnitude[i]) * (fused ? 0.0 : 1.0) + 1e-5;
          ASSERT_NEAR(got[i], expected, tolerance) << "output " << i;
        }
      }
}

// The f32 entries (f32 graphs): f32 x rounded to the dtype as the kernel
// reads it, the GEMV's sums stored unrounded, the f32 bias added to them.
// Rounded to the dtype they are exactly what the dtype entries store for x
// cast to the dtype first (same sums in the same order, a bias the dtype
// holds: one rounding either way), for every lane walk the dispatch picks by
// M, with x read in 16-byte vectors (aligned) and element by element (x one
// float past an aligned address).
TEST(GpuGroupMatmul, F32EntriesAreTheGemvOnCastInputsUnrounded) {
  AWQ_REQUIRE_GPU();
  unsigned seed = 900;
  for (int32_t dtype : {AWQ_F16, AWQ_BF16})
    for (int32_t bits : {4, 8})
      for (int64_t group : {32, 128})
        for (bool gateUp : {false, true})
          for (bool alignedX : {true, false})
            for (int64_t m : {1, 2, 3, 4}) {
              const CanonicalGroupWeights w = makeGroupWeights(bits, group, 256, 40, true, seed++);
              const CanonicalGroupWeights up = makeGroupWeights(bits, group, 256, 40, true, seed++);
              SCOPED_TRACE(w.describe() + (gateUp ? " gate/up" : " with bias") +
                           (alignedX ? "" : " unaligned x") + " M=" + std::to_string(m));
              const std::vector<uint8_t> blob = packForCuda(w, dtype, kChunks);
              const std::vector<uint8_t> upBlob = packForCuda(up, dtype, kChunks);
              awq_cuda_group_weights_info info{};
              ASSERT_EQ(awq_cuda_group_weights_get_info(blob.data(),
                                                        static_cast<int64_t>(blob.size()), &info),
                        0);
              ASSERT_EQ(awq_cuda_group_matmul_serves_f32(&info, m), 1);
              // Not rounded to the dtype: the kernel must round it.
              const std::vector<float> x = randomFloats(m * w.k, seed++, -2.0f, 2.0f);
              const std::vector<float> bias = roundThrough(dtype, randomFloats(w.n, seed++));
              DeviceBuffer blobDevice = DeviceBuffer::fromBytes(blob.data(), blob.size());
              DeviceBuffer upDevice = DeviceBuffer::fromBytes(upBlob.data(), upBlob.size());
              DeviceBuffer xHalf = DeviceBuffer::from(toHalfVector(dtype, x));
              std::vector<float> xPadded(1, 0.0f);
              xPadded.insert(xPadded.end(), x.begin(), x.end());
              DeviceBuffer xF32Buffer = DeviceBuffer::from(alignedX ? x : xPadded);
              const float *xF32 = static_cast<const float *>(xF32Buffer.get()) + (alignedX ? 0 : 1);
              DeviceBuffer biasHalf = DeviceBuffer::from(toHalfVector(dtype, bias));
              DeviceBuffer biasF32 = DeviceBuffer::from(bias);
              DeviceBuffer yHalf(static_cast<size_t>(m * w.n) * 2);
              DeviceBuffer yF32(static_cast<size_t>(m * w.n) * 4);
              auto *y = static_cast<float *>(yF32.get());
              if (gateUp) {
                AWQ_ASSERT_OK(awq_cuda_gate_up_silu(xHalf.get(), m, blobDevice.get(),
                                                    upDevice.get(), &info, yHalf.get(), nullptr,
                                                    nullptr));
                AWQ_ASSERT_OK(awq_cuda_gate_up_silu_f32(xF32, m, blobDevice.get(), upDevice.get(),
                                                        &info, y, nullptr));
              } else {
                AWQ_ASSERT_OK(awq_cuda_group_matmul(xHalf.get(), m, blobDevice.get(), &info,
                                                    biasHalf.get(), yHalf.get(), nullptr, nullptr));
                AWQ_ASSERT_OK(awq_cuda_group_matmul_f32(
                    xF32, m, blobDevice.get(), &info, static_cast<const float *>(biasF32.get()),
                    y, nullptr));
              }
              AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
              const std::vector<uint16_t> narrow = yHalf.download<uint16_t>();
              const std::vector<float> wide = yF32.download<float>();
              ASSERT_EQ(wide.size(), narrow.size());
              for (size_t i = 0; i < wide.size(); ++i) {
                ASSERT_TRUE(std::isfinite(wide[i])) << "output " << i;
                ASSERT_EQ(toHalfBits(dtype, wide[i]), narrow[i])
                    << "output " << i << ": " << wide[i] << " rounds to "
                    << fromHalfBits(dtype, toHalfBits(dtype, wide[i])) << ", not "
                    << fromHalfBits(dtype, narrow[i]);
              }
            }
}

TEST(GpuLinear, DenseCublasMatchesTheCpu) {
  AWQ_REQUIRE_GPU();
  for (int32_t dtype : {AWQ_F16, AWQ_BF16})
    for (int64_t m : {1, 16, 300}) {
      const int64_t n = 72, k = 384;
      const std::vector<float> x = roundThrough(dtype, randomFloats(m * k, 600));
      const std::vector<float> weight = roundThrough(dtype, randomFloats(n * k, 601, -0.05f, 0.05f));
      const std::vector<float> bias = roundThrough(dtype, randomFloats(n, 602));
      const HostTensor xTensor = makeF32({m, k}, x);
      const HostTensor wTensor = makeF32({n, k}, weight);
      const HostTensor biasTensor = makeF32({n}, bias);
      HostTensor expected(AWQ_F32, {m, n});
      ASSERT_EQ(awq_linear(xTensor.get(), wTensor.get(), biasTensor.get(), 1, expected.get()), 0);
      DeviceBuffer xDevice = DeviceBuffer::from(toHalfVector(dtype, x));
      DeviceBuffer wDevice = DeviceBuffer::from(toHalfVector(dtype, weight));
      DeviceBuffer biasDevice = DeviceBuffer::from(toHalfVector(dtype, bias));
      DeviceBuffer yDevice(static_cast<size_t>(m * n) * 2);
      AWQ_ASSERT_OK(awq_cuda_linear(xDevice.get(), m, wDevice.get(), n, k, biasDevice.get(), dtype,
                                    yDevice.get(), nullptr));
      AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
      const std::vector<float> got = fromHalfVector(dtype, yDevice.download<uint16_t>());
      // The product x . W^T is rounded to the dtype at its own magnitude
      // (u |p|) and the bias add rounds again (u |y|), after an f32
      // accumulation of K products whose error is at most
      // K * 2^-23 * sum |x w| even if the tensor cores truncate. (cuBLAS
      // rounds the product before adding C with beta = 1 too: seen on an H100,
      // bf16, M = 1, an output off by 7 ulps of |y| where |p| >> |y|.)
      const double u = unitRoundoff(dtype);
      for (int64_t r = 0; r < m; ++r)
        for (int64_t c = 0; c < n; ++c) {
          double magnitude = 0.0, product = 0.0;
          for (int64_t i = 0; i < k; ++i) {
            const double term = static_cast<double>(x[r * k + i]) * weight[c * k + i];
            magnitude += std::fabs(term);
            product += term;
          }
          const double accumulation = k * std::ldexp(1.0, -23) * magnitude;
          const double want = expected.data<float>()[r * n + c];
          ASSERT_NEAR(got[r * n + c], want,
                      u * (std::fabs(product) + std::fabs(want)) + 2 * accumulation)
              << "output " << r << ", " << c;
        }
    }
}

// ---- Argument checks: validated before any CUDA call, so no GPU needed ----

TEST(CudaGroupMatmulArgs, RejectsBadCallsWithAMessage) {
  const CanonicalGroupWeights w = makeGroupWeights(4, 32, 64, 8, true, 700);
  const std::vector<uint8_t> blob = packForCuda(w, AWQ_F16, kChunks);
  const std::vector<uint8_t> tileBlob = packForCuda(w, AWQ_F16, kTiles);
  awq_cuda_group_weights_info tileInfo{};
  ASSERT_EQ(awq_cuda_group_weights_get_info(tileBlob.data(), static_cast<int64_t>(tileBlob.size()),
                                            &tileInfo),
            0);
  awq_cuda_group_weights_info info{};
  ASSERT_EQ(awq_cuda_group_weights_get_info(blob.data(), static_cast<int64_t>(blob.size()), &info), 0);
  alignas(256) static uint8_t fakeDevice[16];
  void *somePointer = fakeDevice;
  EXPECT_OP_ERROR(awq_cuda_group_matmul(somePointer, 1, somePointer, nullptr, nullptr,
                                        somePointer, nullptr, nullptr),
                  "awq_cuda_group_matmul", "blob_info is null");
  EXPECT_OP_ERROR(awq_cuda_group_matmul_path(7, somePointer, 1, somePointer, &info, nullptr,
                                             somePointer, nullptr, nullptr),
                  "awq_cuda_group_matmul", "path must be");
  EXPECT_OP_ERROR(awq_cuda_group_matmul_path(Gemv, somePointer, 5, somePointer, &info, nullptr,
                                             somePointer, nullptr, nullptr),
                  "awq_cuda_group_matmul", "at most 4 rows");
  EXPECT_OP_ERROR(awq_cuda_group_matmul(somePointer, -1, somePointer, &info, nullptr, somePointer,
                                        nullptr, nullptr),
                  "awq_cuda_group_matmul", "M must be >= 0");
  EXPECT_OP_ERROR(awq_cuda_group_matmul(nullptr, 2, somePointer, &info, nullptr, somePointer,
                                        nullptr, nullptr),
                  "awq_cuda_group_matmul", "non-null");
  EXPECT_OP_ERROR(awq_cuda_group_matmul(somePointer, 1000, somePointer, &info, nullptr,
                                        somePointer, nullptr, nullptr),
                  "awq_cuda_group_matmul", "workspace");
  awq_cuda_group_weights_info corrupt = info;
  corrupt.k_padded = 40;
  EXPECT_OP_ERROR(awq_cuda_group_matmul(somePointer, 1, somePointer, &corrupt, nullptr,
                                        somePointer, nullptr, nullptr),
                  "awq_cuda_group_matmul", "inconsistent");
  EXPECT_OP_ERROR(awq_cuda_gate_up_silu(somePointer, 8, somePointer, somePointer, &info,
                                        somePointer, nullptr, nullptr),
                  "awq_cuda_gate_up_silu", "workspace");
  EXPECT_OP_ERROR(awq_cuda_linear(somePointer, 1, somePointer, 8, 64, nullptr, AWQ_F32,
                                  somePointer, nullptr),
                  "awq_cuda_linear", "f16 or bf16");
  // Zero rows is a no-op, not an error.
  EXPECT_EQ(awq_cuda_group_matmul(somePointer, 0, somePointer, &info, nullptr, somePointer,
                                  nullptr, nullptr),
            0);
  // Workspace: none for the GEMV, none for the tensor cores on a 64-input
  // row (one K step, nothing to split), the dequantized weight past 256 rows.
  EXPECT_EQ(awq_cuda_group_matmul_workspace_bytes(&info, 4), 0);
  EXPECT_EQ(awq_cuda_group_matmul_workspace_bytes(&info, 16), 0);
  EXPECT_EQ(awq_cuda_group_matmul_workspace_bytes(&info, 257), (8 * 64 * 2 + 255) / 256 * 256);
  EXPECT_EQ(awq_cuda_group_matmul_path_workspace_bytes(DequantizeCublas, &info, 1),
            (8 * 64 * 2 + 255) / 256 * 256);
  EXPECT_EQ(awq_cuda_group_matmul_path_workspace_bytes(Gemv, &info, 1), 0);
  // The dispatch: GEMV to 4 rows, tensor cores to 64, dequantize + cuBLAS past.
  EXPECT_EQ(awq_cuda_group_matmul_dispatched_path(&info, 1), Gemv);
  EXPECT_EQ(awq_cuda_group_matmul_dispatched_path(&info, 4), Gemv);
  EXPECT_EQ(awq_cuda_group_matmul_dispatched_path(&info, 5), TensorCore);
  EXPECT_EQ(awq_cuda_group_matmul_dispatched_path(&info, 64), TensorCore);
  EXPECT_EQ(awq_cuda_group_matmul_dispatched_path(&info, 65), DequantizeCublas);
  // Mma tiles: the mma kernel to 64 rows (no workspace), then dequantize +
  // cuBLAS; the row-chunk kernels refuse them and the mma kernel row chunks.
  EXPECT_EQ(awq_cuda_group_matmul_dispatched_path(&tileInfo, 1), MmaTiles);
  EXPECT_EQ(awq_cuda_group_matmul_dispatched_path(&tileInfo, 64), MmaTiles);
  EXPECT_EQ(awq_cuda_group_matmul_dispatched_path(&tileInfo, 65), DequantizeCublas);
  EXPECT_EQ(awq_cuda_group_matmul_workspace_bytes(&tileInfo, 64), 0);
  EXPECT_EQ(awq_cuda_gate_up_silu_workspace_bytes(&tileInfo, 64), 0);
  EXPECT_OP_ERROR(awq_cuda_group_matmul_path(Gemv, somePointer, 1, somePointer, &tileInfo,
                                             nullptr, somePointer, nullptr, nullptr),
                  "awq_cuda_group_matmul", "row-chunk layout");
  EXPECT_OP_ERROR(awq_cuda_group_matmul_path(MmaTiles, somePointer, 1, somePointer, &info,
                                             nullptr, somePointer, nullptr, nullptr),
                  "awq_cuda_group_matmul", "mma-tile layout");
  EXPECT_OP_ERROR(awq_cuda_group_matmul_path(MmaTiles, somePointer, 65, somePointer, &tileInfo,
                                             nullptr, somePointer, nullptr, nullptr),
                  "awq_cuda_group_matmul", "at most 64 rows");
  EXPECT_EQ(awq_cuda_group_matmul_path_workspace_bytes(9, &info, 1), 0);
  // f32 activations: the GEMV only (row chunks, M <= 4).
  EXPECT_EQ(awq_cuda_group_matmul_serves_f32(&info, 1), 1);
  EXPECT_EQ(awq_cuda_group_matmul_serves_f32(&info, 4), 1);
  EXPECT_EQ(awq_cuda_group_matmul_serves_f32(&info, 5), 0);
  EXPECT_EQ(awq_cuda_group_matmul_serves_f32(&tileInfo, 1), 0);
  EXPECT_EQ(awq_cuda_group_matmul_serves_f32(nullptr, 1), 0);
  float *someFloats = static_cast<float *>(somePointer);
  EXPECT_OP_ERROR(awq_cuda_group_matmul_f32(someFloats, 5, somePointer, &info, nullptr,
                                            someFloats, nullptr),
                  "awq_cuda_group_matmul_f32", "serves the GEMV only");
  EXPECT_OP_ERROR(awq_cuda_group_matmul_f32(someFloats, 1, somePointer, &tileInfo, nullptr,
                                            someFloats, nullptr),
                  "awq_cuda_group_matmul_f32", "mma-tile blob");
  EXPECT_OP_ERROR(awq_cuda_gate_up_silu_f32(someFloats, 1, somePointer, nullptr, &info,
                                            someFloats, nullptr),
                  "awq_cuda_gate_up_silu_f32", "both blobs");
  EXPECT_OP_ERROR(awq_cuda_group_matmul_f32(someFloats, 1, somePointer, nullptr, nullptr,
                                            someFloats, nullptr),
                  "awq_cuda_group_matmul_f32", "blob_info is null");
}
