// GroupGemv.cu - the decode kernel: y = x . W'^T for 1-4 rows of x, reading
// the packed codes once at full width.
//
// One warp per output row n: each lane takes chunks of 32 inputs (a 128-bit
// load at 4 bits, two at 8), so a warp streams 512 (1024) contiguous bytes
// per step; two chunks are loaded before either is used to keep more bytes
// in flight. Codes become (code - zero) in registers (GroupDequant.cuh) and
// meet the activations in f32; each chunk lies inside one group, so its
// partial sum is scaled once. A warp shuffle reduction finishes the row.
// The gate/up variant reads two weight rows against the same activations
// and writes SiLU(gate) * up.
#include "GroupGemvLane.cuh"

namespace awq::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;

template <class T, int BITS, int MR, bool GATE_UP, bool VEC_X>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    groupGemvKernel(const T *__restrict__ x, GroupWeightsView weights, GroupWeightsView up,
                    const T *__restrict__ bias, T *__restrict__ y) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= weights.n)
    return; // whole warps leave together: the shuffles below see full warps
  float acc[MR] = {};
  float accUp[MR] = {};
  gemvLaneSums<T, BITS, MR, GATE_UP, VEC_X>(x, weights, up, row, lane, acc, accUp);
#pragma unroll
  for (int r = 0; r < MR; ++r) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) {
      acc[r] += __shfl_xor_sync(0xffffffffu, acc[r], offset);
      if (GATE_UP)
        accUp[r] += __shfl_xor_sync(0xffffffffu, accUp[r], offset);
    }
  }
  if (lane != 0)
    return;
#pragma unroll
  for (int r = 0; r < MR; ++r)
    y[r * weights.n + row] = fromFloat<T>(gemvOutput<T, GATE_UP>(acc[r], accUp[r], bias, row));
}

template <class T, int BITS, int MR, bool GATE_UP>
void launchWithRows(const T *x, const GroupWeightsView &weights, const GroupWeightsView &up,
                    const T *bias, T *y, cudaStream_t stream) {
  const dim3 grid(ceilDiv(weights.n, kWarpsPerBlock));
  const dim3 block(kWarpsPerBlock * 32);
  // Vector activation loads need whole, 16-byte aligned vectors in every row.
  const bool vectorized = weights.k % 8 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  if (vectorized)
    groupGemvKernel<T, BITS, MR, GATE_UP, true><<<grid, block, 0, stream>>>(x, weights, up, bias, y);
  else
    groupGemvKernel<T, BITS, MR, GATE_UP, false><<<grid, block, 0, stream>>>(x, weights, up, bias, y);
  checkLaunch("group GEMV");
}

template <class T, int BITS, bool GATE_UP>
void launchWithBits(const T *x, int64_t m, const GroupWeightsView &weights,
                    const GroupWeightsView &up, const T *bias, T *y, cudaStream_t stream) {
  switch (m) {
  case 1: launchWithRows<T, BITS, 1, GATE_UP>(x, weights, up, bias, y, stream); break;
  case 2: launchWithRows<T, BITS, 2, GATE_UP>(x, weights, up, bias, y, stream); break;
  case 3: launchWithRows<T, BITS, 3, GATE_UP>(x, weights, up, bias, y, stream); break;
  case 4: launchWithRows<T, BITS, 4, GATE_UP>(x, weights, up, bias, y, stream); break;
  default: awq::rt::raise("the GEMV path takes 1 to 4 rows (M = %lld)", static_cast<long long>(m));
  }
}

} // namespace

template <class T>
void launchGroupGemv(const T *x, int64_t m, const GroupWeightsView &weights,
                     const GroupWeightsView *up, const T *bias, T *y, cudaStream_t stream) {
  if (weights.n == 0)
    return;
  const GroupWeightsView &upView = up ? *up : weights;
  if (weights.bits == 4) {
    if (up)
      launchWithBits<T, 4, true>(x, m, weights, upView, nullptr, y, stream);
    else
      launchWithBits<T, 4, false>(x, m, weights, upView, bias, y, stream);
  } else {
    if (up)
      launchWithBits<T, 8, true>(x, m, weights, upView, nullptr, y, stream);
    else
      launchWithBits<T, 8, false>(x, m, weights, upView, bias, y, stream);
  }
}

template void launchGroupGemv<__half>(const __half *, int64_t, const GroupWeightsView &,
                                      const GroupWeightsView *, const __half *, __half *,
                                      cudaStream_t);
template void launchGroupGemv<__nv_bfloat16>(const __nv_bfloat16 *, int64_t,
                                             const GroupWeightsView &, const GroupWeightsView *,
                                             const __nv_bfloat16 *, __nv_bfloat16 *,
                                             cudaStream_t);

} // namespace awq::cuda
