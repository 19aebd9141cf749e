// Attention.cpp - scaled dot-product attention (causal, GQA, KV cache) and cache append.
#include "Kernels.h"
#include "RuntimeInternal.h"
#include "Sgemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace awq::rt;

namespace {

struct AttentionDims {
  int64_t batch, queryHeads, kvHeads, queries, keys, headDim, valueDim;
  int64_t kvLen;   // valid keys (<= keys)
  int64_t pastLen; // absolute position of query 0
  bool sequenceFirst; // q and out are [B, S, H, D]

  // Element offsets of query i of head h in batch b, in q (per D) and in
  // out (per Dv).
  int64_t queryRow(int64_t b, int64_t h, int64_t i) const {
    return sequenceFirst ? (b * queries + i) * queryHeads + h : (b * queryHeads + h) * queries + i;
  }
};

AttentionDims attentionShape(const awq_tensor *q, const awq_tensor *k, const awq_tensor *v,
                             const awq_tensor *mask, int64_t pastLen, int64_t kvLen,
                             awq_head_layout queryLayout, awq_tensor *out) {
  checkDescriptor(q, "query");
  checkDescriptor(k, "key");
  checkDescriptor(v, "value");
  checkDtype(q, "query", AWQ_F32);
  checkDtype(k, "key", AWQ_F32);
  checkDtype(v, "value", AWQ_F32);
  checkRank(q, "query", 4);
  checkRank(k, "key", 4);
  checkRank(v, "value", 4);
  if (queryLayout != AWQ_HEADS_BHSD && queryLayout != AWQ_HEADS_BSHD)
    raise("unknown query layout %d", static_cast<int>(queryLayout));
  const bool sequenceFirst = queryLayout == AWQ_HEADS_BSHD;
  AttentionDims d{q->shape[0],  sequenceFirst ? q->shape[2] : q->shape[1],
                  k->shape[1],  sequenceFirst ? q->shape[1] : q->shape[2],
                  k->shape[2],  q->shape[3],
                  v->shape[3],  0,
                  0,            sequenceFirst};
  if (k->shape[0] != d.batch || v->shape[0] != d.batch)
    raise("batch sizes differ: query %s, key %s, value %s", shapeString(q).c_str(),
          shapeString(k).c_str(), shapeString(v).c_str());
  if (k->shape[3] != d.headDim)
    raise("head dims differ: query %s, key %s", shapeString(q).c_str(), shapeString(k).c_str());
  if (v->shape[1] != d.kvHeads || v->shape[2] != d.keys)
    raise("key %s and value %s disagree on heads or length", shapeString(k).c_str(),
          shapeString(v).c_str());
  if (d.kvHeads == 0 || d.queryHeads % d.kvHeads != 0)
    raise("query heads (%lld) must be a multiple of key/value heads (%lld)",
          static_cast<long long>(d.queryHeads), static_cast<long long>(d.kvHeads));
  d.kvLen = kvLen < 0 ? d.keys : kvLen;
  if (d.kvLen > d.keys)
    raise("kv_len %lld exceeds the key length %lld", static_cast<long long>(kvLen),
          static_cast<long long>(d.keys));
  d.pastLen = pastLen < 0 ? d.kvLen - d.queries : pastLen;
  if (d.pastLen < 0)
    raise("%lld queries but only %lld valid keys; pass past_len explicitly",
          static_cast<long long>(d.queries), static_cast<long long>(d.kvLen));
  if (mask) {
    checkDescriptor(mask, "mask");
    checkDtype(mask, "mask", AWQ_F32);
    // Over the valid keys (a cache passed whole with kv_len) or all of them.
    const int64_t maskKeys =
        mask->rank >= 1 && mask->shape[mask->rank - 1] == d.kvLen ? d.kvLen : d.keys;
    const Shape full{d.batch, d.queryHeads, d.queries, maskKeys};
    if (mask->rank > 4 || broadcastShapes(shapeOf(mask), full, "mask", "scores") != full)
      raise("mask %s does not broadcast to [B, Hq, S, T] = %s", shapeString(mask).c_str(),
            shapeString(full).c_str());
  }
  if (sequenceFirst)
    setOutput(out, AWQ_F32, {d.batch, d.queries, d.queryHeads, d.valueDim});
  else
    setOutput(out, AWQ_F32, {d.batch, d.queryHeads, d.queries, d.valueDim});
  return d;
}

// Strides of the mask over [B, Hq, S, T]; 0 on broadcast axes.
struct MaskStrides {
  int64_t b = 0, h = 0, s = 0, t = 0;
};

MaskStrides maskStrides(const awq_tensor *mask) {
  int64_t aligned[4] = {1, 1, 1, 1}, strides[4] = {0, 0, 0, 0};
  for (int32_t i = 0; i < mask->rank; ++i)
    aligned[4 - mask->rank + i] = mask->shape[i];
  int64_t stride = 1;
  for (int i = 3; i >= 0; --i) {
    strides[i] = aligned[i] == 1 ? 0 : stride;
    stride *= aligned[i];
  }
  return {strides[0], strides[1], strides[2], strides[3]};
}

// One query row's probabilities: scores[j] for j < visible (the unscaled dot
// products) become softmax weights of scale * score + mask, the rest zeros.
// `logits` is scratch of at least `visible` floats: the softmax reads it and
// writes `scores`, since in place its loops would not vectorize (aliasing).
// Returns false when no key is visible (every logit -inf).
bool softmaxRow(float *scores, float *logits, int64_t keys, int64_t visible, float scale,
                const float *maskRow, int64_t maskStride) {
  if (maskRow)
    for (int64_t j = 0; j < visible; ++j)
      logits[j] = scale * scores[j] + maskRow[j * maskStride];
  else
    for (int64_t j = 0; j < visible; ++j)
      logits[j] = scale * scores[j];
  std::fill(scores + visible, scores + keys, 0.0f);
  return softmaxContiguousF32(logits, scores, visible);
}

// Prefill: many queries per head. The query heads that share a kv head are
// adjacent in q ([B, Hq, S, D]), so their rows form one [group * S, D] matrix
// against that kv head's keys: per block of rows, scores = Q K^T and
// out = P V are two sgemm calls (OpenBLAS threads them), with the softmax of
// the rows in between. The per-row loop below reads every key once per query
// and does not block for the cache, which made a 1024-token prefill 1.4x
// slower than the MatMul / Softmax / MatMul graph it replaces.
constexpr int64_t kBlockedMinQueries = 16;
constexpr int64_t kQueryRowsPerBlock = 256;

// A mask value at or below this absorbs any score (score + mask rounds to
// within one float step of the mask, 7.5e22 apart near 1e30), so such a key
// weighs exactly 0 next to any key above it: fastExp underflows to 0, as in
// the MatMul / Softmax / MatMul graph. Exporters mask with the most negative
// float (or -inf).
constexpr float kAbsorbingMask = -1e30f;

// Where the rows of one prefill block stop reading keys: past the causal
// limit, and past the last key any row's mask leaves visible. A row whose
// every key is masked out that way (finite fill) softmaxes over all of its
// masked scores, so then every key is read.
struct BlockRow {
  int64_t i, h, visible;
  const float *maskRow;
};

int64_t blockColumns(const std::vector<BlockRow> &rows, int64_t maskStride) {
  int64_t columns = 0;
  for (const BlockRow &row : rows) {
    int64_t last = row.visible;
    if (row.maskRow) {
      while (last > 0 && row.maskRow[(last - 1) * maskStride] <= kAbsorbingMask)
        --last;
      if (last == 0) // nothing unmasked: the row needs all of its keys
        last = row.visible;
    }
    columns = std::max(columns, last);
  }
  return columns;
}

// The rows of one (batch, kv head) as one [group * S, D] matrix whose rows
// lie queryStride() apart (results resultStride() apart): q's own rows in
// [B, H, S, D] (D apart), or in [B, S, H, D] with one query head per kv head
// (H * D apart). With grouped-query heads in [B, S, H, D] they are copied
// together first (and the results copied back). Either way the sgemm calls
// cover the same rows as for [B, H, S, D], so both layouts give the same bits.
struct GroupRows {
  const AttentionDims &d;
  int64_t group;
  bool copied; // rows gathered into `queries`, results scattered from `results`
  std::vector<float> queries, results;

  explicit GroupRows(const AttentionDims &dims)
      : d(dims), group(dims.queryHeads / dims.kvHeads),
        copied(dims.sequenceFirst && group > 1),
        queries(copied ? group * dims.queries * dims.headDim : 0),
        results(copied ? group * dims.queries * dims.valueDim : 0) {}

  // Elements between consecutive rows of the query and result matrices.
  int64_t queryStride() const {
    return d.sequenceFirst && !copied ? d.queryHeads * d.headDim : d.headDim;
  }
  int64_t resultStride() const {
    return d.sequenceFirst && !copied ? d.queryHeads * d.valueDim : d.valueDim;
  }

  const float *gatherQueries(const float *q, int64_t b, int64_t kvHead) {
    const int64_t firstHead = kvHead * group;
    if (!copied)
      return q + d.queryRow(b, firstHead, 0) * d.headDim;
    for (int64_t g = 0; g < group; ++g)
      for (int64_t i = 0; i < d.queries; ++i)
        std::memcpy(queries.data() + (g * d.queries + i) * d.headDim,
                    q + d.queryRow(b, firstHead + g, i) * d.headDim,
                    static_cast<size_t>(d.headDim) * sizeof(float));
    return queries.data();
  }
  float *resultRows(float *out, int64_t b, int64_t kvHead) {
    return copied ? results.data() : out + d.queryRow(b, kvHead * group, 0) * d.valueDim;
  }
  void scatterResults(float *out, int64_t b, int64_t kvHead) const {
    if (!copied)
      return;
    for (int64_t g = 0; g < group; ++g)
      for (int64_t i = 0; i < d.queries; ++i)
        std::memcpy(out + d.queryRow(b, kvHead * group + g, i) * d.valueDim,
                    results.data() + (g * d.queries + i) * d.valueDim,
                    static_cast<size_t>(d.valueDim) * sizeof(float));
  }
};

void attentionBlocked(const AttentionDims &d, const float *q, const float *k, const float *v,
                      const awq_tensor *mask, float scale, bool causal, float *out) {
  const int64_t group = d.queryHeads / d.kvHeads;
  const MaskStrides ms = mask ? maskStrides(mask) : MaskStrides{};
  const float *maskData = mask ? static_cast<const float *>(mask->data) : nullptr;
  const int64_t rows = group * d.queries; // per (batch, kv head)
  std::vector<float> scores(static_cast<size_t>(std::min(rows, kQueryRowsPerBlock) * d.kvLen));
  std::vector<BlockRow> block;
  GroupRows groupRows(d);
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t kvHead = 0; kvHead < d.kvHeads; ++kvHead) {
      const float *keys = k + (b * d.kvHeads + kvHead) * d.keys * d.headDim;
      const float *values = v + (b * d.kvHeads + kvHead) * d.keys * d.valueDim;
      const float *queryRows = groupRows.gatherQueries(q, b, kvHead);
      float *resultRows = groupRows.resultRows(out, b, kvHead);
      for (int64_t begin = 0; begin < rows; begin += kQueryRowsPerBlock) {
        const int64_t count = std::min(kQueryRowsPerBlock, rows - begin);
        block.clear();
        for (int64_t row = begin; row < begin + count; ++row) {
          const int64_t i = row % d.queries, h = kvHead * group + row / d.queries;
          const int64_t visible =
              causal ? std::min(d.kvLen, std::max<int64_t>(0, d.pastLen + i + 1)) : d.kvLen;
          block.push_back(
              {i, h, visible, maskData ? maskData + b * ms.b + h * ms.h + i * ms.s : nullptr});
        }
        // Causal prefill reads about half the keys, block by block.
        const int64_t columns = blockColumns(block, ms.t);
        if (columns > 0)
          sgemmF32(/*transB=*/true, count, columns, d.headDim,
                   queryRows + begin * groupRows.queryStride(), groupRows.queryStride(), keys,
                   d.headDim, 0.0f, scores.data(), d.kvLen);
        parallelFor(count, 1, [&](int64_t rowBegin, int64_t rowEnd) {
          std::vector<float> logits(static_cast<size_t>(d.kvLen));
          for (int64_t r = rowBegin; r < rowEnd; ++r) {
            const BlockRow &row = block[static_cast<size_t>(r)];
            const int64_t visible = std::min(row.visible, columns);
            float *p = scores.data() + r * d.kvLen;
            if (!softmaxRow(p, logits.data(), columns, visible, scale, row.maskRow, ms.t))
              std::fill(p, p + visible, 0.0f);
          }
        });
        if (columns > 0)
          sgemmF32(/*transB=*/false, count, d.valueDim, columns, scores.data(), d.kvLen, values,
                   d.valueDim, 0.0f, resultRows + begin * groupRows.resultStride(),
                   groupRows.resultStride());
        else
          for (int64_t row = begin; row < begin + count; ++row)
            std::fill_n(resultRows + row * groupRows.resultStride(), d.valueDim, 0.0f);
      }
      groupRows.scatterResults(out, b, kvHead);
    }
}

void attentionCompute(const AttentionDims &d, const float *q, const float *k, const float *v,
                      const awq_tensor *mask, float scale, bool causal, float *out) {
  if (d.queries >= kBlockedMinQueries && d.kvLen > 0)
    return attentionBlocked(d, q, k, v, mask, scale, causal, out);
  const int64_t group = d.queryHeads / d.kvHeads;
  const MaskStrides ms = mask ? maskStrides(mask) : MaskStrides{};
  const float *maskData = mask ? static_cast<const float *>(mask->data) : nullptr;
  const int64_t rows = d.batch * d.queryHeads * d.queries;
  // One row = one query of one head; rows of a head are adjacent, so a
  // thread's chunk keeps that head's keys and values hot in cache.
  parallelFor(rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(static_cast<size_t>(d.kvLen)), logits(scores.size());
    for (int64_t row = begin; row < end; ++row) {
      const int64_t i = row % d.queries;
      const int64_t h = (row / d.queries) % d.queryHeads;
      const int64_t b = row / (d.queries * d.queryHeads);
      const int64_t kvHead = h / group;
      const int64_t queryRow = d.queryRow(b, h, i);
      const float *query = q + queryRow * d.headDim;
      const float *keys = k + (b * d.kvHeads + kvHead) * d.keys * d.headDim;
      const float *values = v + (b * d.kvHeads + kvHead) * d.keys * d.valueDim;
      const float *maskRow = maskData ? maskData + b * ms.b + h * ms.h + i * ms.s : nullptr;
      float *result = out + queryRow * d.valueDim;
      std::fill(result, result + d.valueDim, 0.0f);

      const int64_t visible = causal ? std::min(d.kvLen, std::max<int64_t>(0, d.pastLen + i + 1))
                                     : d.kvLen;
      for (int64_t j = 0; j < visible; ++j)
        scores[j] = dotF32(query, keys + j * d.headDim, d.headDim);
      if (!softmaxRow(scores.data(), logits.data(), d.kvLen, visible, scale, maskRow, ms.t))
        continue; // no visible key: the row stays zero
      for (int64_t j = 0; j < visible; ++j)
        if (scores[j] != 0.0f)
          axpyF32(scores[j], values + j * d.valueDim, result, d.valueDim);
    }
  });
}

} // namespace

extern "C" {

awq_status awq_attention_shape(const awq_tensor *q, const awq_tensor *k, const awq_tensor *v,
                               const awq_tensor *mask, float /*scale*/, int /*causal*/,
                               int64_t past_len, int64_t kv_len, awq_head_layout query_layout,
                               awq_tensor *out) {
  return guard("awq_attention_shape",
               [&] { attentionShape(q, k, v, mask, past_len, kv_len, query_layout, out); });
}

awq_status awq_attention(const awq_tensor *q, const awq_tensor *k, const awq_tensor *v,
                         const awq_tensor *mask, float scale, int causal, int64_t past_len,
                         int64_t kv_len, awq_head_layout query_layout, awq_tensor *out) {
  return guard("awq_attention", [&] {
    checkData(q, "query");
    checkData(k, "key");
    checkData(v, "value");
    if (mask)
      checkData(mask, "mask");
    awq_tensor expected{};
    const AttentionDims d =
        attentionShape(q, k, v, mask, past_len, kv_len, query_layout, &expected);
    checkOutput(expected, out);
    const float effectiveScale =
        scale > 0.0f ? scale : static_cast<float>(1.0 / std::sqrt(static_cast<double>(d.headDim)));
    attentionCompute(d, static_cast<const float *>(q->data), static_cast<const float *>(k->data),
                     static_cast<const float *>(v->data), mask, effectiveScale, causal != 0,
                     static_cast<float *>(out->data));
  });
}

awq_status awq_kv_cache_append(awq_tensor *cache, const awq_tensor *update, int64_t offset) {
  return guard("awq_kv_cache_append", [&] {
    checkData(cache, "cache");
    checkData(update, "update");
    checkRank(cache, "cache", 4);
    checkRank(update, "update", 4);
    if (cache->dtype != update->dtype)
      raise("cache is %s but update is %s", awq_dtype_name(cache->dtype),
            awq_dtype_name(update->dtype));
    if (cache->shape[0] != update->shape[0] || cache->shape[1] != update->shape[1] ||
        cache->shape[3] != update->shape[3])
      raise("update %s does not match cache %s in batch, heads or head dim",
            shapeString(update).c_str(), shapeString(cache).c_str());
    const int64_t capacity = cache->shape[2], steps = update->shape[2];
    if (offset < 0 || offset + steps > capacity)
      raise("positions [%lld, %lld) do not fit the cache capacity %lld",
            static_cast<long long>(offset), static_cast<long long>(offset + steps),
            static_cast<long long>(capacity));
    const size_t element = awq_dtype_size(cache->dtype);
    const int64_t rowBytes = cache->shape[3] * static_cast<int64_t>(element);
    const int64_t heads = cache->shape[0] * cache->shape[1];
    auto *dst = static_cast<char *>(cache->data);
    const auto *src = static_cast<const char *>(update->data);
    for (int64_t head = 0; head < heads; ++head)
      std::memcpy(dst + (head * capacity + offset) * rowBytes, src + head * steps * rowBytes,
                  static_cast<size_t>(steps * rowBytes));
  });
}

} // extern "C"
