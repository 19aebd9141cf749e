// GroupMatmulMma.cu - y = x . W'^T on tensor cores straight from registers,
// for the decode and small-batch rows (M <= 64) of mma-tile blobs.
//
// Why: the CUDA-core GEMV spends about 5 instructions per weight
// (dequantize, convert to f32, FMA), which made it issue-bound at half the
// H100's bandwidth. Here a lane's 128-bit code vector IS its A fragments of
// four mma.sync m16n8k16 tiles (the blob is laid out for it): per 8 weights
// a few shift/mask/subtract/multiply pairs in f16 or bf16 and one mma, which
// also does the multiply-adds (f32 accumulators) for 8 rows of x at once.
//
// A block owns one tile of 16 output rows; its warps split K (warp w takes
// quads w, w + W, ...), each loading U quads' codes before using any, and
// add their 16 x 8 accumulator tiles through shared memory in a fixed order
// (deterministic). x is read through the read-only cache: lane (g, t) needs
// 32 contiguous bytes of row g per quad. M > 8 loops over 8-row slices of x
// with the same dequantized fragments. The gate/up variant reads both
// weights' tiles and writes SiLU(gate) * up.
#include "GroupMmaFragments.cuh"

#include <algorithm>

namespace awq::cuda {
namespace {

constexpr int kMaxWarpsPerBlock = 16;

// Warps per block at most for a variant with `values` accumulators per lane:
// the partial tiles ([warp][value][lane] floats) fit in 32 KiB of shared
// memory. Also the variant's launch bound, so variants that never launch
// 512 threads are not held to 128 registers.
constexpr int maxWarpsFor(int values) {
  return kMaxWarpsPerBlock < 32 * 8 / values ? kMaxWarpsPerBlock : 32 * 8 / values;
}

int streamingMultiprocessors() {
  int device = 0, count = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device) != cudaSuccess)
    return 132;
  return count;
}

// One warp's pass over its quads of one weight, accumulating into acc.
template <class T, int M_TILES, int UNROLL, bool VECTORIZED>
__device__ inline void accumulateWarpQuads(const T *__restrict__ x, int64_t rows,
                                           const GroupWeightsView &weights, int64_t tile,
                                           int warp, int warps, int lane,
                                           float acc[M_TILES][4]) {
  const int g = lane / 4, t = lane % 4;
  const int64_t quads = weights.kPadded / kMmaQuadInputs;
  const uint4 *codes = reinterpret_cast<const uint4 *>(weights.codes) + tile * quads * 32 + lane;
  const auto *scalePairs =
      static_cast<const uint32_t *>(weights.scales) + tile * weights.groups * 8 + g;
  const auto *zeroPairs = weights.zeros
                              ? reinterpret_cast<const uint16_t *>(weights.zeros) +
                                    tile * weights.groups * 8 + g
                              : nullptr;
  const uint32_t implicitZeros = 0x0808u; // 2^(4-1) for both rows
  for (int64_t q0 = warp; q0 < quads; q0 += static_cast<int64_t>(warps) * UNROLL) {
    uint4 vectors[UNROLL];
    uint32_t scaleWord[UNROLL], zeroWord[UNROLL];
    // Every load of the step first, so UNROLL x 512 bytes per warp are in flight.
    AWQ_UNROLL
    for (int u = 0; u < UNROLL; ++u) {
      const int64_t q = q0 + static_cast<int64_t>(u) * warps;
      if (q < quads) {
        vectors[u] = loadStreamed(codes + q * 32);
        const int64_t group = mmaGroupOf(weights, q * kMmaQuadInputs + 16 * t);
        scaleWord[u] = __ldg(scalePairs + group * 8);
        zeroWord[u] = zeroPairs ? __ldg(zeroPairs + group * 8) : implicitZeros;
      }
    }
    AWQ_UNROLL
    for (int u = 0; u < UNROLL; ++u) {
      const int64_t q = q0 + static_cast<int64_t>(u) * warps;
      if (q >= quads)
        break;
      const MmaGroupParams params = mmaGroupParams<T>(scaleWord[u], zeroWord[u]);
      const uint32_t words[4] = {vectors[u].x, vectors[u].y, vectors[u].z, vectors[u].w};
      uint32_t a[4][4];
      AWQ_UNROLL
      for (int j = 0; j < 4; ++j)
        mmaFragmentFromWord<T>(words[j], params, a[j]);
      AWQ_UNROLL
      for (int mt = 0; mt < M_TILES; ++mt) {
        if (8 * mt >= rows) // x slices past the last row: nothing to add
          break;
        uint32_t b[8];
        loadMmaActivations<T, VECTORIZED>(x, weights.k, 8 * mt + g, rows,
                                          q * kMmaQuadInputs + 16 * t, b);
        AWQ_UNROLL
        for (int j = 0; j < 4; ++j)
          mmaM16N8K16<T>(acc[mt], a[j], b[2 * j], b[2 * j + 1]);
      }
    }
  }
}

template <class T, int M_TILES, bool GATE_UP, bool VECTORIZED>
__global__ void __launch_bounds__(maxWarpsFor((GATE_UP ? 2 : 1) * M_TILES * 4) * 32)
    groupMatmulMmaKernel(const T *__restrict__ x, int64_t rows, GroupWeightsView weights,
                         GroupWeightsView up, const T *__restrict__ bias, T *__restrict__ y) {
  constexpr int kUnroll = M_TILES >= 8 ? 2 : 4;
  constexpr int kSets = GATE_UP ? 2 : 1;
  constexpr int kValues = kSets * M_TILES * 4; // accumulators per lane
  const int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t tile = blockIdx.x;

  float acc[kSets][M_TILES][4] = {};
  accumulateWarpQuads<T, M_TILES, kUnroll, VECTORIZED>(x, rows, weights, tile, warp, warps, lane,
                                                       acc[0]);
  if constexpr (GATE_UP)
    accumulateWarpQuads<T, M_TILES, kUnroll, VECTORIZED>(x, rows, up, tile, warp, warps, lane,
                                                         acc[kSets - 1]);

  // The warps' partial tiles, [warp][value][lane], summed in warp order.
  extern __shared__ float partials[];
  AWQ_UNROLL
  for (int s = 0; s < kSets; ++s)
    AWQ_UNROLL
    for (int mt = 0; mt < M_TILES; ++mt)
      AWQ_UNROLL
      for (int c = 0; c < 4; ++c)
        partials[(warp * kValues + (s * M_TILES + mt) * 4 + c) * 32 + lane] = acc[s][mt][c];
  __syncthreads();
  for (int i = threadIdx.x; i < M_TILES * 4 * 32; i += blockDim.x) {
    const int value = i / 32, sourceLane = i % 32;
    float sum[kSets] = {};
    for (int w = 0; w < warps; ++w)
      AWQ_UNROLL
      for (int s = 0; s < kSets; ++s)
        sum[s] += partials[(w * kValues + s * M_TILES * 4 + value) * 32 + sourceLane];
    const MmaOutputCoordinate at = mmaOutputCoordinate(sourceLane, value % 4);
    const int64_t n = tile * kMmaTileRows + at.rowInTile;
    const int64_t row = 8 * (value / 4) + at.xRow;
    if (n >= weights.n || row >= rows)
      continue;
    float out = sum[0];
    if constexpr (GATE_UP)
      out = out / (1.0f + expf(-out)) * sum[1]; // expf as in every other SiLU
    else if (bias)
      out += toFloat(bias[n]);
    y[row * weights.n + n] = fromFloat<T>(out);
  }
}

template <class T, int M_TILES, bool GATE_UP>
void launchWithTiles(const T *x, int64_t m, const GroupWeightsView &weights,
                     const GroupWeightsView *up, const T *bias, T *y, cudaStream_t stream) {
  constexpr int kUnroll = M_TILES >= 8 ? 2 : 4;
  constexpr int kValues = (GATE_UP ? 2 : 1) * M_TILES * 4;
  const int64_t rowTiles = mmaTilesNPadded(weights.n) / kMmaTileRows;
  const int64_t quads = weights.kPadded / kMmaQuadInputs;
  // More warps per tile (a finer K split) until the GPU holds ~16 warps per
  // SM, while every warp keeps at least one full unrolled step of quads and
  // the partial tiles fit in 32 KiB of shared memory.
  static const int sms = streamingMultiprocessors();
  constexpr int maxWarps = maxWarpsFor(kValues);
  int warps = 2;
  while (warps < maxWarps && rowTiles * warps < static_cast<int64_t>(sms) * 16 &&
         quads >= static_cast<int64_t>(warps) * 2 * kUnroll)
    warps *= 2;
  const size_t sharedBytes = static_cast<size_t>(warps) * kValues * 32 * sizeof(float);
  const bool vectorized = weights.k % 8 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  const GroupWeightsView second = up ? *up : weights;
  const dim3 grid(static_cast<unsigned>(rowTiles));
  if (vectorized)
    groupMatmulMmaKernel<T, M_TILES, GATE_UP, true>
        <<<grid, warps * 32, sharedBytes, stream>>>(x, m, weights, second, bias, y);
  else
    groupMatmulMmaKernel<T, M_TILES, GATE_UP, false>
        <<<grid, warps * 32, sharedBytes, stream>>>(x, m, weights, second, bias, y);
}

template <class T, bool GATE_UP>
void launchForRows(const T *x, int64_t m, const GroupWeightsView &weights,
                   const GroupWeightsView *up, const T *bias, T *y, cudaStream_t stream) {
  if (m <= 8)
    launchWithTiles<T, 1, GATE_UP>(x, m, weights, up, bias, y, stream);
  else if (m <= 16)
    launchWithTiles<T, 2, GATE_UP>(x, m, weights, up, bias, y, stream);
  else if (m <= 32)
    launchWithTiles<T, 4, GATE_UP>(x, m, weights, up, bias, y, stream);
  else
    launchWithTiles<T, 8, GATE_UP>(x, m, weights, up, bias, y, stream);
}

} // namespace

template <class T>
void launchGroupMatmulMma(const T *x, int64_t m, const GroupWeightsView &weights,
                          const GroupWeightsView *up, const T *bias, T *y,
                          cudaStream_t stream) {
  if (m <= 0 || weights.n == 0)
    return;
  if (m > kMmaMaxRows)
    awq::rt::raise("the mma-tile path takes at most %lld rows (M = %lld)",
                   static_cast<long long>(kMmaMaxRows), static_cast<long long>(m));
  if (up)
    launchForRows<T, true>(x, m, weights, up, nullptr, y, stream);
  else
    launchForRows<T, false>(x, m, weights, nullptr, bias, y, stream);
  checkLaunch("group matmul (mma tiles)");
}

template void launchGroupMatmulMma<__half>(const __half *, int64_t, const GroupWeightsView &,
                                           const GroupWeightsView *, const __half *, __half *,
                                           cudaStream_t);
template void launchGroupMatmulMma<__nv_bfloat16>(const __nv_bfloat16 *, int64_t,
                                                  const GroupWeightsView &,
                                                  const GroupWeightsView *,
                                                  const __nv_bfloat16 *, __nv_bfloat16 *,
                                                  cudaStream_t);

} // namespace awq::cuda
