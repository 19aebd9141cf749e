// GroupGemmTensorCore.cu - y = x . W'^T on tensor cores for batches past the
// GEMV's 4 rows (prefill chunks, batched decode).
//
// A block owns a 64x64 tile of y and walks K in steps of 32: it stages 64
// rows of activations and 64 rows of weights in shared memory, the weights
// dequantized on the way in (one 128-bit load of codes per 32 inputs at 4
// bits, one group scale per load), then four warps each run 2x2 WMMA
// m16n16k16 products (mma.sync on sm_80+) with f32 accumulators. The
// epilogue adds the bias in f32 and rounds once to the output dtype.
// Simple by design: one stage, no cp.async pipeline yet.
#include "GroupMatmulKernels.cuh"

#include <mma.h>

namespace awq::cuda {
namespace {

constexpr int kTileM = 64;
constexpr int kTileN = 64;
constexpr int kTileK = 32;
constexpr int kPadK = 8;  // keeps rows 16-byte aligned and staggers banks
constexpr int kPadN = 4;
constexpr int kThreads = 128;

template <class T> __device__ inline void zeroFill(T *destination, int count) {
  for (int i = 0; i < count; ++i)
    destination[i] = fromFloat<T>(0.0f);
}

template <class T, int BITS, bool VEC_X>
__global__ void __launch_bounds__(kThreads)
    groupGemmTensorCoreKernel(const T *__restrict__ x, int64_t m, GroupWeightsView weights,
                              const T *__restrict__ bias, T *__restrict__ y) {
  using namespace nvcuda;
  __shared__ __align__(32) T activationTile[kTileM][kTileK + kPadK];
  __shared__ __align__(32) T weightTile[kTileN][kTileK + kPadK];
  __shared__ __align__(32) float outputTile[kTileM][kTileN + kPadN];

  const int thread = threadIdx.x;
  const int warp = thread / 32;
  const int64_t rowBase = static_cast<int64_t>(blockIdx.y) * kTileM;
  const int64_t colBase = static_cast<int64_t>(blockIdx.x) * kTileN;
  const int warpRow = (warp / 2) * 32;
  const int warpCol = (warp % 2) * 32;
  const int64_t k = weights.k;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> accumulator[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::fill_fragment(accumulator[i][j], 0.0f);

  for (int64_t kBase = 0; kBase < weights.kPadded; kBase += kTileK) {
    // Activations: 64 rows x 32 inputs, 8 per thread step.
    for (int i = thread; i < kTileM * kTileK / 8; i += kThreads) {
      const int tileRow = i / (kTileK / 8);
      const int tileCol = (i % (kTileK / 8)) * 8;
      const int64_t row = rowBase + tileRow;
      const int64_t input = kBase + tileCol;
      T *destination = &activationTile[tileRow][tileCol];
      if (row >= m) {
        zeroFill(destination, 8);
      } else if (VEC_X) {
        if (input < k)
          *reinterpret_cast<uint4 *>(destination) =
              *reinterpret_cast<const uint4 *>(x + row * k + input);
        else
          zeroFill(destination, 8);
      } else {
        for (int j = 0; j < 8; ++j)
          destination[j] = input + j < k ? x[row * k + input + j] : fromFloat<T>(0.0f);
      }
    }
    // Weights: 64 rows x 32 inputs = BITS/4 128-bit loads per row, each
    // dequantized to 128/BITS values with the row's group scale.
    constexpr int kLoadsPerRow = BITS / 4;
    constexpr int kInputsPerLoad = kInputsPerVector<BITS>;
    for (int i = thread; i < kTileN * kLoadsPerRow; i += kThreads) {
      const int tileRow = i / kLoadsPerRow;
      const int part = i % kLoadsPerRow;
      const int64_t outputRow = colBase + tileRow;
      T *destination = &weightTile[tileRow][part * kInputsPerLoad];
      if (outputRow >= weights.n) {
        zeroFill(destination, kInputsPerLoad);
        continue;
      }
      dequantizeCodeVector<T, BITS>(weights, outputRow, kBase + part * kInputsPerLoad,
                                    destination);
    }
    __syncthreads();
#pragma unroll
    for (int kStep = 0; kStep < kTileK; kStep += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> b[2];
#pragma unroll
      for (int i = 0; i < 2; ++i)
        wmma::load_matrix_sync(a[i], &activationTile[warpRow + 16 * i][kStep], kTileK + kPadK);
      // weightTile[n][k] is B = W'^T (K x N) stored column-major.
#pragma unroll
      for (int j = 0; j < 2; ++j)
        wmma::load_matrix_sync(b[j], &weightTile[warpCol + 16 * j][kStep], kTileK + kPadK);
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j)
          wmma::mma_sync(accumulator[i][j], a[i], b[j], accumulator[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(&outputTile[warpRow + 16 * i][warpCol + 16 * j], accumulator[i][j],
                              kTileN + kPadN, wmma::mem_row_major);
  __syncthreads();
  for (int i = thread; i < kTileM * kTileN; i += kThreads) {
    const int tileRow = i / kTileN;
    const int tileCol = i % kTileN;
    const int64_t row = rowBase + tileRow;
    const int64_t column = colBase + tileCol;
    if (row >= m || column >= weights.n)
      continue;
    float value = outputTile[tileRow][tileCol];
    if (bias)
      value += toFloat(bias[column]);
    y[row * weights.n + column] = fromFloat<T>(value);
  }
}

template <class T, int BITS>
void launchWithBits(const T *x, int64_t m, const GroupWeightsView &weights, const T *bias, T *y,
                    cudaStream_t stream) {
  const int64_t rowTiles = (m + kTileM - 1) / kTileM;
  if (rowTiles > 65535)
    awq::rt::raise("M = %lld is too large for one tensor-core launch", static_cast<long long>(m));
  const dim3 grid(ceilDiv(weights.n, kTileN), static_cast<unsigned>(rowTiles));
  const bool vectorized = weights.k % 8 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  if (vectorized)
    groupGemmTensorCoreKernel<T, BITS, true><<<grid, kThreads, 0, stream>>>(x, m, weights, bias, y);
  else
    groupGemmTensorCoreKernel<T, BITS, false><<<grid, kThreads, 0, stream>>>(x, m, weights, bias, y);
  checkLaunch("group GEMM (tensor cores)");
}

} // namespace

template <class T>
void launchGroupGemmTensorCore(const T *x, int64_t m, const GroupWeightsView &weights,
                               const T *bias, T *y, cudaStream_t stream) {
  if (weights.n == 0 || m == 0)
    return;
  if (weights.bits == 4)
    launchWithBits<T, 4>(x, m, weights, bias, y, stream);
  else
    launchWithBits<T, 8>(x, m, weights, bias, y, stream);
}

template void launchGroupGemmTensorCore<__half>(const __half *, int64_t,
                                                const GroupWeightsView &, const __half *,
                                                __half *, cudaStream_t);
template void launchGroupGemmTensorCore<__nv_bfloat16>(const __nv_bfloat16 *, int64_t,
                                                       const GroupWeightsView &,
                                                       const __nv_bfloat16 *, __nv_bfloat16 *,
                                                       cudaStream_t);

} // namespace awq::cuda
