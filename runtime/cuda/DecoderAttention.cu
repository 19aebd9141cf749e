// DecoderAttention.cu - the KV cache append and causal attention over the
// cache (prefill and decode, GQA), both reading past_len from device memory
// so a captured CUDA graph replays unchanged for every decode step; and the
// same attention kernel for a graph's awq.attention (an additive mask, no
// cache).
#include "DecoderArgs.cuh"

#include <algorithm>
#include <cmath>

using namespace awq::cuda;

namespace {

// ---- KV cache append --------------------------------------------------------

// Grid-stride over update[batch, new_tokens, kv_heads, head_dim]: reads are
// coalesced, writes are whole head_dim rows of the cache.
template <class T>
__global__ void kvCacheAppendKernel(T *cache, int64_t kvHeads, int64_t capacity, int64_t headDim,
                                    const T *update, int64_t newTokens, int64_t count,
                                    const int32_t *pastLen) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < count;
       e += stride) {
    const int64_t d = e % headDim;
    const int64_t h = (e / headDim) % kvHeads;
    const int64_t s = (e / (headDim * kvHeads)) % newTokens;
    const int64_t b = e / (headDim * kvHeads * newTokens);
    const int64_t position = static_cast<int64_t>(pastLen[b]) + s;
    if (position < 0 || position >= capacity) // beyond the cache: dropped
      continue;
    cache[((b * kvHeads + h) * capacity + position) * headDim + d] = update[e];
  }
}

// ---- Attention ----------------------------------------------------------------
//
// One block per (batch, head, query) row of q. Its threads form groups of
// kLanesPerKey lanes; each step a group takes one or two keys (kKeysPerStep
// groups per block), its lanes splitting head_dim, and keeps an online softmax
// (running max, running sum, weighted sum of values) over the keys it saw.
// The groups' partial states are merged through shared memory at the end.
// Both entry points run this kernel: the decoder's (q [B, S, H, D], causal,
// past_len on the device) and a graph's awq.attention (q [B, H, S, D], an
// optional additive mask); they differ only in the arguments below.

constexpr int kAttentionThreads = 256;
constexpr int kLanesPerKey = 8;
constexpr int kKeysPerStep = kAttentionThreads / kLanesPerKey;
constexpr int kMaxHeadDim = AWQ_CUDA_ATTENTION_MAX_HEAD_DIM;

template <class T> struct AttentionArgs {
  const T *q, *k, *v;
  T *out;
  const T *mask; // additive, or null
  int64_t batch, heads, kvHeads, qLen, headDim;
  int64_t keys;  // rows of each k / v head (a cache's capacity)
  int64_t kvLen; // keys read: the first kvLen rows
  // Element strides of q and out over (b, h, i); each row's head_dim values
  // are contiguous.
  int64_t qStrideB, qStrideH, qStrideS, outStrideB, outStrideH, outStrideS;
  int64_t maskStrideB, maskStrideH, maskStrideS, maskStrideT; // 0 on broadcast axes
  // Causal (pastLen non-null): query i of batch item b sits at position
  // pastLen[b] + i and sees keys 0 .. pastLen[b] + i. pastLen lives on the
  // device, so a captured graph replays unchanged for every decode step.
  const int32_t *pastLen;
  float scale;
};

template <class T, int kDimsPerLane>
__global__ void __launch_bounds__(kAttentionThreads) attentionKernel(const AttentionArgs<T> args) {
  static_assert(kDimsPerLane * kLanesPerKey <= kMaxHeadDim, "partials hold kMaxHeadDim dims");
  __shared__ float partialMax[kKeysPerStep];
  __shared__ float partialSum[kKeysPerStep];
  __shared__ float partialValues[kKeysPerStep][kMaxHeadDim];

  const int64_t row = blockIdx.x; // (b * heads + h) * qLen + i
  const int64_t i = row % args.qLen;
  const int64_t h = (row / args.qLen) % args.heads;
  const int64_t b = row / (args.qLen * args.heads);
  const int64_t kvHead = h / (args.heads / args.kvHeads);
  const int64_t headDim = args.headDim;
  const int group = threadIdx.x / kLanesPerKey;
  const int lane = threadIdx.x % kLanesPerKey;

  int64_t visible = args.kvLen;
  if (args.pastLen)
    visible =
        min(visible, max(static_cast<int64_t>(0), static_cast<int64_t>(args.pastLen[b]) + i + 1));
  const T *query = args.q + b * args.qStrideB + h * args.qStrideH + i * args.qStrideS;
  const T *keys = args.k + (b * args.kvHeads + kvHead) * args.keys * headDim;
  const T *values = args.v + (b * args.kvHeads + kvHead) * args.keys * headDim;
  const T *maskRow =
      args.mask ? args.mask + b * args.maskStrideB + h * args.maskStrideH + i * args.maskStrideS
                : nullptr;

  // Lane `lane` owns dims lane, lane + kLanesPerKey, ...: a group's loads of
  // one key row are contiguous.
  float queryPart[kDimsPerLane], valueSum[kDimsPerLane];
#pragma unroll
  for (int e = 0; e < kDimsPerLane; ++e) {
    const int64_t d = lane + static_cast<int64_t>(e) * kLanesPerKey;
    queryPart[e] = d < headDim ? toFloat(query[d]) : 0.0f;
    valueSum[e] = 0.0f;
  }
  float runningMax = -INFINITY, runningSum = 0.0f;

  // `visible` is the same for the whole block, so every lane runs the same
  // steps and the full-warp shuffles below stay converged. Each step a group
  // takes kKeysPerGroup keys and loads their key and value rows together
  // before using any: a decode step's cache rows come from DRAM, so one load
  // latency per step of two keys replaces two per key (an H100 profile of
  // one key per step and the value loaded after the score: 18 us per layer
  // at 32 heads x 130 keys). head_dim > 128 takes one key: its registers.
  constexpr int kKeysPerGroup = kDimsPerLane > 16 ? 1 : 2;
  for (int64_t first = 0; first < visible; first += kKeysPerStep * kKeysPerGroup) {
    T keyPart[kKeysPerGroup][kDimsPerLane], valuePart[kKeysPerGroup][kDimsPerLane];
#pragma unroll
    for (int u = 0; u < kKeysPerGroup; ++u) {
      const int64_t j = first + u * kKeysPerStep + group;
      const bool active = j < visible;
      const T *key = keys + j * headDim;
      const T *value = values + j * headDim;
#pragma unroll
      for (int e = 0; e < kDimsPerLane; ++e) {
        const int64_t d = lane + static_cast<int64_t>(e) * kLanesPerKey;
        const bool load = active && d < headDim;
        keyPart[u][e] = load ? key[d] : fromFloat<T>(0.0f);
        valuePart[u][e] = load ? value[d] : fromFloat<T>(0.0f);
      }
    }
#pragma unroll
    for (int u = 0; u < kKeysPerGroup; ++u) {
      const int64_t j = first + u * kKeysPerStep + group;
      const bool active = j < visible;
      float dot = 0.0f;
#pragma unroll
      for (int e = 0; e < kDimsPerLane; ++e)
        dot += queryPart[e] * toFloat(keyPart[u][e]);
        // xor offsets below kLanesPerKey stay inside the group.
#pragma unroll
      for (int offset = kLanesPerKey / 2; offset > 0; offset /= 2)
        dot += __shfl_xor_sync(0xffffffffu, dot, offset);
      float score = args.scale * dot;
      if (active && maskRow)
        score += toFloat(maskRow[j * args.maskStrideT]);
      // A -inf score (masked out) has weight 0; skipping it also keeps
      // exp(-inf - -inf) out of a group that has seen nothing else.
      if (active && score != -INFINITY) {
        const float newMax = fmaxf(runningMax, score);
        const float rescale = expf(runningMax - newMax); // 0 for the group's first key
        const float weight = expf(score - newMax);
        runningSum = runningSum * rescale + weight;
#pragma unroll
        for (int e = 0; e < kDimsPerLane; ++e)
          valueSum[e] = valueSum[e] * rescale + weight * toFloat(valuePart[u][e]);
        runningMax = newMax;
      }
    }
  }

  // Merge the groups: rescale each to the block's max and add up.
  if (lane == 0) {
    partialMax[group] = runningMax;
    partialSum[group] = runningSum;
  }
#pragma unroll
  for (int e = 0; e < kDimsPerLane; ++e) {
    const int64_t d = lane + static_cast<int64_t>(e) * kLanesPerKey;
    if (d < headDim)
      partialValues[group][d] = valueSum[e];
  }
  __syncthreads();

  float blockMax = -INFINITY;
  for (int g = 0; g < kKeysPerStep; ++g)
    blockMax = fmaxf(blockMax, partialMax[g]);
  T *result = args.out + b * args.outStrideB + h * args.outStrideH + i * args.outStrideS;
  if (blockMax == -INFINITY) { // no visible key: zeros, as the CPU op
    for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x)
      result[d] = fromFloat<T>(0.0f);
    return;
  }
  float total = 0.0f;
  for (int g = 0; g < kKeysPerStep; ++g)
    total += partialSum[g] * expf(partialMax[g] - blockMax); // empty groups: -inf -> 0
  for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
    float sum = 0.0f;
    for (int g = 0; g < kKeysPerStep; ++g)
      sum += partialValues[g][d] * expf(partialMax[g] - blockMax);
    result[d] = fromFloat<T>(sum / total);
  }
}

// The fields both entry points set alike: tensors, dims, scale; k and v
// hold `keys` rows per head, all of them read.
template <class T>
AttentionArgs<T> makeAttentionArgs(const void *q, const void *k, const void *v, void *out,
                                   int64_t batch, int64_t heads, int64_t kvHeads, int64_t qLen,
                                   int64_t headDim, int64_t keys, float scale) {
  AttentionArgs<T> args{};
  args.q = static_cast<const T *>(q);
  args.k = static_cast<const T *>(k);
  args.v = static_cast<const T *>(v);
  args.out = static_cast<T *>(out);
  args.batch = batch;
  args.heads = heads;
  args.kvHeads = kvHeads;
  args.qLen = qLen;
  args.headDim = headDim;
  args.keys = args.kvLen = keys;
  args.scale = scale;
  return args;
}

// Checks the arguments both entry points share and launches one block per
// query row with the fewest registers that hold head_dim / kLanesPerKey dims
// per lane.
template <class T> void launchAttention(const AttentionArgs<T> &args, cudaStream_t stream) {
  requirePositive(args.batch, "batch");
  requirePositive(args.qLen, "q_len");
  requirePositive(args.heads, "heads");
  requirePositive(args.kvHeads, "kv_heads");
  requirePositive(args.headDim, "head_dim");
  requirePositive(args.keys, "capacity");
  if (args.headDim > kMaxHeadDim)
    awq::rt::raise("head_dim %lld exceeds %d", static_cast<long long>(args.headDim), kMaxHeadDim);
  if (args.heads % args.kvHeads != 0)
    awq::rt::raise("heads (%lld) must be a multiple of kv_heads (%lld)",
                   static_cast<long long>(args.heads), static_cast<long long>(args.kvHeads));
  if (!std::isfinite(args.scale))
    awq::rt::raise("scale must be finite (%g given)", static_cast<double>(args.scale));
  const unsigned blocks = gridX(args.batch * args.heads * args.qLen, "query rows");
  if (args.headDim <= 8 * kLanesPerKey)
    attentionKernel<T, 8><<<blocks, kAttentionThreads, 0, stream>>>(args);
  else if (args.headDim <= 16 * kLanesPerKey)
    attentionKernel<T, 16><<<blocks, kAttentionThreads, 0, stream>>>(args);
  else
    attentionKernel<T, 32><<<blocks, kAttentionThreads, 0, stream>>>(args);
  checkLaunch("attention");
}

} // namespace

extern "C" awq_status awq_cuda_kv_cache_append(void *cache, int64_t batch, int64_t kv_heads,
                                               int64_t capacity, int64_t head_dim,
                                               const void *update, int64_t new_tokens,
                                               const int32_t *past_len, int32_t dtype,
                                               void *stream) {
  return awq::rt::guard("awq_cuda_kv_cache_append", [&] {
    requireNonNull(cache, "cache");
    requireNonNull(update, "update");
    requireNonNull(past_len, "past_len");
    requirePositive(batch, "batch");
    requirePositive(kv_heads, "kv_heads");
    requirePositive(capacity, "capacity");
    requirePositive(head_dim, "head_dim");
    requirePositive(new_tokens, "new_tokens");
    requireHalfDtype(dtype);
    const int64_t count = batch * new_tokens * kv_heads * head_dim;
    constexpr int threads = 256;
    const unsigned blocks =
        static_cast<unsigned>(std::min<int64_t>(1 << 16, (count + threads - 1) / threads));
    dispatchHalfDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      kvCacheAppendKernel<T><<<blocks, threads, 0, asStream(stream)>>>(
          static_cast<T *>(cache), kv_heads, capacity, head_dim, static_cast<const T *>(update),
          new_tokens, count, past_len);
    });
    checkLaunch("kv_cache_append");
  });
}

extern "C" awq_status awq_cuda_attention(const void *q, const void *k_cache, const void *v_cache,
                                         int64_t batch, int64_t q_len, int64_t heads,
                                         int64_t kv_heads, int64_t head_dim, int64_t capacity,
                                         const int32_t *past_len, float scale, int32_t dtype,
                                         void *out, void *stream) {
  return awq::rt::guard("awq_cuda_attention", [&] {
    requireNonNull(q, "q");
    requireNonNull(k_cache, "k_cache");
    requireNonNull(v_cache, "v_cache");
    requireNonNull(past_len, "past_len");
    requireNonNull(out, "out");
    requireHalfDtype(dtype);
    dispatchHalfDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      // q and out [B, S, H, D]; the whole cache is readable, causality and
      // past_len (on the device) decide which rows are seen.
      AttentionArgs<T> args = makeAttentionArgs<T>(q, k_cache, v_cache, out, batch, heads, kv_heads,
                                                   q_len, head_dim, capacity, scale);
      args.qStrideB = args.outStrideB = q_len * heads * head_dim;
      args.qStrideS = args.outStrideS = heads * head_dim;
      args.qStrideH = args.outStrideH = head_dim;
      args.pastLen = past_len;
      launchAttention(args, asStream(stream));
    });
  });
}

extern "C" awq_status awq_cuda_attention_masked(const void *q, const void *k, const void *v,
                                                const void *mask, const int64_t *mask_strides,
                                                int64_t batch, int64_t heads, int64_t kv_heads,
                                                int64_t q_len, int64_t kv_len, int64_t kv_capacity,
                                                int64_t head_dim, awq_head_layout query_layout,
                                                float scale, int32_t dtype, void *out,
                                                void *stream) {
  return awq::rt::guard("awq_cuda_attention_masked", [&] {
    requireNonNull(q, "q");
    requireNonNull(k, "k");
    requireNonNull(v, "v");
    requireNonNull(out, "out");
    if (mask)
      requireNonNull(mask_strides, "mask_strides");
    requirePositive(kv_len, "kv_len");
    if (kv_capacity < kv_len)
      awq::rt::raise("kv_capacity %lld is below kv_len %lld", static_cast<long long>(kv_capacity),
                     static_cast<long long>(kv_len));
    if (query_layout != AWQ_HEADS_BHSD && query_layout != AWQ_HEADS_BSHD)
      awq::rt::raise("unknown query_layout %d", static_cast<int>(query_layout));
    requireFloatDtype(dtype);
    dispatchFloatDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      AttentionArgs<T> args = makeAttentionArgs<T>(q, k, v, out, batch, heads, kv_heads, q_len,
                                                   head_dim, kv_capacity, scale);
      args.kvLen = kv_len; // rows read of the kv_capacity each head holds
      args.mask = static_cast<const T *>(mask);
      args.qStrideB = args.outStrideB = heads * q_len * head_dim;
      if (query_layout == AWQ_HEADS_BSHD) { // q and out [B, S, H, D]
        args.qStrideS = args.outStrideS = heads * head_dim;
        args.qStrideH = args.outStrideH = head_dim;
      } else { // q and out [B, H, S, D]
        args.qStrideH = args.outStrideH = q_len * head_dim;
        args.qStrideS = args.outStrideS = head_dim;
      }
      if (mask) {
        args.maskStrideB = mask_strides[0];
        args.maskStrideH = mask_strides[1];
        args.maskStrideS = mask_strides[2];
        args.maskStrideT = mask_strides[3];
      }
      launchAttention(args, asStream(stream));
    });
  });
}
