// GroupGemv.cu - the decode kernel: y = x . W'^T for 1-4 rows of x, reading
// the packed codes once at full width.
//
// One warp per output row n. Lanes walk the row in 32-input chunks (128-bit
// code loads) or in 32-bit words (contiguous activation loads): see
// GroupGemvLane.cuh. For 4-bit chunks at M = 2-4, x is first staged in
// shared memory (swizzled against bank conflicts) by a persistent grid of
// 16-warp blocks whose warps then take rows in turn: read from global
// memory, each lane's activation loads spread over 16 cache lines per
// instruction and the L1 became the limit as M grew (Nsight Compute on an
// H100 at M = 1: L1 91%, DRAM 41%; staged: L1 30%). Codes become
// (code - zero) in registers (GroupDequant.cuh) and meet the activations in
// f32, scaled once per chunk or word; a warp shuffle reduction finishes the
// row. The gate/up variant walks the gate row, then the up row, against the
// same activations and writes SiLU(gate) * up.
//
// At 4 bits the default is chunk pairs: a warp walks two weight rows (two
// outputs, or gate and up) against one read of x, halving x's L1 loads per
// code byte; on an H100 that beat every other walk at M = 1-4 (but one shape
// at M = 4, by 3%). AWQ_CUDA_GEMV_LANES=staged|chunks|words|chunk-pairs in
// the environment forces one kernel for every M it can serve (read once; for
// benchmarks comparing them).
#include "GroupGemvLane.cuh"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace awq::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;

// By default (H100 timings, runtime/cuda/README.md): 4-bit weights walk
// chunk pairs at M = 1-4 (8192x28672 M = 1: 64.9 us against 70.8 for single
// chunks and 74.2 staged; M = 2: 89.6 against 95.9 staged). f32 x (an f32
// graph) is staged from M = 1: read through the L1 it would double the bytes
// of the x loads, where staging reads it once per block and keeps it in the
// weights' dtype (H100, f32 x, 8192x28672 M = 1: staged 74.5 us, chunk pairs
// 146, chunks 236). At 8 bits (no pairs timed there, no staging) M <= 2
// walks chunks and M = 3-4 words.
constexpr int64_t kStagedMinRowsF32 = 1;
constexpr int64_t kChunkLanesMaxRows = 2;
// The staged kernel's block: 16 warps share one copy of x.
constexpr int kStagedWarpsPerBlock = 16;
// Shared memory for x beyond this (M x K x 2 bytes: K > 49152 at M = 1) goes
// back to the unstaged kernel, so two staged blocks still fit on an SM.
constexpr int64_t kStagedMaxBytes = 96 << 10;

enum class GemvKernel { ByRows, Staged, Chunks, Words, ChunkPairs, Invalid };

GemvKernel kernelFromEnvironment() {
  static const GemvKernel kernel = [] {
    const char *value = std::getenv("AWQ_CUDA_GEMV_LANES");
    if (!value || !*value)
      return GemvKernel::ByRows;
    if (std::strcmp(value, "staged") == 0)
      return GemvKernel::Staged;
    if (std::strcmp(value, "chunks") == 0)
      return GemvKernel::Chunks;
    if (std::strcmp(value, "words") == 0)
      return GemvKernel::Words;
    if (std::strcmp(value, "chunk-pairs") == 0)
      return GemvKernel::ChunkPairs;
    return GemvKernel::Invalid;
  }();
  return kernel;
}

GemvKernel chooseKernel(int64_t m, int bits, int64_t stagedBytes, bool f32Activations) {
  const bool stagedFits = bits == 4 && stagedBytes <= kStagedMaxBytes;
  switch (kernelFromEnvironment()) {
  case GemvKernel::Staged: return stagedFits ? GemvKernel::Staged : GemvKernel::Chunks;
  case GemvKernel::Chunks: return GemvKernel::Chunks;
  case GemvKernel::Words: return GemvKernel::Words;
  case GemvKernel::ChunkPairs: return GemvKernel::ChunkPairs;
  case GemvKernel::Invalid:
    awq::rt::raise(
        "AWQ_CUDA_GEMV_LANES must be 'staged', 'chunks', 'words' or 'chunk-pairs' (got '%s')",
        std::getenv("AWQ_CUDA_GEMV_LANES"));
  default:
    if (f32Activations && m >= kStagedMinRowsF32 && stagedFits)
      return GemvKernel::Staged;
    if (bits == 4)
      return GemvKernel::ChunkPairs;
    return m <= kChunkLanesMaxRows ? GemvKernel::Chunks : GemvKernel::Words;
  }
}

// y[r, row] from the warp's lane sums (lane 0 writes), in IO: the weights'
// dtype, or f32 for an f32 graph (its widening and bias add done here; its
// f32 x is rounded to the weights' dtype as it is loaded or staged).
template <class IO, int MR, bool GATE_UP>
__device__ inline void reduceAndStore(float acc[MR], float accUp[MR], int lane, int64_t row,
                                      int64_t n, const IO *__restrict__ bias, IO *__restrict__ y) {
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
    y[r * n + row] = fromFloat<IO>(gemvOutput<IO, GATE_UP>(acc[r], accUp[r], bias, row));
}

// 4-bit chunks with x staged in shared memory: the block copies x (MR rows,
// swizzled 16-byte pieces) once, then each warp takes rows
// warp, warp + warps in the grid, ...
template <class T, class IO, int MR, bool GATE_UP, bool VEC_X>
__global__ void __launch_bounds__(kStagedWarpsPerBlock * 32)
    groupGemvStagedKernel(const IO *__restrict__ x, GroupWeightsView weights, GroupWeightsView up,
                          const IO *__restrict__ bias, IO *__restrict__ y) {
  extern __shared__ uint4 stagedPieces[];
  const int64_t piecesPerRow = weights.kPadded / 8;
  for (int64_t i = threadIdx.x; i < MR * piecesPerRow; i += blockDim.x) {
    const int r = static_cast<int>(i / piecesPerRow);
    const int64_t piece = i - r * piecesPerRow;
    stagedPieces[r * piecesPerRow + stagedPieceIndex(piece)] =
        activationPiece<T, IO, VEC_X>(x, weights.k, r, piece);
  }
  __syncthreads();
  const StagedActivations<T> activations{stagedPieces, piecesPerRow};
  const int lane = threadIdx.x % 32;
  const int64_t warpsInGrid = static_cast<int64_t>(gridDim.x) * kStagedWarpsPerBlock;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kStagedWarpsPerBlock + threadIdx.x / 32;
       row < weights.n; row += warpsInGrid) {
    float acc[MR] = {};
    float accUp[MR] = {};
    gemvLaneSums<T, 4, MR, GATE_UP, false>(activations, weights, up, row, lane, acc, accUp);
    reduceAndStore<IO, MR, GATE_UP>(acc, accUp, lane, row, weights.n, bias, y);
  }
}

template <class T, class IO, int BITS, int MR, bool GATE_UP, bool VEC_X, bool WORD_LANES>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    groupGemvKernel(const IO *__restrict__ x, GroupWeightsView weights, GroupWeightsView up,
                    const IO *__restrict__ bias, IO *__restrict__ y) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= weights.n)
    return; // whole warps leave together: the shuffles below see full warps
  float acc[MR] = {};
  float accUp[MR] = {};
  const GlobalActivations<T, IO, VEC_X> activations{x, weights.k};
  gemvLaneSums<T, BITS, MR, GATE_UP, WORD_LANES>(activations, weights, up, row, lane, acc, accUp);
  reduceAndStore<IO, MR, GATE_UP>(acc, accUp, lane, row, weights.n, bias, y);
}

// Chunk pairs: each warp walks two weight rows against one read of x (see
// gemvPairLaneSums): output rows 2w and 2w + 1, or with GATE_UP the gate and
// up rows of output row w.
// Its registers are not capped: at 92 Nsight Compute (H100, 8192x28672, M = 1)
// finds it latency-bound at 29% occupancy (DRAM 46%, L1 56%, issue 70%), but
// capped at 64 (8 blocks per SM: 44% occupancy) it ran slower, its L1 at 74%
// (local-memory spills, by the look of it): M = 1 70.2 us against 64.9, M = 4
// 238 against 148.
template <class T, class IO, int BITS, int MR, bool GATE_UP, bool VEC_X>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    groupGemvPairKernel(const IO *__restrict__ x, GroupWeightsView weights, GroupWeightsView up,
                        const IO *__restrict__ bias, IO *__restrict__ y) {
  constexpr int kRowsPerWarp = GATE_UP ? 1 : 2;
  const int lane = threadIdx.x % 32;
  const int64_t row =
      (static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32) * kRowsPerWarp;
  if (row >= weights.n)
    return; // whole warps leave together: the shuffles below see full warps
  float acc[2][MR] = {};
  const GlobalActivations<T, IO, VEC_X> activations{x, weights.k};
  gemvPairLaneSums<T, BITS, MR, GATE_UP>(activations, weights, up, row, lane, acc);
  if (GATE_UP) {
    reduceAndStore<IO, MR, true>(acc[0], acc[1], lane, row, weights.n, bias, y);
    return;
  }
  reduceAndStore<IO, MR, false>(acc[0], acc[1], lane, row, weights.n, bias, y);
  if (row + 1 < weights.n)
    reduceAndStore<IO, MR, false>(acc[1], acc[0], lane, row + 1, weights.n, bias, y);
}

// The staged kernel on a persistent grid: as many 16-warp blocks as fit on
// the GPU at once (its shared memory depends on K), no more than the rows need.
template <class T, class IO, int MR, bool GATE_UP, bool VEC_X>
void launchStaged(const IO *x, const GroupWeightsView &weights, const GroupWeightsView &up,
                  const IO *bias, IO *y, int64_t stagedBytes, cudaStream_t stream) {
  const auto kernel = groupGemvStagedKernel<T, IO, MR, GATE_UP, VEC_X>;
  constexpr int kThreads = kStagedWarpsPerBlock * 32;
  const int bytes = static_cast<int>(stagedBytes);
  int device = 0, multiprocessors = 0, blocksPerMultiprocessor = 0;
  checkCuda(cudaGetDevice(&device), "cudaGetDevice");
  // Once per kernel and device: allow the most shared memory any launch asks
  // for (launches inside CUDA graph capture then make no attribute calls).
  static std::atomic<uint64_t> configuredDevices{0};
  const uint64_t deviceBit = device < 64 ? uint64_t{1} << device : 0;
  if (!deviceBit || !(configuredDevices.load() & deviceBit)) {
    checkCuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                   static_cast<int>(kStagedMaxBytes)),
              "cudaFuncSetAttribute (staged GEMV shared memory)");
    configuredDevices.fetch_or(deviceBit);
  }
  checkCuda(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device),
            "cudaDeviceGetAttribute");
  checkCuda(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocksPerMultiprocessor, kernel,
                                                          kThreads, bytes),
            "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
  const int64_t blocksForRows = ceilDiv(weights.n, kStagedWarpsPerBlock);
  const int64_t resident =
      static_cast<int64_t>(multiprocessors) * std::max(blocksPerMultiprocessor, 1);
  const unsigned blocks = static_cast<unsigned>(std::min(blocksForRows, resident));
  // Launched by its name (not `kernel`), which the emulator's counts show.
  groupGemvStagedKernel<T, IO, MR, GATE_UP, VEC_X>
      <<<blocks, kThreads, bytes, stream>>>(x, weights, up, bias, y);
}

template <class T, class IO, int BITS, int MR, bool GATE_UP>
void launchWithRows(const IO *x, const GroupWeightsView &weights, const GroupWeightsView &up,
                    const IO *bias, IO *y, cudaStream_t stream) {
  const dim3 grid(ceilDiv(weights.n, kWarpsPerBlock));
  const dim3 block(kWarpsPerBlock * 32);
  // Vector activation loads need whole, 16-byte aligned vectors in every row.
  const bool vectorized = weights.k % 8 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  const int64_t stagedBytes = MR * weights.kPadded * 2;
  const GemvKernel kernel = chooseKernel(MR, BITS, stagedBytes, std::is_same<IO, float>::value);
  if (kernel == GemvKernel::ChunkPairs) {
    constexpr int kRowsPerWarp = GATE_UP ? 1 : 2;
    const dim3 pairGrid(ceilDiv(weights.n, kWarpsPerBlock * kRowsPerWarp));
    if (vectorized)
      groupGemvPairKernel<T, IO, BITS, MR, GATE_UP, true>
          <<<pairGrid, block, 0, stream>>>(x, weights, up, bias, y);
    else
      groupGemvPairKernel<T, IO, BITS, MR, GATE_UP, false>
          <<<pairGrid, block, 0, stream>>>(x, weights, up, bias, y);
  } else if (BITS == 4 && kernel == GemvKernel::Staged) {
    if (vectorized)
      launchStaged<T, IO, MR, GATE_UP, true>(x, weights, up, bias, y, stagedBytes, stream);
    else
      launchStaged<T, IO, MR, GATE_UP, false>(x, weights, up, bias, y, stagedBytes, stream);
  } else if (vectorized && kernel == GemvKernel::Words) {
    groupGemvKernel<T, IO, BITS, MR, GATE_UP, true, true><<<grid, block, 0, stream>>>(x, weights, up,
                                                                                   bias, y);
  } else if (vectorized) {
    groupGemvKernel<T, IO, BITS, MR, GATE_UP, true, false><<<grid, block, 0, stream>>>(x, weights, up,
                                                                                    bias, y);
  } else if (kernel == GemvKernel::Words) {
    groupGemvKernel<T, IO, BITS, MR, GATE_UP, false, true><<<grid, block, 0, stream>>>(x, weights, up,
                                                                                    bias, y);
  } else {
    groupGemvKernel<T, IO, BITS, MR, GATE_UP, false, false><<<grid, block, 0, stream>>>(x, weights, up,
                                                                                     bias, y);
  }
  checkLaunch("group GEMV");
}

template <class T, class IO, int BITS, bool GATE_UP>
void launchWithBits(const IO *x, int64_t m, const GroupWeightsView &weights,
                    const GroupWeightsView &up, const IO *bias, IO *y, cudaStream_t stream) {
  switch (m) {
  case 1: launchWithRows<T, IO, BITS, 1, GATE_UP>(x, weights, up, bias, y, stream); break;
  case 2: launchWithRows<T, IO, BITS, 2, GATE_UP>(x, weights, up, bias, y, stream); break;
  case 3: launchWithRows<T, IO, BITS, 3, GATE_UP>(x, weights, up, bias, y, stream); break;
  case 4: launchWithRows<T, IO, BITS, 4, GATE_UP>(x, weights, up, bias, y, stream); break;
  default: awq::rt::raise("the GEMV path takes 1 to 4 rows (M = %lld)", static_cast<long long>(m));
  }
}

} // namespace

template <class T, class IO>
void launchGroupGemv(const IO *x, int64_t m, const GroupWeightsView &weights,
                     const GroupWeightsView *up, const IO *bias, IO *y, cudaStream_t stream) {
  if (weights.n == 0)
    return;
  const GroupWeightsView &upView = up ? *up : weights;
  if (weights.bits == 4) {
    if (up)
      launchWithBits<T, IO, 4, true>(x, m, weights, upView, nullptr, y, stream);
    else
      launchWithBits<T, IO, 4, false>(x, m, weights, upView, bias, y, stream);
  } else {
    if (up)
      launchWithBits<T, IO, 8, true>(x, m, weights, upView, nullptr, y, stream);
    else
      launchWithBits<T, IO, 8, false>(x, m, weights, upView, bias, y, stream);
  }
}

// Activations in and out in the weights' dtype, or in f32 (f32 graphs:
// awq_cuda_group_matmul_f32).
template void launchGroupGemv<__half, __half>(const __half *, int64_t, const GroupWeightsView &,
                                              const GroupWeightsView *, const __half *, __half *,
                                              cudaStream_t);
template void launchGroupGemv<__nv_bfloat16, __nv_bfloat16>(
    const __nv_bfloat16 *, int64_t, const GroupWeightsView &, const GroupWeightsView *,
    const __nv_bfloat16 *, __nv_bfloat16 *, cudaStream_t);
template void launchGroupGemv<__half, float>(const float *, int64_t, const GroupWeightsView &,
                                             const GroupWeightsView *, const float *, float *,
                                             cudaStream_t);
template void launchGroupGemv<__nv_bfloat16, float>(const float *, int64_t,
                                                    const GroupWeightsView &,
                                                    const GroupWeightsView *, const float *,
                                                    float *, cudaStream_t);

} // namespace awq::cuda
