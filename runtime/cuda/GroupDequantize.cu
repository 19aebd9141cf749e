// GroupDequantize.cu - W' in the activation dtype, for large prefill: past a
// few hundred rows the matmul is compute-bound, and cuBLAS on a dequantized
// copy beats any fused kernel here. One thread per 128-bit load of codes.
#include "GroupMatmulKernels.cuh"

namespace awq::cuda {
namespace {

template <class T, int BITS>
__global__ void groupDequantizeKernel(GroupWeightsView weights, T *__restrict__ out) {
  constexpr int kInputs = kInputsPerVector<BITS>;
  const int64_t vectorsPerRow = weights.kPadded / kInputs;
  const int64_t vector = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (vector >= weights.n * vectorsPerRow)
    return;
  const int64_t row = vector / vectorsPerRow;
  const int64_t first = (vector % vectorsPerRow) * kInputs;
  T values[kInputs];
  dequantizeCodeVector<T, BITS>(weights, row, first, values);
#pragma unroll
  for (int j = 0; j < kInputs; ++j)
    if (first + j < weights.k) // the padding is not part of W'
      out[row * weights.k + first + j] = values[j];
}

} // namespace

template <class T>
void launchGroupDequantize(const GroupWeightsView &weights, T *out, cudaStream_t stream) {
  const int64_t vectors = weights.n * weights.kPadded * weights.bits / 128;
  if (vectors == 0)
    return;
  constexpr int kThreads = 256;
  const unsigned blocks = ceilDiv(vectors, kThreads);
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
