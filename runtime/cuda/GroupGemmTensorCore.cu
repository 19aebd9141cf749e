// GroupGemmTensorCore.cu - y = x . W'^T on tensor cores for batches past the
// GEMV's 4 rows (prefill chunks, batched decode).
//
// A block owns a 64x64 tile of y and walks (its share of) K in steps of 128
// inputs: it stages 64 rows of activations and 64 rows of weights in shared
// memory, the weights dequantized on the way in (one 128-bit load of codes
// per 32 inputs at 4 bits, one group scale per load), then four warps each
// run 2x2 WMMA m16n16k16 products (mma.sync on sm_80+) with f32
// accumulators. The global loads of step s + 1 are issued into registers
// before the products of step s, so DRAM latency overlaps the math.
//
// At the batch sizes this path serves (5-64 rows) there are few tiles (N/64:
// 64 for a 4096-wide layer, against 132 SMs on an H100), so K is split until there
// are about 256 blocks (at most 16 splits per tile); each writes its f32 partial tile to a workspace and a
// second kernel sums the partials in a fixed order (deterministic results),
// adds the bias and rounds once. (The first version, 32-input steps with no
// prefetch and no split, was latency-bound: 0.1x of cuBLAS FP16 at M = 16.)
#include "GroupMatmulKernels.cuh"

#include <mma.h>

#include <algorithm>

namespace awq::cuda {
namespace {

constexpr int kTileM = 64;
constexpr int kTileN = 64;
constexpr int kTileK = 128;
constexpr int kPadK = 8; // keeps rows 16-byte aligned and staggers banks
constexpr int kPadN = 4;
constexpr int kThreads = 128;
constexpr int kMaxSplits = 16;

// 16-byte vectors of activations per thread and step: 64 rows x 128 inputs.
constexpr int kActivationVectors = kTileM * kTileK / 8 / kThreads;

template <class T> struct InputTiles {
  T activations[kTileM][kTileK + kPadK];
  T weights[kTileN][kTileK + kPadK];
};
using OutputTile = float[kTileM][kTileN + kPadN];
template <class T>
constexpr size_t kSharedBytes = std::max(sizeof(InputTiles<T>), sizeof(OutputTile));

// One step's global loads, held in registers until the step before it has
// finished with shared memory.
template <int BITS> struct StagedStep {
  static constexpr int kWeightVectors = kTileN * kTileK * BITS / 128 / kThreads;
  uint4 activations[kActivationVectors];
  uint4 codes[kWeightVectors];
  GroupParams params[kWeightVectors];
};

template <class T, int BITS, bool VEC_X>
__device__ inline void loadStep(const T *__restrict__ x, int64_t m, const GroupWeightsView &w,
                                int64_t rowBase, int64_t colBase, int64_t kBase,
                                StagedStep<BITS> &staged) {
  const int thread = threadIdx.x;
  AWQ_UNROLL
  for (int j = 0; j < kActivationVectors; ++j) {
    const int i = thread + j * kThreads;
    const int64_t row = rowBase + i / (kTileK / 8);
    const int64_t input = kBase + (i % (kTileK / 8)) * 8;
    uint4 vector = make_uint4(0, 0, 0, 0); // rows past m and inputs past k are zero
    if (row < m) {
      if (VEC_X) {
        if (input < w.k)
          vector = *reinterpret_cast<const uint4 *>(x + row * w.k + input);
      } else {
        T values[8];
        AWQ_UNROLL
        for (int e = 0; e < 8; ++e)
          values[e] = input + e < w.k ? x[row * w.k + input + e] : fromFloat<T>(0.0f);
        memcpy(&vector, values, sizeof vector);
      }
    }
    staged.activations[j] = vector;
  }
  constexpr int kVectorsPerRow = kTileK * BITS / 128;
  AWQ_UNROLL
  for (int j = 0; j < StagedStep<BITS>::kWeightVectors; ++j) {
    const int i = thread + j * kThreads;
    const int64_t outputRow = colBase + i / kVectorsPerRow;
    const int64_t first = kBase + (i % kVectorsPerRow) * kInputsPerVector<BITS>;
    if (outputRow < w.n && first < w.kPadded) {
      staged.codes[j] = loadCodeVector<BITS>(w, outputRow, first);
      staged.params[j] = groupParamsAt<T, BITS>(w, outputRow, first);
    } else {
      staged.codes[j] = make_uint4(0, 0, 0, 0);
      staged.params[j].scale = 0.0f; // the tile's weights past N or K are zero
      staged.params[j].bias = zeroBias(0);
    }
  }
}

template <class T, int BITS>
__device__ inline void storeStep(const StagedStep<BITS> &staged, InputTiles<T> &tiles) {
  const int thread = threadIdx.x;
  AWQ_UNROLL
  for (int j = 0; j < kActivationVectors; ++j) {
    const int i = thread + j * kThreads;
    *reinterpret_cast<uint4 *>(&tiles.activations[i / (kTileK / 8)][(i % (kTileK / 8)) * 8]) =
        staged.activations[j];
  }
  constexpr int kVectorsPerRow = kTileK * BITS / 128;
  AWQ_UNROLL
  for (int j = 0; j < StagedStep<BITS>::kWeightVectors; ++j) {
    const int i = thread + j * kThreads;
    __align__(16) T values[kInputsPerVector<BITS>];
    dequantizeVector<T, BITS>(staged.codes[j], staged.params[j], values);
    T *destination = &tiles.weights[i / kVectorsPerRow][(i % kVectorsPerRow) * kInputsPerVector<BITS>];
    AWQ_UNROLL
    for (int v = 0; v < kInputsPerVector<BITS> / 8; ++v)
      reinterpret_cast<uint4 *>(destination)[v] = reinterpret_cast<const uint4 *>(values)[v];
  }
}

// blockIdx.x: column tile, blockIdx.y: row tile, blockIdx.z: K split.
// With one split the block writes y (+ bias); otherwise its f32 partial tile
// goes to partials[z][m][n].
template <class T, int BITS, bool VEC_X>
__global__ void __launch_bounds__(kThreads)
    groupGemmTensorCoreKernel(const T *__restrict__ x, int64_t m, GroupWeightsView weights,
                              int64_t stepsPerSplit, const T *__restrict__ bias,
                              T *__restrict__ y, float *__restrict__ partials) {
  using namespace nvcuda;
  __shared__ __align__(128) unsigned char shared[kSharedBytes<T>];
  auto &tiles = *reinterpret_cast<InputTiles<T> *>(shared);
  auto &outputTile = *reinterpret_cast<OutputTile *>(shared);

  const int warp = threadIdx.x / 32;
  const int64_t rowBase = static_cast<int64_t>(blockIdx.y) * kTileM;
  const int64_t colBase = static_cast<int64_t>(blockIdx.x) * kTileN;
  const int warpRow = (warp / 2) * 32;
  const int warpCol = (warp % 2) * 32;
  const int64_t kSteps = (weights.kPadded + kTileK - 1) / kTileK;
  const int64_t firstStep = blockIdx.z * stepsPerSplit;
  const int64_t endStep = firstStep + stepsPerSplit < kSteps ? firstStep + stepsPerSplit : kSteps;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> accumulator[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::fill_fragment(accumulator[i][j], 0.0f);

  StagedStep<BITS> staged;
  if (firstStep < endStep)
    loadStep<T, BITS, VEC_X>(x, m, weights, rowBase, colBase, firstStep * kTileK, staged);
  for (int64_t step = firstStep; step < endStep; ++step) {
    storeStep<T, BITS>(staged, tiles);
    __syncthreads();
    if (step + 1 < endStep) // in flight while the tensor cores work
      loadStep<T, BITS, VEC_X>(x, m, weights, rowBase, colBase, (step + 1) * kTileK, staged);
#pragma unroll
    for (int kStep = 0; kStep < kTileK; kStep += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> b[2];
#pragma unroll
      for (int i = 0; i < 2; ++i)
        wmma::load_matrix_sync(a[i], &tiles.activations[warpRow + 16 * i][kStep], kTileK + kPadK);
      // weights[n][k] is B = W'^T (K x N) stored column-major.
#pragma unroll
      for (int j = 0; j < 2; ++j)
        wmma::load_matrix_sync(b[j], &tiles.weights[warpCol + 16 * j][kStep], kTileK + kPadK);
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j)
          wmma::mma_sync(accumulator[i][j], a[i], b[j], accumulator[i][j]);
    }
    __syncthreads(); // the tiles are rewritten (or become the output tile) next
  }

#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(&outputTile[warpRow + 16 * i][warpCol + 16 * j], accumulator[i][j],
                              kTileN + kPadN, wmma::mem_row_major);
  __syncthreads();
  float *partial = partials ? partials + blockIdx.z * m * weights.n : nullptr;
  for (int i = threadIdx.x; i < kTileM * kTileN; i += kThreads) {
    const int64_t row = rowBase + i / kTileN;
    const int64_t column = colBase + i % kTileN;
    if (row >= m || column >= weights.n)
      continue;
    const float value = outputTile[i / kTileN][i % kTileN];
    if (partial)
      partial[row * weights.n + column] = value;
    else
      y[row * weights.n + column] = fromFloat<T>(bias ? value + toFloat(bias[column]) : value);
  }
}

// y = sum over splits of partials[s] (+ bias), in split order.
template <class T>
__global__ void sumSplitsKernel(const float *__restrict__ partials, int splits, int64_t m,
                                int64_t n, const T *__restrict__ bias, T *__restrict__ y) {
  const int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= m * n)
    return;
  float sum = 0.0f;
  for (int s = 0; s < splits; ++s)
    sum += partials[s * m * n + index];
  if (bias)
    sum += toFloat(bias[index % n]);
  y[index] = fromFloat<T>(sum);
}

struct SplitPlan {
  int64_t splits, stepsPerSplit;
};

// About two blocks per SM of an H100 (132 SMs; more than enough for smaller
// GPUs), but at least two K steps per split (each split's first load is not
// overlapped with any math). Fixed rather than read off the device, so the
// workspace size and the results (the order of the f32 sums) are the same
// on every GPU.
constexpr int64_t kTargetBlocks = 256;

SplitPlan planSplits(int64_t m, int64_t n, int64_t kPadded) {
  const int64_t tiles = ceilDiv(n, kTileN) * ceilDiv(m, kTileM);
  const int64_t kSteps = ceilDiv(kPadded, kTileK);
  const int64_t wanted = ceilDiv(kTargetBlocks, tiles);
  const int64_t splits = std::clamp<int64_t>(std::min(wanted, kSteps / 2), 1, kMaxSplits);
  const int64_t stepsPerSplit = ceilDiv(kSteps, splits);
  return {ceilDiv(kSteps, stepsPerSplit), stepsPerSplit}; // no empty splits
}

template <class T, int BITS>
void launchWithBits(const T *x, int64_t m, const GroupWeightsView &weights, const T *bias, T *y,
                    void *workspace, cudaStream_t stream) {
  const int64_t rowTiles = ceilDiv(m, kTileM);
  if (rowTiles > 65535)
    awq::rt::raise("M = %lld is too large for one tensor-core launch", static_cast<long long>(m));
  const SplitPlan plan = planSplits(m, weights.n, weights.kPadded);
  float *partials = plan.splits > 1 ? static_cast<float *>(workspace) : nullptr;
  if (plan.splits > 1 && !partials)
    awq::rt::raise("M = %lld needs a workspace of %lld bytes "
                   "(awq_cuda_group_matmul_workspace_bytes)",
                   static_cast<long long>(m),
                   static_cast<long long>(plan.splits * m * weights.n * 4));
  const dim3 grid(ceilDiv(weights.n, kTileN), static_cast<unsigned>(rowTiles),
                  static_cast<unsigned>(plan.splits));
  const bool vectorized = weights.k % 8 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  if (vectorized)
    groupGemmTensorCoreKernel<T, BITS, true><<<grid, kThreads, 0, stream>>>(
        x, m, weights, plan.stepsPerSplit, bias, y, partials);
  else
    groupGemmTensorCoreKernel<T, BITS, false><<<grid, kThreads, 0, stream>>>(
        x, m, weights, plan.stepsPerSplit, bias, y, partials);
  checkLaunch("group GEMM (tensor cores)");
  if (partials) {
    constexpr int kSumThreads = 256;
    sumSplitsKernel<T><<<ceilDiv(m * weights.n, kSumThreads), kSumThreads, 0, stream>>>(
        partials, static_cast<int>(plan.splits), m, weights.n, bias, y);
    checkLaunch("group GEMM split-K sum");
  }
}

} // namespace

int64_t groupGemmTensorCoreWorkspaceBytes(int64_t m, int64_t n, int64_t kPadded) {
  if (m <= 0 || n <= 0)
    return 0;
  const SplitPlan plan = planSplits(m, n, kPadded);
  return plan.splits > 1 ? alignUp(plan.splits * m * n * 4, kBlobArrayAlignment) : 0;
}

template <class T>
void launchGroupGemmTensorCore(const T *x, int64_t m, const GroupWeightsView &weights,
                               const T *bias, T *y, void *workspace, cudaStream_t stream) {
  if (weights.n == 0 || m == 0)
    return;
  if (weights.bits == 4)
    launchWithBits<T, 4>(x, m, weights, bias, y, workspace, stream);
  else
    launchWithBits<T, 8>(x, m, weights, bias, y, workspace, stream);
}

template void launchGroupGemmTensorCore<__half>(const __half *, int64_t,
                                                const GroupWeightsView &, const __half *,
                                                __half *, void *, cudaStream_t);
template void launchGroupGemmTensorCore<__nv_bfloat16>(const __nv_bfloat16 *, int64_t,
                                                       const GroupWeightsView &,
                                                       const __nv_bfloat16 *, __nv_bfloat16 *,
                                                       void *, cudaStream_t);

} // namespace awq::cuda
