// DecoderAttention.cu - the KV cache append and causal attention over the
// cache (prefill and decode, GQA). Both read past_len from device memory, so
// a captured CUDA graph replays unchanged for every decode step.
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
// One block per (batch, query, head) row of q. Its threads form groups of
// kLanesPerKey lanes; each step a group takes one key (kKeysPerStep keys per
// block per step), its lanes splitting head_dim, and keeps an online softmax
// (running max, running sum, weighted sum of values) over the keys it saw.
// The groups' partial states are merged through shared memory at the end.

constexpr int kAttentionThreads = 256;
constexpr int kLanesPerKey = 8;
constexpr int kKeysPerStep = kAttentionThreads / kLanesPerKey;
constexpr int kMaxHeadDim = 256;

template <class T, int kDimsPerLane>
__global__ void __launch_bounds__(kAttentionThreads)
    attentionKernel(const T *q, const T *kCache, const T *vCache, int64_t qLen, int64_t heads,
                    int64_t kvHeads, int64_t headDim, int64_t capacity, const int32_t *pastLen,
                    float scale, T *out) {
  static_assert(kDimsPerLane * kLanesPerKey <= kMaxHeadDim, "partials hold kMaxHeadDim dims");
  __shared__ float partialMax[kKeysPerStep];
  __shared__ float partialSum[kKeysPerStep];
  __shared__ float partialValues[kKeysPerStep][kMaxHeadDim];

  const int64_t row = blockIdx.x; // (b * qLen + i) * heads + h
  const int64_t h = row % heads;
  const int64_t i = (row / heads) % qLen;
  const int64_t b = row / (heads * qLen);
  const int64_t kvHead = h / (heads / kvHeads);
  const int group = threadIdx.x / kLanesPerKey;
  const int lane = threadIdx.x % kLanesPerKey;

  // Causal: query i sits at position past_len + i; the cache holds at most
  // `capacity` of the positions (the rest were dropped on append).
  const int64_t visible =
      min(capacity, max(static_cast<int64_t>(0), static_cast<int64_t>(pastLen[b]) + i + 1));
  const T *query = q + row * headDim;
  const T *keys = kCache + (b * kvHeads + kvHead) * capacity * headDim;
  const T *values = vCache + (b * kvHeads + kvHead) * capacity * headDim;

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
  // steps and the full-warp shuffles below stay converged.
  for (int64_t first = 0; first < visible; first += kKeysPerStep) {
    const int64_t j = first + group;
    const bool active = j < visible;
    float dot = 0.0f;
    if (active) {
      const T *key = keys + j * headDim;
#pragma unroll
      for (int e = 0; e < kDimsPerLane; ++e) {
        const int64_t d = lane + static_cast<int64_t>(e) * kLanesPerKey;
        if (d < headDim)
          dot += queryPart[e] * toFloat(key[d]);
      }
    }
    // xor offsets below kLanesPerKey stay inside the group.
#pragma unroll
    for (int offset = kLanesPerKey / 2; offset > 0; offset /= 2)
      dot += __shfl_xor_sync(0xffffffffu, dot, offset);
    if (active) {
      const float score = scale * dot;
      const float newMax = fmaxf(runningMax, score);
      const float rescale = expf(runningMax - newMax); // 0 for the group's first key
      const float weight = expf(score - newMax);
      runningSum = runningSum * rescale + weight;
      const T *value = values + j * headDim;
#pragma unroll
      for (int e = 0; e < kDimsPerLane; ++e) {
        const int64_t d = lane + static_cast<int64_t>(e) * kLanesPerKey;
        if (d < headDim)
          valueSum[e] = valueSum[e] * rescale + weight * toFloat(value[d]);
      }
      runningMax = newMax;
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
  T *result = out + row * headDim;
  if (blockMax == -INFINITY) { // no visible key (past_len < 0): zeros, as the CPU op
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

template <class T, int kDimsPerLane>
void launchAttention(unsigned blocks, cudaStream_t stream, const void *q, const void *kCache,
                     const void *vCache, int64_t qLen, int64_t heads, int64_t kvHeads,
                     int64_t headDim, int64_t capacity, const int32_t *pastLen, float scale,
                     void *out) {
  attentionKernel<T, kDimsPerLane><<<blocks, kAttentionThreads, 0, stream>>>(
      static_cast<const T *>(q), static_cast<const T *>(kCache), static_cast<const T *>(vCache),
      qLen, heads, kvHeads, headDim, capacity, pastLen, scale, static_cast<T *>(out));
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
    requirePositive(batch, "batch");
    requirePositive(q_len, "q_len");
    requirePositive(heads, "heads");
    requirePositive(kv_heads, "kv_heads");
    requirePositive(head_dim, "head_dim");
    requirePositive(capacity, "capacity");
    if (head_dim > kMaxHeadDim)
      awq::rt::raise("head_dim %lld exceeds %d", static_cast<long long>(head_dim), kMaxHeadDim);
    if (heads % kv_heads != 0)
      awq::rt::raise("heads (%lld) must be a multiple of kv_heads (%lld)",
                     static_cast<long long>(heads), static_cast<long long>(kv_heads));
    if (!std::isfinite(scale))
      awq::rt::raise("scale must be finite (%g given)", static_cast<double>(scale));
    requireHalfDtype(dtype);
    const unsigned blocks = gridX(batch * q_len * heads, "query rows");
    cudaStream_t cudaStream = asStream(stream);
    dispatchHalfDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      // Fewest registers that hold head_dim / kLanesPerKey dims per lane.
      if (head_dim <= 8 * kLanesPerKey)
        launchAttention<T, 8>(blocks, cudaStream, q, k_cache, v_cache, q_len, heads, kv_heads,
                              head_dim, capacity, past_len, scale, out);
      else if (head_dim <= 16 * kLanesPerKey)
        launchAttention<T, 16>(blocks, cudaStream, q, k_cache, v_cache, q_len, heads, kv_heads,
                               head_dim, capacity, past_len, scale, out);
      else
        launchAttention<T, 32>(blocks, cudaStream, q, k_cache, v_cache, q_len, heads, kv_heads,
                               head_dim, capacity, past_len, scale, out);
    });
    checkLaunch("attention");
  });
}
