// GroupDequantize.cu - W' in the activation dtype, for large prefill: past a
// few hundred rows the matmul is compute-bound, and cuBLAS on a dequantized
// copy beats any fused kernel here. One thread per 32-bit word of codes.
#include "GroupMatmulKernels.cuh"

namespace awq::cuda {
namespace {

template <class T, int BITS>
__global__ void groupDequantizeKernel(GroupWeightsView weights, T *__restrict__ out) {
  constexpr int kInputsPerWord = 32 / BITS;
  const int64_t wordsPerRow = weights.kPadded / kInputsPerWord;
  const int64_t word = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (word >= weights.n * wordsPerRow)
    return;
  const int64_t row = word / wordsPerRow;
  const int64_t k0 = (word % wordsPerRow) * kInputsPerWord;
  const uint32_t codeWord = reinterpret_cast<const uint32_t *>(weights.codes)[word];
  const int64_t groupIndex = row * weights.groups + k0 / weights.groupSize;
  const float scale = toFloat(static_cast<const T *>(weights.scales)[groupIndex]);
  const __half2 bias = zeroBias(weights.zeros ? weights.zeros[groupIndex] : 1 << (BITS - 1));
  float codeMinusZero[kInputsPerWord];
  if (BITS == 4)
    dequantizeWord4(codeWord, bias, codeMinusZero);
  else
    dequantizeWord8(codeWord, bias, codeMinusZero);
#pragma unroll
  for (int j = 0; j < kInputsPerWord; ++j)
    if (k0 + j < weights.k)
      out[row * weights.k + k0 + j] = fromFloat<T>(codeMinusZero[j] * scale);
}

} // namespace

template <class T>
void launchGroupDequantize(const GroupWeightsView &weights, T *out, cudaStream_t stream) {
  const int64_t words = weights.n * weights.kPadded * weights.bits / 32;
  if (words == 0)
    return;
  constexpr int kThreads = 256;
  const unsigned blocks = ceilDiv(words, kThreads);
  if (weights.bits == 4)
    groupDequantizeKernel<T, 4><<<blocks, kThreads, 0, stream>>>(weights, out);
  else
    groupDequantizeKernel<T, 8><<<blocks, kThreads, 0, stream>>>(weights, out);
  checkLaunch("group dequantize");
}

template void launchGroupDequantize<__half>(const GroupWeightsView &, __half *, cudaStream_t);
template void launchGroupDequantize<__nv_bfloat16>(const GroupWeightsView &, __nv_bfloat16 *,
                                                   cudaStream_t);

} // namespace awq::cuda
