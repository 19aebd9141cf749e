// GpuDecoderOpsTest.cpp - the CUDA decoder ops (norms, add, SiLU product,
// embedding, RoPE, KV cache, attention, a graph's masked attention) against the CPU runtime's own ops run
// in f32 on the same f16/bf16-rounded inputs, for both half dtypes; and their
// argument errors, which need no GPU.
#include "CudaTestUtil.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace awq::test;

namespace {

constexpr int32_t kHalfDtypes[] = {AWQ_F16, AWQ_BF16};
// Unit roundoff of f32: the relative error of one f32 operation.
constexpr double kF32Roundoff = 0x1p-24;
// Absolute floor for every comparison: below f16's smallest normal (6.1e-5)
// rounding is absolute (at most 2^-25), so relative bounds stop holding there.
constexpr double kTinyFloor = 1e-6;

// An input rounded through `dtype`: the values the CPU reference gets (f32)
// and the same values on the device (f16/bf16 bits).
struct HalfInput {
  std::vector<float> values;
  DeviceBuffer device;
};

HalfInput makeHalfInput(int32_t dtype, const std::vector<float> &raw) {
  HalfInput input;
  input.values = roundThrough(dtype, raw);
  input.device = DeviceBuffer::from(toHalfVector(dtype, input.values));
  return input;
}

DeviceBuffer halfOutput(int64_t count) { return DeviceBuffer(static_cast<size_t>(count) * 2); }

std::vector<double> downloadHalf(int32_t dtype, const DeviceBuffer &buffer) {
  return toDoubles(fromHalfVector(dtype, buffer.download<uint16_t>()));
}

// The values of an f32 reference result.
std::vector<double> f32Values(const HostTensor &tensor) {
  const auto *data = static_cast<const float *>(tensor.get()->data);
  return std::vector<double>(data, data + awq_tensor_numel(tensor.get()));
}

} // namespace

// ---- Norms --------------------------------------------------------------------

TEST(GpuDecoderOps, RmsNormMatchesCpu) {
  AWQ_REQUIRE_GPU();
  const int64_t rows = 5, dim = 1000; // dim is not a multiple of the block size
  const float eps = 1e-5f;
  for (int32_t dtype : kHalfDtypes) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    const HalfInput x = makeHalfInput(dtype, randomFloats(rows * dim, 1, -2.0f, 2.0f));
    const HalfInput gamma = makeHalfInput(dtype, randomFloats(dim, 2, 0.5f, 1.5f));
    DeviceBuffer y = halfOutput(rows * dim);
    AWQ_ASSERT_OK(awq_cuda_rms_norm(x.device.get(), gamma.device.get(), rows, dim, eps, dtype,
                                    y.get(), nullptr));
    AWQ_ASSERT_CUDA(cudaDeviceSynchronize());

    const HostTensor xRef = makeF32({rows, dim}, x.values);
    const HostTensor gammaRef = makeF32({dim}, gamma.values);
    HostTensor expected(AWQ_F32, {rows, dim});
    AWQ_ASSERT_OK(awq_rms_norm(xRef.get(), gammaRef.get(), eps, 0.0f, expected.get()));
    // y = x * (1/rms) * gamma: the output's rounding (u |y|), plus the f32 sum
    // of squares (<= dim roundoffs, relative), which scales every y alike.
    expectNear(downloadHalf(dtype, y), f32Values(expected), kTinyFloor,
               unitRoundoff(dtype) + dim * kF32Roundoff);
  }
}

TEST(GpuDecoderOps, LayerNormMatchesCpuWithAndWithoutBeta) {
  AWQ_REQUIRE_GPU();
  const int64_t rows = 4, dim = 777;
  const float eps = 1e-5f;
  for (int32_t dtype : kHalfDtypes) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    // A mean far from 0, so the centring matters.
    const HalfInput x = makeHalfInput(dtype, randomFloats(rows * dim, 3, 0.5f, 2.5f));
    const HalfInput gamma = makeHalfInput(dtype, randomFloats(dim, 4, 0.5f, 1.5f));
    const HalfInput beta = makeHalfInput(dtype, randomFloats(dim, 5, -0.5f, 0.5f));
    const HostTensor xRef = makeF32({rows, dim}, x.values);
    const HostTensor gammaRef = makeF32({dim}, gamma.values);
    const HostTensor betaRef = makeF32({dim}, beta.values);
    for (bool withBeta : {true, false}) {
      SCOPED_TRACE(withBeta ? "with beta" : "without beta");
      DeviceBuffer y = halfOutput(rows * dim);
      AWQ_ASSERT_OK(awq_cuda_layer_norm(x.device.get(), gamma.device.get(),
                                        withBeta ? beta.device.get() : nullptr, rows, dim, eps,
                                        dtype, y.get(), nullptr));
      AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
      HostTensor expected(AWQ_F32, {rows, dim});
      AWQ_ASSERT_OK(awq_layer_norm(xRef.get(), gammaRef.get(), withBeta ? betaRef.get() : nullptr,
                                   -1, eps, expected.get()));
      // Output rounding u |y| and the f32 variance (dim roundoffs, relative);
      // the f32 mean is off by <= dim roundoffs of max |x| = 2.5, which
      // 1/sigma (~1.73) and gamma (<= 1.5) carry into y: < 8 dim roundoffs.
      expectNear(downloadHalf(dtype, y), f32Values(expected), kTinyFloor + 8 * dim * kF32Roundoff,
                 unitRoundoff(dtype) + dim * kF32Roundoff);
    }
  }
}

// The fused residual forms: the sum is bit-identical to the CPU runtime's Add
// of the same half values (both round the f32 sum once, to nearest even); the
// norm of it is held to the plain norms' bounds above.
TEST(GpuDecoderOps, AddNormsMatchCpuAddThenNorm) {
  AWQ_REQUIRE_GPU();
  const int64_t rows = 3, dim = 1000;
  const float eps = 1e-5f;
  for (int32_t dtype : kHalfDtypes) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    const HalfInput x = makeHalfInput(dtype, randomFloats(rows * dim, 11, -1.0f, 1.0f));
    // A residual stream much larger than the block output: the sum rounds.
    const HalfInput residual = makeHalfInput(dtype, randomFloats(rows * dim, 12, -60.0f, 60.0f));
    const HalfInput gamma = makeHalfInput(dtype, randomFloats(dim, 13, 0.5f, 1.5f));
    const HalfInput beta = makeHalfInput(dtype, randomFloats(dim, 14, -0.5f, 0.5f));
    const HostTensor xHalf = makeHalf(dtype, {rows, dim}, x.values);
    const HostTensor residualHalf = makeHalf(dtype, {rows, dim}, residual.values);
    HostTensor sumHalf(dtype, {rows, dim});
    AWQ_ASSERT_OK(awq_binary(AWQ_BINARY_ADD, xHalf.get(), residualHalf.get(), sumHalf.get()));
    const auto *sumBits = static_cast<const uint16_t *>(sumHalf.get()->data);
    const std::vector<uint16_t> expectedSum(sumBits, sumBits + rows * dim);
    const HostTensor sumRef = makeF32({rows, dim}, fromHalfVector(dtype, expectedSum));
    const HostTensor gammaRef = makeF32({dim}, gamma.values);
    const HostTensor betaRef = makeF32({dim}, beta.values);
    for (int form = 0; form < 3; ++form) { // RMS, RMS with Gemma's (1 + w), LayerNorm
      SCOPED_TRACE(form == 0 ? "rms" : form == 1 ? "rms unit offset" : "layer");
      DeviceBuffer sum = halfOutput(rows * dim), y = halfOutput(rows * dim);
      HostTensor expected(AWQ_F32, {rows, dim});
      if (form < 2) {
        const float offset = form == 1 ? 1.0f : 0.0f;
        AWQ_ASSERT_OK(awq_cuda_add_rms_norm(x.device.get(), residual.device.get(),
                                            gamma.device.get(), offset, rows, dim, eps, dtype,
                                            sum.get(), y.get(), nullptr));
        AWQ_ASSERT_OK(awq_rms_norm(sumRef.get(), gammaRef.get(), eps, offset, expected.get()));
      } else {
        AWQ_ASSERT_OK(awq_cuda_add_layer_norm(x.device.get(), residual.device.get(),
                                              gamma.device.get(), beta.device.get(), rows, dim,
                                              eps, dtype, sum.get(), y.get(), nullptr));
        AWQ_ASSERT_OK(awq_layer_norm(sumRef.get(), gammaRef.get(), betaRef.get(), -1, eps,
                                     expected.get()));
      }
      AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
      EXPECT_EQ(sum.download<uint16_t>(), expectedSum);
      // As the plain norms' bounds, with |sum| <= 61 scaling the LayerNorm
      // mean's error (61 / 2.5 times the plain test's 8 dim roundoffs).
      expectNear(downloadHalf(dtype, y), f32Values(expected), kTinyFloor + 200 * dim * kF32Roundoff,
                 unitRoundoff(dtype) + dim * kF32Roundoff);
    }
    // In place, as a decoder keeps its residual stream: the sum over the
    // residual, then over x; the same bits either way.
    for (bool overResidual : {true, false}) {
      SCOPED_TRACE(overResidual ? "sum over the residual" : "sum over x");
      DeviceBuffer stream = DeviceBuffer::from(toHalfVector(dtype, residual.values));
      DeviceBuffer block = DeviceBuffer::from(toHalfVector(dtype, x.values));
      DeviceBuffer y = halfOutput(rows * dim);
      void *sum = overResidual ? stream.get() : block.get();
      AWQ_ASSERT_OK(awq_cuda_add_rms_norm(block.get(), stream.get(), gamma.device.get(), 0.0f,
                                          rows, dim, eps, dtype, sum, y.get(), nullptr));
      AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
      EXPECT_EQ((overResidual ? stream : block).download<uint16_t>(), expectedSum);
      HostTensor expected(AWQ_F32, {rows, dim});
      AWQ_ASSERT_OK(awq_rms_norm(sumRef.get(), gammaRef.get(), eps, 0.0f, expected.get()));
      expectNear(downloadHalf(dtype, y), f32Values(expected), kTinyFloor,
                 unitRoundoff(dtype) + dim * kF32Roundoff);
    }
  }
}

// ---- Elementwise and embedding ----------------------------------------------

TEST(GpuDecoderOps, AddMatchesCpuAlsoInPlace) {
  AWQ_REQUIRE_GPU();
  const int64_t count = 3007;
  for (int32_t dtype : kHalfDtypes) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    HalfInput a = makeHalfInput(dtype, randomFloats(count, 6, -4.0f, 4.0f));
    const HalfInput b = makeHalfInput(dtype, randomFloats(count, 7, -4.0f, 4.0f));
    const HostTensor aRef = makeF32({count}, a.values), bRef = makeF32({count}, b.values);
    HostTensor expected(AWQ_F32, {count});
    AWQ_ASSERT_OK(awq_binary(AWQ_BINARY_ADD, aRef.get(), bRef.get(), expected.get()));
    // One f32 add, then the output's rounding.
    const double rel = unitRoundoff(dtype) + kF32Roundoff;

    DeviceBuffer y = halfOutput(count);
    AWQ_ASSERT_OK(awq_cuda_add(a.device.get(), b.device.get(), count, dtype, y.get(), nullptr));
    AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
    expectNear(downloadHalf(dtype, y), f32Values(expected), kTinyFloor, rel);

    // The residual add writes into its input.
    AWQ_ASSERT_OK(
        awq_cuda_add(a.device.get(), b.device.get(), count, dtype, a.device.get(), nullptr));
    AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
    expectNear(downloadHalf(dtype, a.device), f32Values(expected), kTinyFloor, rel);
  }
}

TEST(GpuDecoderOps, SiluMulMatchesCpu) {
  AWQ_REQUIRE_GPU();
  const int64_t count = 2051;
  for (int32_t dtype : kHalfDtypes) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    const HalfInput gate = makeHalfInput(dtype, randomFloats(count, 8, -8.0f, 8.0f));
    const HalfInput up = makeHalfInput(dtype, randomFloats(count, 9, -2.0f, 2.0f));
    DeviceBuffer y = halfOutput(count);
    AWQ_ASSERT_OK(
        awq_cuda_silu_mul(gate.device.get(), up.device.get(), count, dtype, y.get(), nullptr));
    AWQ_ASSERT_CUDA(cudaDeviceSynchronize());

    const HostTensor gateRef = makeF32({count}, gate.values), upRef = makeF32({count}, up.values);
    HostTensor silu(AWQ_F32, {count}), expected(AWQ_F32, {count});
    AWQ_ASSERT_OK(awq_silu(gateRef.get(), silu.get()));
    AWQ_ASSERT_OK(awq_binary(AWQ_BINARY_MUL, silu.get(), upRef.get(), expected.get()));
    // Output rounding, plus f32 work that is relative throughout (no
    // cancellation): expf vs the CPU's fast exp (< 2e-7 = ~4 roundoffs) and
    // an add, a divide and two multiplies.
    expectNear(downloadHalf(dtype, y), f32Values(expected), kTinyFloor,
               unitRoundoff(dtype) + 8 * kF32Roundoff);
  }
}

TEST(GpuDecoderOps, EmbeddingMatchesGatherAndZerosOutOfRangeIds) {
  AWQ_REQUIRE_GPU();
  const int64_t rows = 10, dim = 70;
  const std::vector<int64_t> ids = {3, 0, 9, -1, 10, 1000, 3};
  const int64_t count = static_cast<int64_t>(ids.size());
  for (int32_t dtype : kHalfDtypes) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    const HalfInput table = makeHalfInput(dtype, randomFloats(rows * dim, 10));
    const DeviceBuffer idsDevice = DeviceBuffer::from(ids);
    DeviceBuffer y = halfOutput(count * dim);
    AWQ_ASSERT_OK(awq_cuda_embedding(table.device.get(), rows, dim,
                                     static_cast<const int64_t *>(idsDevice.get()), count, dtype,
                                     y.get(), nullptr));
    AWQ_ASSERT_CUDA(cudaDeviceSynchronize());

    // Gather rejects out-of-range ids: gather row 0 for them, then zero those rows.
    std::vector<int64_t> inRange(ids);
    for (int64_t &id : inRange)
      id = id >= 0 && id < rows ? id : 0;
    const HostTensor tableRef = makeF32({rows, dim}, table.values);
    const HostTensor idsRef = makeI64({count}, inRange);
    HostTensor gathered(AWQ_F32, {count, dim});
    AWQ_ASSERT_OK(awq_gather(tableRef.get(), idsRef.get(), 0, gathered.get()));
    std::vector<double> expected = f32Values(gathered);
    for (int64_t t = 0; t < count; ++t)
      if (ids[t] < 0 || ids[t] >= rows)
        std::fill(expected.begin() + t * dim, expected.begin() + (t + 1) * dim, 0.0);
    // A copy: exact.
    expectNear(downloadHalf(dtype, y), expected, 0.0);
  }
}

// ---- RoPE -----------------------------------------------------------------------

TEST(GpuDecoderOps, RopeMatchesCpuBothLayoutsPartialRotary) {
  AWQ_REQUIRE_GPU();
  struct RopeShape {
    int64_t tokens, heads, headDim, rotaryDim;
  };
  // Blocks are pairs x heads (up to 128 x 256/128): one block of 3 heads; 40
  // heads over 10 blocks of 4 (a decoder's rows); 150 pairs over 2 blocks.
  for (const RopeShape shape :
       {RopeShape{4, 3, 64, 32}, RopeShape{2, 40, 128, 128}, RopeShape{3, 5, 512, 300}}) {
    const int64_t tokens = shape.tokens, heads = shape.heads, headDim = shape.headDim,
                  rotaryDim = shape.rotaryDim;
    const float theta = 10000.0f;
    const std::vector<int64_t> allPositions = {0, 1, 37, 4095};
    const std::vector<int64_t> positions(allPositions.begin(), allPositions.begin() + tokens);
    const DeviceBuffer positionsDevice = DeviceBuffer::from(positions);
    for (int32_t dtype : kHalfDtypes) {
      for (awq_rope_layout layout : {AWQ_ROPE_HALF_SPLIT, AWQ_ROPE_INTERLEAVED}) {
        SCOPED_TRACE(std::string(awq_dtype_name(dtype)) +
                     (layout == AWQ_ROPE_HALF_SPLIT ? " half-split" : " interleaved") + " heads " +
                     std::to_string(heads) + " rotary_dim " + std::to_string(rotaryDim));
        HalfInput x = makeHalfInput(dtype, randomFloats(tokens * heads * headDim, 11));
        AWQ_ASSERT_OK(awq_cuda_rope(x.device.get(), tokens, heads, headDim, rotaryDim,
                                    static_cast<const int64_t *>(positionsDevice.get()), theta,
                                    layout, dtype, nullptr));
        AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
        const std::vector<double> actual = downloadHalf(dtype, x.device);

        const HostTensor xRef = makeF32({tokens, heads, headDim}, x.values);
        const HostTensor positionsRef = makeI64({tokens}, positions);
        HostTensor expected(AWQ_F32, {tokens, heads, headDim});
        AWQ_ASSERT_OK(awq_rope(xRef.get(), positionsRef.get(), 0,
                               /*seq_axis=*/0, rotaryDim, theta, layout, expected.get()));
        // Both sides take cos/sin from f64 angles, so they agree to an f32
        // roundoff; x1 c - x2 s may cancel, so its f32 error is absolute: a few
        // roundoffs of |x1| + |x2| <= 2. Then the output's rounding, u |y|.
        expectNear(actual, f32Values(expected), kTinyFloor + 8 * kF32Roundoff, unitRoundoff(dtype));
        // Channels past rotary_dim are untouched, bit for bit.
        for (int64_t v = 0; v < tokens * heads; ++v)
          for (int64_t c = rotaryDim; c < headDim; ++c)
            ASSERT_EQ(actual[v * headDim + c], x.values[v * headDim + c]) << "vector " << v;
      }
    }
  }
}

// ---- KV cache and attention -------------------------------------------------------

namespace {

struct AttentionDims {
  int64_t batch, qLen, heads, kvHeads, headDim, capacity;
};

// Cache entries that no query may read: any read of them swamps the result.
constexpr float kUnwritten = 1000.0f;

// Random [batch, kv_heads, capacity, head_dim] cache whose positions at or
// past `filled[b]` hold kUnwritten.
std::vector<float> makeCache(const AttentionDims &d, const std::vector<int32_t> &filled,
                             unsigned seed) {
  std::vector<float> cache = randomFloats(d.batch * d.kvHeads * d.capacity * d.headDim, seed);
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t h = 0; h < d.kvHeads; ++h)
      for (int64_t p = filled[b]; p < d.capacity; ++p)
        for (int64_t c = 0; c < d.headDim; ++c)
          cache[((b * d.kvHeads + h) * d.capacity + p) * d.headDim + c] = kUnwritten;
  return cache;
}

// The CPU attention, one sequence at a time (each has its own past_len), in
// the CUDA layouts: q and result [batch, q_len, heads, head_dim], caches
// [batch, kv_heads, capacity, head_dim]. The CPU op takes q as [B, H, S, D].
std::vector<double> cpuAttention(const AttentionDims &d, const std::vector<float> &q,
                                 const std::vector<float> &kCache, const std::vector<float> &vCache,
                                 const std::vector<int32_t> &pastLen, float scale) {
  const int64_t cacheStride = d.kvHeads * d.capacity * d.headDim;
  std::vector<double> result(static_cast<size_t>(d.batch * d.qLen * d.heads * d.headDim));
  for (int64_t b = 0; b < d.batch; ++b) {
    HostTensor qRef(AWQ_F32, {1, d.heads, d.qLen, d.headDim});
    for (int64_t i = 0; i < d.qLen; ++i)
      for (int64_t h = 0; h < d.heads; ++h)
        for (int64_t c = 0; c < d.headDim; ++c)
          qRef.data<float>()[(h * d.qLen + i) * d.headDim + c] =
              q[((b * d.qLen + i) * d.heads + h) * d.headDim + c];
    const std::vector<float> kSlice(kCache.begin() + b * cacheStride,
                                    kCache.begin() + (b + 1) * cacheStride);
    const std::vector<float> vSlice(vCache.begin() + b * cacheStride,
                                    vCache.begin() + (b + 1) * cacheStride);
    const HostTensor kRef = makeF32({1, d.kvHeads, d.capacity, d.headDim}, kSlice);
    const HostTensor vRef = makeF32({1, d.kvHeads, d.capacity, d.headDim}, vSlice);
    HostTensor out(AWQ_F32, {1, d.heads, d.qLen, d.headDim});
    EXPECT_EQ(awq_attention(qRef.get(), kRef.get(), vRef.get(), nullptr, scale, /*causal=*/1,
                            pastLen[b], pastLen[b] + d.qLen, AWQ_HEADS_BHSD, out.get()),
              0)
        << awq_last_error();
    for (int64_t i = 0; i < d.qLen; ++i)
      for (int64_t h = 0; h < d.heads; ++h)
        for (int64_t c = 0; c < d.headDim; ++c)
          result[((b * d.qLen + i) * d.heads + h) * d.headDim + c] =
              out.data<float>()[(h * d.qLen + i) * d.headDim + c];
  }
  return result;
}

// Tolerance of attention outputs with |q|, |k|, |v| <= 1: each score's f32
// dot product is off by <= D roundoffs of scale * D (absolute), which moves
// every softmax weight by that much relatively, and the output (a weighted
// mean of values) by at most twice that; the f32 sums over the keys add
// 2 * keys roundoffs. The output's rounding is the relative part, u |y|.
double attentionAbsTolerance(const AttentionDims &d, float scale) {
  const double keys = static_cast<double>(d.capacity);
  return kTinyFloor + 2.0 * d.headDim * scale * d.headDim * kF32Roundoff +
         2.0 * keys * kF32Roundoff;
}

void expectAttentionMatchesCpu(const AttentionDims &d, const std::vector<int32_t> &pastLen,
                               unsigned seed) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(d.headDim));
  std::vector<int32_t> filled(pastLen);
  for (int32_t &f : filled)
    f += static_cast<int32_t>(d.qLen);
  for (int32_t dtype : kHalfDtypes) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    const HalfInput q =
        makeHalfInput(dtype, randomFloats(d.batch * d.qLen * d.heads * d.headDim, seed));
    const HalfInput k = makeHalfInput(dtype, makeCache(d, filled, seed + 1));
    const HalfInput v = makeHalfInput(dtype, makeCache(d, filled, seed + 2));
    const DeviceBuffer pastDevice = DeviceBuffer::from(pastLen);
    DeviceBuffer out = halfOutput(d.batch * d.qLen * d.heads * d.headDim);
    AWQ_ASSERT_OK(awq_cuda_attention(q.device.get(), k.device.get(), v.device.get(), d.batch,
                                     d.qLen, d.heads, d.kvHeads, d.headDim, d.capacity,
                                     static_cast<const int32_t *>(pastDevice.get()), scale, dtype,
                                     out.get(), nullptr));
    AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
    expectNear(downloadHalf(dtype, out),
               cpuAttention(d, q.values, k.values, v.values, pastLen, scale),
               attentionAbsTolerance(d, scale), unitRoundoff(dtype));
  }
}

} // namespace

TEST(GpuDecoderOps, KvCacheAppendMatchesCpuAndDropsPastCapacity) {
  AWQ_REQUIRE_GPU();
  const int64_t batch = 2, kvHeads = 2, capacity = 8, headDim = 16, newTokens = 3;
  // Sequence 1's third token lands on position 8 == capacity: dropped.
  const std::vector<int32_t> pastLen = {2, 6};
  for (int32_t dtype : kHalfDtypes) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    const int64_t cacheStride = kvHeads * capacity * headDim;
    HalfInput cache = makeHalfInput(dtype, randomFloats(batch * cacheStride, 12));
    const HalfInput update =
        makeHalfInput(dtype, randomFloats(batch * newTokens * kvHeads * headDim, 13));
    const DeviceBuffer pastDevice = DeviceBuffer::from(pastLen);
    AWQ_ASSERT_OK(awq_cuda_kv_cache_append(
        cache.device.get(), batch, kvHeads, capacity, headDim, update.device.get(), newTokens,
        static_cast<const int32_t *>(pastDevice.get()), dtype, nullptr));
    AWQ_ASSERT_CUDA(cudaDeviceSynchronize());

    // The CPU op takes one offset and [B, H, S, D] updates that must fit:
    // one sequence at a time, transposed, cut at the capacity.
    std::vector<double> expected;
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t kept = std::min<int64_t>(newTokens, capacity - pastLen[b]);
      HostTensor cacheRef =
          makeF32({1, kvHeads, capacity, headDim},
                  std::vector<float>(cache.values.begin() + b * cacheStride,
                                     cache.values.begin() + (b + 1) * cacheStride));
      HostTensor updateRef(AWQ_F32, {1, kvHeads, kept, headDim});
      for (int64_t s = 0; s < kept; ++s)
        for (int64_t h = 0; h < kvHeads; ++h)
          for (int64_t c = 0; c < headDim; ++c)
            updateRef.data<float>()[(h * kept + s) * headDim + c] =
                update.values[((b * newTokens + s) * kvHeads + h) * headDim + c];
      AWQ_ASSERT_OK(awq_kv_cache_append(cacheRef.get(), updateRef.get(), pastLen[b]));
      const std::vector<double> sequence = f32Values(cacheRef);
      expected.insert(expected.end(), sequence.begin(), sequence.end());
    }
    // A copy: exact.
    expectNear(downloadHalf(dtype, cache.device), expected, 0.0);
  }
}

TEST(GpuDecoderOps, AttentionPrefillGqaWithAndWithoutPast) {
  AWQ_REQUIRE_GPU();
  // Sequence 0 continues after 3 cached tokens, sequence 1 starts fresh.
  expectAttentionMatchesCpu({/*batch=*/2, /*qLen=*/5, /*heads=*/8, /*kvHeads=*/2,
                             /*headDim=*/64, /*capacity=*/16},
                            {3, 0}, 20);
}

TEST(GpuDecoderOps, AttentionDecodeGqa) {
  AWQ_REQUIRE_GPU();
  // 38 keys: more than one step of the kernel's key groups.
  expectAttentionMatchesCpu({/*batch=*/2, /*qLen=*/1, /*heads=*/8, /*kvHeads=*/2,
                             /*headDim=*/128, /*capacity=*/64},
                            {37, 5}, 30);
}

TEST(GpuDecoderOps, AttentionOddAndLargestHeadDims) {
  AWQ_REQUIRE_GPU();
  // One kv head for all (MQA); head dims off the lane grid and at the limit.
  for (int64_t headDim : {40, 256}) {
    SCOPED_TRACE(headDim);
    expectAttentionMatchesCpu({/*batch=*/1, /*qLen=*/3, /*heads=*/4, /*kvHeads=*/1, headDim,
                               /*capacity=*/64},
                              {50}, 40);
  }
}

// A KV cache with room to grow (awq.kv_cache_append's memory in a compiled
// library): k and v laid out [B, Hkv, capacity, D] with NaN in the rows past
// kv_len. Reading the first kv_len rows of each head must give the bits the
// contiguous tensors give (same keys, same order), and never touch the NaNs.
// The query as a projection writes it, [B, S, H, D] (query_layout bshd, what
// awq-fuse-head-transposes gives), must give the same bits, [B, S, H, D].
TEST(GpuDecoderOps, MaskedAttentionReadsTheRowsOfACacheWithRoom) {
  AWQ_REQUIRE_GPU();
  const int64_t batch = 2, heads = 4, kvHeads = 2, qLen = 3, keys = 21, capacity = 32,
                headDim = 64;
  const float scale = 0.125f;
  const std::vector<float> q = randomFloats(batch * heads * qLen * headDim, 70);
  const std::vector<float> k = randomFloats(batch * kvHeads * keys * headDim, 71);
  const std::vector<float> v = randomFloats(batch * kvHeads * keys * headDim, 72);
  auto withRoom = [&](const std::vector<float> &rows) {
    std::vector<float> cache(static_cast<size_t>(batch * kvHeads * capacity * headDim), NAN);
    for (int64_t h = 0; h < batch * kvHeads; ++h)
      std::copy(rows.begin() + h * keys * headDim, rows.begin() + (h + 1) * keys * headDim,
                cache.begin() + h * capacity * headDim);
    return cache;
  };
  const DeviceBuffer qDevice = DeviceBuffer::from(q);
  const DeviceBuffer kDevice = DeviceBuffer::from(k), vDevice = DeviceBuffer::from(v);
  const DeviceBuffer kCache = DeviceBuffer::from(withRoom(k)), vCache = DeviceBuffer::from(withRoom(v));
  const size_t outBytes = static_cast<size_t>(batch * heads * qLen * headDim) * 4;
  DeviceBuffer contiguous(outBytes), cached(outBytes);
  AWQ_ASSERT_OK(awq_cuda_attention_masked(qDevice.get(), kDevice.get(), vDevice.get(), nullptr,
                                          nullptr, batch, heads, kvHeads, qLen, keys, keys,
                                          headDim, AWQ_HEADS_BHSD, scale, AWQ_F32,
                                          contiguous.get(), nullptr));
  AWQ_ASSERT_OK(awq_cuda_attention_masked(qDevice.get(), kCache.get(), vCache.get(), nullptr,
                                          nullptr, batch, heads, kvHeads, qLen, keys, capacity,
                                          headDim, AWQ_HEADS_BHSD, scale, AWQ_F32, cached.get(),
                                          nullptr));
  // [B, H, S, D] <-> [B, S, H, D].
  auto swapHeadsAndPositions = [&](const std::vector<float> &from, bool toSequenceFirst) {
    std::vector<float> to(from.size());
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < qLen; ++i) {
          const int64_t headsFirst = ((b * heads + h) * qLen + i) * headDim;
          const int64_t sequenceFirst = ((b * qLen + i) * heads + h) * headDim;
          std::copy_n(from.begin() + (toSequenceFirst ? headsFirst : sequenceFirst), headDim,
                      to.begin() + (toSequenceFirst ? sequenceFirst : headsFirst));
        }
    return to;
  };
  const DeviceBuffer qSequenceFirst = DeviceBuffer::from(swapHeadsAndPositions(q, true));
  DeviceBuffer sequenceFirst(outBytes);
  AWQ_ASSERT_OK(awq_cuda_attention_masked(qSequenceFirst.get(), kCache.get(), vCache.get(),
                                          nullptr, nullptr, batch, heads, kvHeads, qLen, keys,
                                          capacity, headDim, AWQ_HEADS_BSHD, scale, AWQ_F32,
                                          sequenceFirst.get(), nullptr));
  AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
  const std::vector<float> expected = contiguous.download<float>();
  EXPECT_EQ(cached.download<float>(), expected);
  EXPECT_EQ(swapHeadsAndPositions(sequenceFirst.download<float>(), false), expected);
}

// awq.attention's device form (awq_cuda_attention_masked): q [B, H, S, D],
// k and v [B, Hkv, T, D], an additive mask broadcast by strides, against the
// CPU op on the same (dtype-rounded) values, for f32 and both half dtypes.
// The masks: none; HF's causal [S, T] with the most negative float; and a
// [B, 1, S, T] padding mask of -inf that hides every key of one query (that
// row must be zeros, not NaN).
TEST(GpuDecoderOps, MaskedAttentionMatchesCpuForEveryMaskAndDtype) {
  AWQ_REQUIRE_GPU();
  const int64_t batch = 2, heads = 8, kvHeads = 2, qLen = 5, keys = 37, headDim = 64;
  const float scale = 0.125f;
  const float lowest = -3.4028234663852886e38f;
  std::vector<float> causal(qLen * keys), padding(batch * qLen * keys, 0.0f);
  for (int64_t i = 0; i < qLen; ++i)
    for (int64_t j = 0; j < keys; ++j)
      causal[i * keys + j] = j <= keys - qLen + i ? 0.0f : lowest;
  for (int64_t j = 0; j < keys; ++j) {
    padding[(0 * qLen + 2) * keys + j] = -INFINITY; // batch 0, query 2: nothing visible
    if (j < 4)
      padding[(1 * qLen + 0) * keys + j] = -INFINITY; // batch 1 pads its first 4 keys
  }
  struct MaskCase {
    const char *name;
    std::vector<int64_t> shape;
    const std::vector<float> *values;
    std::vector<int64_t> strides; // over [B, H, S, T]
  };
  const MaskCase masks[] = {{"none", {}, nullptr, {}},
                            {"causal [S, T]", {qLen, keys}, &causal, {0, 0, keys, 1}},
                            {"padding [B, 1, S, T]", {batch, 1, qLen, keys}, &padding,
                             {qLen * keys, 0, keys, 1}}};
  const int32_t dtypes[] = {AWQ_F32, AWQ_F16, AWQ_BF16};
  for (int32_t dtype : dtypes) {
    for (const MaskCase &mask : masks) {
      SCOPED_TRACE(std::string(awq_dtype_name(dtype)) + ", mask " + mask.name);
      auto rounded = [&](const std::vector<float> &values) {
        return dtype == AWQ_F32 ? values : roundThrough(dtype, values);
      };
      auto upload = [&](const std::vector<float> &values) {
        return dtype == AWQ_F32 ? DeviceBuffer::from(values)
                                : DeviceBuffer::from(toHalfVector(dtype, values));
      };
      const std::vector<float> q = rounded(randomFloats(batch * heads * qLen * headDim, 60));
      const std::vector<float> k = rounded(randomFloats(batch * kvHeads * keys * headDim, 61));
      const std::vector<float> v = rounded(randomFloats(batch * kvHeads * keys * headDim, 62));
      const std::vector<float> m = mask.values ? rounded(*mask.values) : std::vector<float>{};
      const DeviceBuffer qDevice = upload(q), kDevice = upload(k), vDevice = upload(v);
      const DeviceBuffer mDevice = mask.values ? upload(m) : DeviceBuffer(4);
      const size_t outElements = static_cast<size_t>(batch * heads * qLen * headDim);
      DeviceBuffer out(outElements * (dtype == AWQ_F32 ? 4 : 2));
      AWQ_ASSERT_OK(awq_cuda_attention_masked(
          qDevice.get(), kDevice.get(), vDevice.get(), mask.values ? mDevice.get() : nullptr,
          mask.values ? mask.strides.data() : nullptr, batch, heads, kvHeads, qLen, keys, keys,
          headDim, AWQ_HEADS_BHSD, scale, dtype, out.get(), nullptr));
      AWQ_ASSERT_CUDA(cudaDeviceSynchronize());

      const HostTensor qRef = makeF32({batch, heads, qLen, headDim}, q);
      const HostTensor kRef = makeF32({batch, kvHeads, keys, headDim}, k);
      const HostTensor vRef = makeF32({batch, kvHeads, keys, headDim}, v);
      const HostTensor mRef = makeF32(mask.shape.empty() ? std::vector<int64_t>{1} : mask.shape,
                                      mask.values ? m : std::vector<float>{0.0f});
      HostTensor expected(AWQ_F32, {batch, heads, qLen, headDim});
      AWQ_ASSERT_OK(awq_attention(qRef.get(), kRef.get(), vRef.get(),
                                  mask.values ? mRef.get() : nullptr, scale, 0, 0, -1,
                                  AWQ_HEADS_BHSD, expected.get()));
      const std::vector<double> actual =
          dtype == AWQ_F32 ? toDoubles(out.download<float>()) : downloadHalf(dtype, out);
      const AttentionDims dims{batch, qLen, heads, kvHeads, headDim, keys};
      expectNear(actual, f32Values(expected), attentionAbsTolerance(dims, scale),
                 dtype == AWQ_F32 ? kF32Roundoff : unitRoundoff(dtype));
      if (mask.values == &padding)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t c = 0; c < headDim; ++c)
            EXPECT_EQ(actual[((0 * heads + h) * qLen + 2) * headDim + c], 0.0);
    }
  }
}

TEST(GpuDecoderOps, DecodeStepGraphReplaysWithNewPastLen) {
  AWQ_REQUIRE_GPU();
  // One captured decode step (append k, append v, attend), replayed for two
  // past lengths written to device memory between launches.
  const AttentionDims d{/*batch=*/1,    /*qLen=*/1,     /*heads=*/8,
                        /*kvHeads=*/2,  /*headDim=*/64,
                        /*capacity=*/32};
  const float scale = 1.0f / std::sqrt(static_cast<float>(d.headDim));
  const int32_t dtype = AWQ_F16;
  const int64_t rowElements = d.kvHeads * d.headDim;
  HalfInput q = makeHalfInput(dtype, randomFloats(d.heads * d.headDim, 50));
  HalfInput kNew = makeHalfInput(dtype, randomFloats(rowElements, 51));
  HalfInput vNew = makeHalfInput(dtype, randomFloats(rowElements, 52));
  // Every position holds data, so any past_len up to capacity - 1 is valid.
  HalfInput k = makeHalfInput(dtype, randomFloats(d.kvHeads * d.capacity * d.headDim, 53));
  HalfInput v = makeHalfInput(dtype, randomFloats(d.kvHeads * d.capacity * d.headDim, 54));
  DeviceBuffer pastDevice(sizeof(int32_t));
  DeviceBuffer out = halfOutput(d.heads * d.headDim);
  const auto *past = static_cast<const int32_t *>(pastDevice.get());

  cudaStream_t stream = nullptr;
  AWQ_ASSERT_CUDA(cudaStreamCreate(&stream));
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  AWQ_ASSERT_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  const awq_status appendK =
      awq_cuda_kv_cache_append(k.device.get(), 1, d.kvHeads, d.capacity, d.headDim,
                               kNew.device.get(), 1, past, dtype, stream);
  const awq_status appendV =
      awq_cuda_kv_cache_append(v.device.get(), 1, d.kvHeads, d.capacity, d.headDim,
                               vNew.device.get(), 1, past, dtype, stream);
  const awq_status attend =
      awq_cuda_attention(q.device.get(), k.device.get(), v.device.get(), d.batch, d.qLen, d.heads,
                         d.kvHeads, d.headDim, d.capacity, past, scale, dtype, out.get(), stream);
  AWQ_ASSERT_CUDA(cudaStreamEndCapture(stream, &graph));
  ASSERT_EQ(appendK, 0) << awq_last_error();
  ASSERT_EQ(appendV, 0) << awq_last_error();
  ASSERT_EQ(attend, 0) << awq_last_error();
  AWQ_ASSERT_CUDA(cudaGraphInstantiate(&exec, graph, 0));

  for (int32_t pastLen : {4, 19}) {
    SCOPED_TRACE(pastLen);
    AWQ_ASSERT_CUDA(cudaMemcpy(pastDevice.get(), &pastLen, sizeof pastLen, cudaMemcpyHostToDevice));
    AWQ_ASSERT_CUDA(cudaGraphLaunch(exec, stream));
    AWQ_ASSERT_CUDA(cudaStreamSynchronize(stream));
    // The host copies follow the same appends (earlier replays' rows stay).
    for (int64_t h = 0; h < d.kvHeads; ++h)
      for (int64_t c = 0; c < d.headDim; ++c) {
        k.values[(h * d.capacity + pastLen) * d.headDim + c] = kNew.values[h * d.headDim + c];
        v.values[(h * d.capacity + pastLen) * d.headDim + c] = vNew.values[h * d.headDim + c];
      }
    expectNear(downloadHalf(dtype, out),
               cpuAttention(d, q.values, k.values, v.values, {pastLen}, scale),
               attentionAbsTolerance(d, scale), unitRoundoff(dtype));
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(stream);
}

// ---- Argument errors (checked before any CUDA call: no GPU needed) ------------------

namespace {

// Stand-ins for device pointers: never dereferenced, since each call below
// fails its checks before launching anything.
unsigned char fakeBytes[64];
void *const kFake = fakeBytes;
const int64_t kFakeIds[1] = {0};
const int32_t kFakePast[1] = {0};

} // namespace

TEST(CudaDecoderOpsArgs, NormsRejectBadArguments) {
  EXPECT_OP_ERROR(awq_cuda_rms_norm(nullptr, kFake, 2, 8, 1e-5f, AWQ_F16, kFake, nullptr),
                  "awq_cuda_rms_norm", "x must not be null");
  EXPECT_OP_ERROR(awq_cuda_rms_norm(kFake, nullptr, 2, 8, 1e-5f, AWQ_F16, kFake, nullptr),
                  "awq_cuda_rms_norm", "gamma must not be null");
  EXPECT_OP_ERROR(awq_cuda_rms_norm(kFake, kFake, 2, 8, 1e-5f, AWQ_F16, nullptr, nullptr),
                  "awq_cuda_rms_norm", "y must not be null");
  EXPECT_OP_ERROR(awq_cuda_rms_norm(kFake, kFake, 0, 8, 1e-5f, AWQ_F16, kFake, nullptr),
                  "awq_cuda_rms_norm", "rows must be positive");
  EXPECT_OP_ERROR(awq_cuda_rms_norm(kFake, kFake, 2, -1, 1e-5f, AWQ_F16, kFake, nullptr),
                  "awq_cuda_rms_norm", "dim must be positive");
  EXPECT_OP_ERROR(awq_cuda_rms_norm(kFake, kFake, 2, 8, NAN, AWQ_F16, kFake, nullptr),
                  "awq_cuda_rms_norm", "eps");
  // The norms take f32 too (compiled f32 models run them).
  EXPECT_OP_ERROR(awq_cuda_rms_norm(kFake, kFake, 2, 8, 1e-5f, AWQ_I32, kFake, nullptr),
                  "awq_cuda_rms_norm", "dtype must be f32, f16 or bf16");
  EXPECT_OP_ERROR(
      awq_cuda_layer_norm(kFake, nullptr, nullptr, 2, 8, 1e-5f, AWQ_BF16, kFake, nullptr),
      "awq_cuda_layer_norm", "gamma must not be null");
  EXPECT_OP_ERROR(awq_cuda_layer_norm(kFake, kFake, nullptr, 2, 8, 1e-5f, AWQ_I8, kFake, nullptr),
                  "awq_cuda_layer_norm", "dtype");
}

TEST(CudaDecoderOpsArgs, AddNormsRejectBadArguments) {
  unsigned char other[64];
  void *const kOther = other;
  EXPECT_OP_ERROR(awq_cuda_add_rms_norm(kFake, kFake, kFake, 0.0f, 2, 8, 1e-5f, AWQ_F16, nullptr,
                                        kOther, nullptr),
                  "awq_cuda_add_rms_norm", "residual and sum must both be given or both be NULL");
  EXPECT_OP_ERROR(awq_cuda_add_layer_norm(kFake, nullptr, kFake, nullptr, 2, 8, 1e-5f, AWQ_F16,
                                          kFake, kOther, nullptr),
                  "awq_cuda_add_layer_norm",
                  "residual and sum must both be given or both be NULL");
  EXPECT_OP_ERROR(awq_cuda_add_rms_norm(kFake, kOther, kFake, 0.0f, 2, 8, 1e-5f, AWQ_F16, kOther,
                                        kOther, nullptr),
                  "awq_cuda_add_rms_norm", "sum must not alias y");
  EXPECT_OP_ERROR(awq_cuda_add_rms_norm(kFake, kOther, kFake, INFINITY, 2, 8, 1e-5f, AWQ_F16,
                                        fakeBytes + 8, fakeBytes + 16, nullptr),
                  "awq_cuda_add_rms_norm", "gamma_offset must be finite");
  EXPECT_OP_ERROR(awq_cuda_add_layer_norm(kFake, kOther, kFake, nullptr, 2, 8, 1e-5f, AWQ_I32,
                                          fakeBytes + 8, fakeBytes + 16, nullptr),
                  "awq_cuda_add_layer_norm", "dtype");
}

TEST(CudaDecoderOpsArgs, ElementwiseAndEmbeddingRejectBadArguments) {
  EXPECT_OP_ERROR(awq_cuda_add(nullptr, kFake, 4, AWQ_F16, kFake, nullptr), "awq_cuda_add",
                  "a must not be null");
  EXPECT_OP_ERROR(awq_cuda_add(kFake, kFake, 0, AWQ_F16, kFake, nullptr), "awq_cuda_add",
                  "count must be positive");
  EXPECT_OP_ERROR(awq_cuda_silu_mul(kFake, nullptr, 4, AWQ_BF16, kFake, nullptr),
                  "awq_cuda_silu_mul", "up must not be null");
  EXPECT_OP_ERROR(awq_cuda_silu_mul(kFake, kFake, 4, AWQ_F32, kFake, nullptr), "awq_cuda_silu_mul",
                  "dtype");
  EXPECT_OP_ERROR(awq_cuda_embedding(kFake, 10, 8, nullptr, 3, AWQ_F16, kFake, nullptr),
                  "awq_cuda_embedding", "ids must not be null");
  EXPECT_OP_ERROR(awq_cuda_embedding(kFake, 0, 8, kFakeIds, 3, AWQ_F16, kFake, nullptr),
                  "awq_cuda_embedding", "rows must be positive");
  EXPECT_OP_ERROR(awq_cuda_embedding(kFake, 10, 8, kFakeIds, -2, AWQ_F16, kFake, nullptr),
                  "awq_cuda_embedding", "count must be positive");
}

TEST(CudaDecoderOpsArgs, RopeRejectsBadArguments) {
  EXPECT_OP_ERROR(
      awq_cuda_rope(kFake, 2, 4, 64, 32, nullptr, 1e4f, AWQ_ROPE_HALF_SPLIT, AWQ_F16, nullptr),
      "awq_cuda_rope", "positions must not be null");
  EXPECT_OP_ERROR(
      awq_cuda_rope(kFake, 2, 4, 64, 31, kFakeIds, 1e4f, AWQ_ROPE_HALF_SPLIT, AWQ_F16, nullptr),
      "awq_cuda_rope", "rotary_dim 31 must be even");
  EXPECT_OP_ERROR(
      awq_cuda_rope(kFake, 2, 4, 64, 66, kFakeIds, 1e4f, AWQ_ROPE_HALF_SPLIT, AWQ_F16, nullptr),
      "awq_cuda_rope", "<= head_dim 64");
  EXPECT_OP_ERROR(
      awq_cuda_rope(kFake, 2, 4, 64, 0, kFakeIds, 1e4f, AWQ_ROPE_HALF_SPLIT, AWQ_F16, nullptr),
      "awq_cuda_rope", "rotary_dim must be positive");
  EXPECT_OP_ERROR(
      awq_cuda_rope(kFake, 2, 4, 64, 32, kFakeIds, 0.0f, AWQ_ROPE_HALF_SPLIT, AWQ_F16, nullptr),
      "awq_cuda_rope", "theta must be positive");
  EXPECT_OP_ERROR(awq_cuda_rope(kFake, 2, 4, 64, 32, kFakeIds, 1e4f, 7, AWQ_F16, nullptr),
                  "awq_cuda_rope", "layout");
  EXPECT_OP_ERROR(
      awq_cuda_rope(kFake, 0, 4, 64, 32, kFakeIds, 1e4f, AWQ_ROPE_INTERLEAVED, AWQ_F16, nullptr),
      "awq_cuda_rope", "tokens must be positive");
}

TEST(CudaDecoderOpsArgs, KvCacheAndAttentionRejectBadArguments) {
  EXPECT_OP_ERROR(
      awq_cuda_kv_cache_append(kFake, 1, 2, 16, 64, kFake, 1, nullptr, AWQ_F16, nullptr),
      "awq_cuda_kv_cache_append", "past_len must not be null");
  EXPECT_OP_ERROR(
      awq_cuda_kv_cache_append(kFake, 1, 2, 0, 64, kFake, 1, kFakePast, AWQ_F16, nullptr),
      "awq_cuda_kv_cache_append", "capacity must be positive");
  EXPECT_OP_ERROR(
      awq_cuda_kv_cache_append(kFake, 1, 2, 16, 64, kFake, 1, kFakePast, AWQ_F32, nullptr),
      "awq_cuda_kv_cache_append", "dtype");

  const float scale = 0.125f;
  EXPECT_OP_ERROR(awq_cuda_attention(kFake, kFake, kFake, 1, 1, 8, 2, 300, 16, kFakePast, scale,
                                     AWQ_F16, kFake, nullptr),
                  "awq_cuda_attention", "head_dim 300 exceeds 256");
  EXPECT_OP_ERROR(awq_cuda_attention(kFake, kFake, kFake, 1, 1, 8, 3, 64, 16, kFakePast, scale,
                                     AWQ_F16, kFake, nullptr),
                  "awq_cuda_attention", "multiple of kv_heads");
  EXPECT_OP_ERROR(awq_cuda_attention(kFake, kFake, kFake, 1, 1, 8, 2, 64, 16, nullptr, scale,
                                     AWQ_F16, kFake, nullptr),
                  "awq_cuda_attention", "past_len must not be null");
  EXPECT_OP_ERROR(awq_cuda_attention(kFake, nullptr, kFake, 1, 1, 8, 2, 64, 16, kFakePast, scale,
                                     AWQ_F16, kFake, nullptr),
                  "awq_cuda_attention", "k_cache must not be null");
  EXPECT_OP_ERROR(awq_cuda_attention(kFake, kFake, kFake, 1, 0, 8, 2, 64, 16, kFakePast, scale,
                                     AWQ_F16, kFake, nullptr),
                  "awq_cuda_attention", "q_len must be positive");
  EXPECT_OP_ERROR(awq_cuda_attention(kFake, kFake, kFake, 1, 1, 8, 2, 64, 16, kFakePast, INFINITY,
                                     AWQ_F16, kFake, nullptr),
                  "awq_cuda_attention", "scale must be finite");
  EXPECT_OP_ERROR(awq_cuda_attention(kFake, kFake, kFake, 1, 1, 8, 2, 64, 16, kFakePast, scale,
                                     AWQ_BF16 + 5, kFake, nullptr),
                  "awq_cuda_attention", "dtype");

  const int64_t strides[4] = {0, 0, 16, 1};
  EXPECT_OP_ERROR(awq_cuda_attention_masked(kFake, kFake, nullptr, nullptr, nullptr, 1, 8, 2, 1,
                                            16, 16, 64, AWQ_HEADS_BHSD, scale, AWQ_F32, kFake,
                                            nullptr),
                  "awq_cuda_attention_masked", "v must not be null");
  EXPECT_OP_ERROR(awq_cuda_attention_masked(kFake, kFake, kFake, kFake, nullptr, 1, 8, 2, 1, 16,
                                            16, 64, AWQ_HEADS_BHSD, scale, AWQ_F32, kFake, nullptr),
                  "awq_cuda_attention_masked", "mask_strides must not be null");
  EXPECT_OP_ERROR(awq_cuda_attention_masked(kFake, kFake, kFake, kFake, strides, 1, 8, 2, 1, 0,
                                            0, 64, AWQ_HEADS_BHSD, scale, AWQ_F32, kFake, nullptr),
                  "awq_cuda_attention_masked", "kv_len must be positive");
  EXPECT_OP_ERROR(awq_cuda_attention_masked(kFake, kFake, kFake, nullptr, nullptr, 1, 8, 3, 1, 16,
                                            16, 64, AWQ_HEADS_BHSD, scale, AWQ_F32, kFake, nullptr),
                  "awq_cuda_attention_masked", "multiple of kv_heads");
  EXPECT_OP_ERROR(awq_cuda_attention_masked(kFake, kFake, kFake, nullptr, nullptr, 1, 8, 2, 1, 16,
                                            16, 257, AWQ_HEADS_BHSD, scale, AWQ_F32, kFake,
                                            nullptr),
                  "awq_cuda_attention_masked", "head_dim 257 exceeds 256");
  EXPECT_OP_ERROR(awq_cuda_attention_masked(kFake, kFake, kFake, nullptr, nullptr, 1, 8, 2, 1, 16,
                                            16, 64, AWQ_HEADS_BHSD, scale, AWQ_I64, kFake, nullptr),
                  "awq_cuda_attention_masked", "dtype must be f32, f16 or bf16");
  EXPECT_OP_ERROR(awq_cuda_attention_masked(kFake, kFake, kFake, nullptr, nullptr, 1, 8, 2, 1, 16,
                                            15, 64, AWQ_HEADS_BHSD, scale, AWQ_F32, kFake, nullptr),
                  "awq_cuda_attention_masked", "kv_capacity 15 is below kv_len 16");
  EXPECT_OP_ERROR(awq_cuda_attention_masked(kFake, kFake, kFake, nullptr, nullptr, 1, 8, 2, 1, 16,
                                            16, 64, static_cast<awq_head_layout>(7), scale,
                                            AWQ_F32, kFake, nullptr),
                  "awq_cuda_attention_masked", "unknown query_layout 7");
}
