// AttentionTest.cpp - causal/GQA attention, masks, and KV-cache decode vs full-sequence attention.
#include "TestUtil.h"

#include <limits>

using namespace awq::test;

namespace {

struct Dims {
  int64_t b, hq, hkv, s, t, d;
};

// Direct double-precision attention: query i sits at position past + i.
std::vector<double> attentionReference(const std::vector<double> &q, const std::vector<double> &k,
                                       const std::vector<double> &v, const Dims &d, bool causal,
                                       int64_t past, const std::vector<double> *mask) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(d.d));
  std::vector<double> out(static_cast<size_t>(d.b * d.hq * d.s * d.d), 0.0);
  for (int64_t b = 0; b < d.b; ++b)
    for (int64_t h = 0; h < d.hq; ++h) {
      const int64_t kvh = h / (d.hq / d.hkv);
      for (int64_t i = 0; i < d.s; ++i) {
        std::vector<double> p(static_cast<size_t>(d.t), 0.0);
        double maxScore = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < d.t; ++j) {
          if (causal && j > past + i) {
            p[j] = -std::numeric_limits<double>::infinity();
            continue;
          }
          double s = 0;
          for (int64_t c = 0; c < d.d; ++c)
            s += q[((b * d.hq + h) * d.s + i) * d.d + c] * k[((b * d.hkv + kvh) * d.t + j) * d.d + c];
          p[j] = s * scale + (mask ? (*mask)[i * d.t + j] : 0.0);
          maxScore = std::max(maxScore, p[j]);
        }
        double sum = 0;
        for (double &x : p) {
          x = std::exp(x - maxScore);
          sum += x;
        }
        for (int64_t j = 0; j < d.t; ++j)
          for (int64_t c = 0; c < d.d; ++c)
            out[((b * d.hq + h) * d.s + i) * d.d + c] +=
                p[j] / sum * v[((b * d.hkv + kvh) * d.t + j) * d.d + c];
      }
    }
  return out;
}

HostTensor runAttention(const HostTensor &q, const HostTensor &k, const HostTensor &v,
                        const HostTensor *mask, int causal, int64_t past, int64_t kvLen) {
  awq_tensor desc{};
  EXPECT_EQ(awq_attention_shape(q.get(), k.get(), v.get(), mask ? mask->get() : nullptr, 0.0f,
                                causal, past, kvLen, AWQ_HEADS_BHSD, &desc),
            0)
      << awq_last_error();
  HostTensor out = HostTensor::like(desc);
  EXPECT_EQ(awq_attention(q.get(), k.get(), v.get(), mask ? mask->get() : nullptr, 0.0f, causal,
                          past, kvLen, AWQ_HEADS_BHSD, out.get()),
            0)
      << awq_last_error();
  return out;
}

} // namespace

TEST(Attention, CausalGqaPrefillMatchesReference) {
  const Dims d{2, 8, 2, 9, 9, 16};
  const HostTensor q = makeF32({d.b, d.hq, d.s, d.d}, randomFloats(d.b * d.hq * d.s * d.d, 1));
  const HostTensor k = makeF32({d.b, d.hkv, d.t, d.d}, randomFloats(d.b * d.hkv * d.t * d.d, 2));
  const HostTensor v = makeF32({d.b, d.hkv, d.t, d.d}, randomFloats(d.b * d.hkv * d.t * d.d, 3));
  const HostTensor out = runAttention(q, k, v, nullptr, 1, -1, -1);
  ASSERT_EQ(out.shape(), (Shape{d.b, d.hq, d.s, d.d}));
  // f32 dot products of length 16 and softmax: errors ~1e-7; 1e-5 is ample.
  expectNear(out.asDoubles(),
             attentionReference(q.asDoubles(), k.asDoubles(), v.asDoubles(), d, true, 0, nullptr),
             1e-5);
}

TEST(Attention, NonCausalWithAdditiveMaskAndExplicitScale) {
  const Dims d{1, 2, 2, 3, 5, 4};
  const HostTensor q = makeF32({1, 2, 3, 4}, randomFloats(24, 4));
  const HostTensor k = makeF32({1, 2, 5, 4}, randomFloats(40, 5));
  const HostTensor v = makeF32({1, 2, 5, 4}, randomFloats(40, 6));
  std::vector<float> maskValues = randomFloats(15, 7, -2, 0);
  maskValues[4] = -INFINITY; // query 0 never sees key 4
  const HostTensor mask = makeF32({1, 1, 3, 5}, maskValues);
  const HostTensor out = runAttention(q, k, v, &mask, 0, -1, -1);
  const std::vector<double> maskD(maskValues.begin(), maskValues.end());
  expectNear(out.asDoubles(),
             attentionReference(q.asDoubles(), k.asDoubles(), v.asDoubles(), d, false, 0, &maskD),
             1e-5);

  // scale is used as given: doubling q with half the scale changes nothing.
  std::vector<float> doubled = q.values<float>();
  for (float &x : doubled)
    x *= 2;
  const HostTensor q2 = makeF32({1, 2, 3, 4}, doubled);
  HostTensor scaled(AWQ_F32, {1, 2, 3, 4});
  ASSERT_EQ(awq_attention(q2.get(), k.get(), v.get(), mask.get(), 0.25f, 0, -1, -1,
                          AWQ_HEADS_BHSD, scaled.get()),
            0);
  expectNear(scaled.asDoubles(), out.asDoubles(), 1e-5);
}

// 16 queries or more take the blocked path (sgemm per block of rows of the
// query heads sharing a kv head). 70 queries x 4 heads per kv head = 280 rows:
// two blocks of at most 256, the second starting inside a head.
TEST(Attention, ManyQueriesBlockedPathMatchesReference) {
  {
    // Causal, continuing after 10 cached positions.
    const Dims d{1, 8, 2, 70, 80, 16};
    const HostTensor q = makeF32({d.b, d.hq, d.s, d.d}, randomFloats(d.b * d.hq * d.s * d.d, 11));
    const HostTensor k = makeF32({d.b, d.hkv, d.t, d.d}, randomFloats(d.b * d.hkv * d.t * d.d, 12));
    const HostTensor v = makeF32({d.b, d.hkv, d.t, d.d}, randomFloats(d.b * d.hkv * d.t * d.d, 13));
    const HostTensor out = runAttention(q, k, v, nullptr, 1, 10, -1);
    // As above: f32 rounding of length-16 dots and of 80-term sums, ~1e-6.
    expectNear(out.asDoubles(),
               attentionReference(q.asDoubles(), k.asDoubles(), v.asDoubles(), d, true, 10, nullptr),
               1e-5);
  }
  {
    // Non-causal with an additive [S, T] mask, some keys -inf; then the same
    // with query 3 masked entirely: its rows are zeros, the others unchanged.
    const Dims d{2, 4, 1, 70, 70, 8};
    const HostTensor q = makeF32({d.b, d.hq, d.s, d.d}, randomFloats(d.b * d.hq * d.s * d.d, 14));
    const HostTensor k = makeF32({d.b, d.hkv, d.t, d.d}, randomFloats(d.b * d.hkv * d.t * d.d, 15));
    const HostTensor v = makeF32({d.b, d.hkv, d.t, d.d}, randomFloats(d.b * d.hkv * d.t * d.d, 16));
    std::vector<float> maskValues = randomFloats(d.s * d.t, 17, -2, 0);
    for (int64_t i = 0; i < d.s; ++i)
      maskValues[i * d.t + (i * 7) % d.t] = -INFINITY;
    const HostTensor mask = makeF32({d.s, d.t}, maskValues);
    const HostTensor out = runAttention(q, k, v, &mask, 0, -1, -1);
    const std::vector<double> maskD(maskValues.begin(), maskValues.end());
    const std::vector<double> expected =
        attentionReference(q.asDoubles(), k.asDoubles(), v.asDoubles(), d, false, 0, &maskD);
    expectNear(out.asDoubles(), expected, 1e-5);

    for (int64_t j = 0; j < d.t; ++j)
      maskValues[3 * d.t + j] = -INFINITY;
    const HostTensor hidden = makeF32({d.s, d.t}, maskValues);
    const std::vector<double> masked = runAttention(q, k, v, &hidden, 0, -1, -1).asDoubles();
    const std::vector<double> before = out.asDoubles();
    for (int64_t row = 0; row < d.b * d.hq * d.s; ++row)
      for (int64_t c = 0; c < d.d; ++c) {
        const size_t at = static_cast<size_t>(row * d.d + c);
        if (row % d.s == 3)
          EXPECT_EQ(masked[at], 0.0) << "row " << row;
        else
          EXPECT_EQ(masked[at], before[at]) << "row " << row;
      }
  }
}

// HF's causal mask with the most negative float (not -inf): the blocked path
// stops each block's products at the last key a row leaves unmasked, which
// must not change any value; a row masked everywhere (finite fill) still
// averages over all of its keys, as the graph's Softmax would.
TEST(Attention, BlockedPathSkipsKeysTheMaskAbsorbs) {
  const Dims d{1, 2, 2, 300, 300, 8}; // 300 rows per head: blocks of 256 + 44
  const float lowest = std::numeric_limits<float>::lowest();
  const HostTensor q = makeF32({d.b, d.hq, d.s, d.d}, randomFloats(d.b * d.hq * d.s * d.d, 18));
  const HostTensor k = makeF32({d.b, d.hkv, d.t, d.d}, randomFloats(d.b * d.hkv * d.t * d.d, 19));
  const HostTensor v = makeF32({d.b, d.hkv, d.t, d.d}, randomFloats(d.b * d.hkv * d.t * d.d, 20));
  std::vector<float> maskValues(static_cast<size_t>(d.s * d.t));
  for (int64_t i = 0; i < d.s; ++i)
    for (int64_t j = 0; j < d.t; ++j)
      maskValues[i * d.t + j] = j <= i ? 0.0f : lowest;
  for (int64_t j = 0; j < d.t; ++j)
    maskValues[5 * d.t + j] = lowest; // query 5 sees nothing unmasked
  const HostTensor mask = makeF32({d.s, d.t}, maskValues);
  const std::vector<double> out = runAttention(q, k, v, &mask, 0, -1, -1).asDoubles();
  const std::vector<double> maskD(maskValues.begin(), maskValues.end());
  // The reference adds the mask in double: finfo.min swallows the score there
  // too, so query 5 averages every value of its head uniformly.
  expectNear(out, attentionReference(q.asDoubles(), k.asDoubles(), v.asDoubles(), d, false, 0, &maskD),
             1e-5);
  // And the same as the causal flag, without a mask, except for query 5.
  const std::vector<double> causal = runAttention(q, k, v, nullptr, 1, 0, -1).asDoubles();
  for (size_t at = 0; at < out.size(); ++at)
    if ((static_cast<int64_t>(at) / d.d) % d.s != 5)
      ASSERT_NEAR(out[at], causal[at], 1e-6) << at;
}

TEST(Attention, IncrementalDecodeWithKvCacheEqualsFullSequence) {
  // Prefill 5 tokens, then decode 4 tokens one at a time through a cache of
  // capacity 12; every decoded row must equal the matching row of causal
  // attention over the whole 9-token sequence.
  const int64_t b = 1, hq = 4, hkv = 2, total = 9, prefill = 5, dim = 8, capacity = 12;
  const HostTensor q = makeF32({b, hq, total, dim}, randomFloats(b * hq * total * dim, 8));
  const HostTensor k = makeF32({b, hkv, total, dim}, randomFloats(b * hkv * total * dim, 9));
  const HostTensor v = makeF32({b, hkv, total, dim}, randomFloats(b * hkv * total * dim, 10));
  const HostTensor full = runAttention(q, k, v, nullptr, 1, -1, -1);

  HostTensor kCache(AWQ_F32, {b, hkv, capacity, dim}), vCache(AWQ_F32, {b, hkv, capacity, dim});
  // Slices of positions [first, first + count) of a [B, H, S, D] tensor.
  auto positions = [](const HostTensor &t, int64_t first, int64_t count) {
    const Shape s = t.shape();
    const int64_t starts[] = {first}, ends[] = {first + count}, axes[] = {2};
    awq_tensor desc{};
    EXPECT_EQ(awq_slice_shape(t.get(), starts, ends, axes, nullptr, 1, &desc), 0);
    HostTensor out = HostTensor::like(desc);
    EXPECT_EQ(awq_slice(t.get(), starts, ends, axes, nullptr, 1, out.get()), 0);
    return out;
  };

  int64_t cached = 0;
  for (int64_t step = prefill; step <= total; ++step) {
    const int64_t first = step == prefill ? 0 : step - 1;
    const int64_t count = step - first; // prefill chunk, then single tokens
    if (step == prefill)
      ASSERT_EQ(count, prefill);
    ASSERT_EQ(awq_kv_cache_append(kCache.get(), positions(k, first, count).get(), cached), 0)
        << awq_last_error();
    ASSERT_EQ(awq_kv_cache_append(vCache.get(), positions(v, first, count).get(), cached), 0);
    cached += count;
    const HostTensor qStep = positions(q, first, count);
    // The whole cache is passed; kv_len marks the valid prefix.
    const HostTensor out = runAttention(qStep, kCache, vCache, nullptr, 1, first, cached);
    const HostTensor expected = positions(full, first, count);
    SCOPED_TRACE("step " + std::to_string(step));
    expectNear(out.asDoubles(), expected.asDoubles(), 1e-6);
  }
}

TEST(Attention, Errors) {
  const HostTensor q = makeF32({1, 3, 2, 4}, std::vector<float>(24, 0));
  const HostTensor k = makeF32({1, 2, 2, 4}, std::vector<float>(16, 0));
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_attention_shape(q.get(), k.get(), k.get(), nullptr, 0, 1, -1, -1,
                                      AWQ_HEADS_BHSD, &desc),
                  "awq_attention_shape", "multiple of key/value heads");
  const HostTensor q2 = makeF32({1, 2, 2, 5}, std::vector<float>(20, 0));
  EXPECT_OP_ERROR(awq_attention_shape(q2.get(), k.get(), k.get(), nullptr, 0, 1, -1, -1,
                                      AWQ_HEADS_BHSD, &desc),
                  "awq_attention_shape", "head dims differ");
  const HostTensor q3 = makeF32({1, 2, 2, 4}, std::vector<float>(16, 0));
  EXPECT_OP_ERROR(awq_attention_shape(q3.get(), k.get(), k.get(), nullptr, 0, 1, -1, 3,
                                      AWQ_HEADS_BHSD, &desc),
                  "awq_attention_shape", "kv_len");
  const HostTensor badMask = makeF32({3, 2}, std::vector<float>(6, 0));
  EXPECT_OP_ERROR(awq_attention_shape(q3.get(), k.get(), k.get(), badMask.get(), 0, 1, -1, -1,
                                      AWQ_HEADS_BHSD, &desc),
                  "awq_attention_shape", "mask");
  EXPECT_OP_ERROR(awq_attention_shape(q3.get(), k.get(), k.get(), nullptr, 0, 1, -1, -1,
                                      static_cast<awq_head_layout>(7), &desc),
                  "awq_attention_shape", "unknown query layout 7");
  HostTensor cache(AWQ_F32, {1, 2, 3, 4});
  EXPECT_OP_ERROR(awq_kv_cache_append(cache.get(), k.get(), 2), "awq_kv_cache_append",
                  "capacity");
}
