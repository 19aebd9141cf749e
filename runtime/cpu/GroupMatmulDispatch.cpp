// GroupMatmulDispatch.cpp - awq_group_matmul_prepacked and its fused gate/up form:
// argument checks, kernel (ISA) selection, activation preparation and the
// split of output tiles over threads.
//
// One call does:
//   1. parse and validate the blob(s) (GroupMatmulPrepack.cpp);
//   2. row_major blobs go to the portable path (GroupMatmul.cpp) and stop here;
//   3. prepare x once: zero-padded f32 + group sums, or int8 blocks + scales;
//   4. run tiles of 16 output features on the threads with the selected
//      kernel table, adding the bias (or applying SiLU(gate) * up) per tile.
// fp32 activations with more than kDirectMaxRows rows instead dequantize
// slices of tiles to f32 and multiply them with sgemm: at that many rows
// the BLAS microkernel beats converting codes once per row.
#include "GroupMatmulKernels.h"

#include <atomic>
#include <cblas.h>
#include <cmath>
#include <cstdlib>

using namespace awq::rt;

namespace {

// ---- Kernel selection --------------------------------------------------------

bool cpuSupports(int32_t isa) {
  switch (isa) {
  case AWQ_GROUP_ISA_AUTO:
  case AWQ_GROUP_ISA_SCALAR:
    return true;
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_supports also checks that the OS saves the wider registers.
  case AWQ_GROUP_ISA_AVX2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case AWQ_GROUP_ISA_AVX512:
    return cpuSupports(AWQ_GROUP_ISA_AVX2) && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vnni");
#endif
  default:
    return false;
  }
}

// The cap from AWQ_GROUP_ISA, read once (unset or unknown: no cap).
int32_t environmentCap() {
  static const int32_t cap = [] {
    const char *value = std::getenv("AWQ_GROUP_ISA");
    if (!value)
      return static_cast<int32_t>(AWQ_GROUP_ISA_AVX512);
    for (int32_t isa = AWQ_GROUP_ISA_SCALAR; isa <= AWQ_GROUP_ISA_AVX512; ++isa)
      if (std::strcmp(value, awq_group_isa_name(isa)) == 0)
        return isa;
    return static_cast<int32_t>(AWQ_GROUP_ISA_AVX512);
  }();
  return cap;
}

std::atomic<int32_t> forcedIsa{AWQ_GROUP_ISA_AUTO};

int32_t selectedIsa() {
  const int32_t forced = forcedIsa.load(std::memory_order_relaxed);
  if (forced != AWQ_GROUP_ISA_AUTO)
    return forced;
  // Each level implies the ones below it, so the best is the first supported from the cap down.
  int32_t isa = environmentCap();
  while (!cpuSupports(isa))
    --isa;
  return isa;
}

const GroupKernels &kernelsFor(int32_t isa) {
#if defined(__x86_64__) || defined(__i386__)
  if (isa == AWQ_GROUP_ISA_AVX512)
    return avx512GroupKernels();
  if (isa == AWQ_GROUP_ISA_AVX2)
    return avx2GroupKernels();
#endif
  return scalarGroupKernels();
}

// ---- Activations ---------------------------------------------------------------

// Rows of x up to which fp32 activations use the tile kernels (beyond: sgemm).
constexpr int64_t kDirectMaxRows = 4;
// Tiles dequantized per sgemm call (256 output features x K = 4 MiB at K = 4096).
constexpr int64_t kSgemmTiles = 16;
// Tiles per thread at least: below that a thread costs more than it saves.
constexpr int64_t kTileGrain = 2;
// Rows of x per thread at least when preparing activations.
constexpr int64_t kPrepareRowGrain = 8;

bool usesSgemm(int32_t activation, int64_t m) {
  return activation == AWQ_GROUP_ACT_F32 && m > kDirectMaxRows;
}

// nearbyint(v) (half to even, the default rounding mode) for |v| <= 2^22, as
// arithmetic: adding and subtracting 1.5 * 2^23 leaves v rounded to an
// integer (the runtime is built without -ffast-math, which would fold it).
// Unlike the libm call (the baseline x86-64 target has no roundps) it
// vectorizes; the quantization loop spent most of its time in that call.
inline float roundHalfEven(float v) {
  constexpr float kShift = 12582912.0f; // 1.5 * 2^23
  return (v + kShift) - kShift;
}

// x prepared for the tile kernels of `w`, in storage the calling thread
// reuses from one matmul to the next: a decode step runs a few hundred small
// matmuls, and allocating and zeroing this each time was a visible share of
// it. Valid until the thread's next call.
const PreparedActivations &prepareActivations(const float *x, int64_t m, const PackedWeights &w,
                                              int32_t activation) {
  static thread_local PreparedActivations storage;
  // A local reference, so the worker threads' lambdas below capture this
  // thread's storage (naming the thread_local there would mean their own).
  PreparedActivations &a = storage;
  a.m = m;
  a.paddedK = w.paddedK;
  a.blocks = w.blocks;
  a.groups = w.groups;
  a.groupSums.assign(static_cast<size_t>(m * w.groups), 0.0f);
  if (activation == AWQ_GROUP_ACT_F32) {
    a.values.resize(static_cast<size_t>(m * w.paddedK));
    parallelFor(m, kPrepareRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        std::copy(x + i * w.k, x + (i + 1) * w.k, a.values.begin() + i * w.paddedK);
        // The padding past k reads as zeros.
        std::fill(a.values.begin() + i * w.paddedK + w.k, a.values.begin() + (i + 1) * w.paddedK,
                  0.0f);
        for (int64_t index = 0; index < w.k; ++index)
          a.groupSums[i * w.groups + index / (w.blocksPerGroup * kBlockK)] += x[i * w.k + index];
      }
    });
    return a;
  }
  a.quantized.resize(static_cast<size_t>(m * w.paddedK));
  a.blockScales.resize(static_cast<size_t>(m * w.blocks)); // every entry written below
  parallelFor(m, kPrepareRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      // Plain pointers: stores through int8_t may alias anything, so reading
      // the vectors' bases through `a` would be redone for every element.
      const float *__restrict row = x + i * w.k;
      int8_t *__restrict quantizedRow = a.quantized.data() + i * w.paddedK;
      float *blockScales = a.blockScales.data() + i * w.blocks;
      float *groupSums = a.groupSums.data() + i * w.groups;
      for (int64_t b = 0; b < w.blocks; ++b) {
        const int64_t first = b * kBlockK, last = std::min(first + kBlockK, w.k);
        // Eight running maxima, so the loop vectorizes (max is exact: the
        // order does not change the result).
        float laneMax[8] = {};
        int64_t index = first;
        for (; index + 8 <= last; index += 8)
          for (int64_t lane = 0; lane < 8; ++lane)
            laneMax[lane] = std::max(laneMax[lane], std::fabs(row[index + lane]));
        float absMax = 0.0f;
        for (; index < last; ++index)
          absMax = std::max(absMax, std::fabs(row[index]));
        for (float lane : laneMax)
          absMax = std::max(absMax, lane);
        const float inverse = absMax > 0.0f ? 127.0f / absMax : 0.0f;
        int32_t blockSum = 0;
        for (index = first; index < last; ++index) {
          const float q = std::clamp(roundHalfEven(row[index] * inverse), -127.0f, 127.0f);
          quantizedRow[index] = static_cast<int8_t>(q);
          blockSum += static_cast<int32_t>(q);
        }
        const float blockScale = absMax / 127.0f;
        blockScales[b] = blockScale;
        groupSums[b / w.blocksPerGroup] += blockScale * static_cast<float>(blockSum);
      }
      std::fill(quantizedRow + w.k, quantizedRow + w.paddedK, int8_t{0}); // padding reads as 0
    }
  });
  return a;
}

// ---- Execution -------------------------------------------------------------------

float silu(float v) { return v / (1.0f + std::exp(-v)); }

// out[m][n] for a tiled blob, plus bias.
void runTiled(const GroupKernels &kernels, const float *x, int64_t m, const PackedWeights &w,
              const float *bias, int32_t activation, float *out) {
  if (usesSgemm(activation, m)) {
    const int64_t ld = kSgemmTiles * kTileColumns;
    std::vector<float> slice(static_cast<size_t>(w.k * ld));
    for (int64_t firstTile = 0; firstTile < w.tiles; firstTile += kSgemmTiles) {
      const int64_t count = std::min(kSgemmTiles, w.tiles - firstTile);
      const int64_t firstColumn = firstTile * kTileColumns;
      const int64_t columns = std::min(count * kTileColumns, w.n - firstColumn);
      parallelFor(count, 1, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t)
          kernels.dequantizeTile(w, firstTile + t, slice.data() + t * kTileColumns, ld);
      });
      // out[:, firstColumn:+columns] = x . slice[:, :columns]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m),
                  static_cast<int>(columns), static_cast<int>(w.k), 1.0f, x,
                  static_cast<int>(w.k), slice.data(), static_cast<int>(ld), 0.0f,
                  out + firstColumn, static_cast<int>(w.n));
    }
    if (bias)
      parallelFor(m, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          for (int64_t j = 0; j < w.n; ++j)
            out[i * w.n + j] += bias[j];
      });
    return;
  }
  const PreparedActivations &a = prepareActivations(x, m, w, activation);
  const TileKernel kernel = activation == AWQ_GROUP_ACT_INT8 ? kernels.int8Tile : kernels.f32Tile;
  parallelFor(w.tiles, kTileGrain, [&](int64_t begin, int64_t end) {
    std::vector<float> tileOut(static_cast<size_t>(m * kTileColumns));
    for (int64_t tile = begin; tile < end; ++tile) {
      kernel(w, a, tile, 0, m, tileOut.data());
      const int64_t first = tile * kTileColumns;
      const int64_t columns = std::min(kTileColumns, w.n - first);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < columns; ++c)
          out[i * w.n + first + c] = tileOut[i * kTileColumns + c] + (bias ? bias[first + c] : 0.0f);
    }
  });
}

// out = SiLU(x . gate^T) * (x . up^T) for two tiled blobs of the same shape.
void runTiledGateUp(const GroupKernels &kernels, const float *x, int64_t m,
                    const PackedWeights &gate, const PackedWeights &up, int32_t activation,
                    float *out) {
  const int64_t n = gate.n;
  if (usesSgemm(activation, m)) {
    // Many rows: each weight through the sgemm path, then combine (two [m, n] buffers).
    std::vector<float> gateOut(static_cast<size_t>(m * n)), upOut(static_cast<size_t>(m * n));
    runTiled(kernels, x, m, gate, nullptr, activation, gateOut.data());
    runTiled(kernels, x, m, up, nullptr, activation, upOut.data());
    parallelFor(m * n, kElementwiseGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        out[i] = silu(gateOut[i]) * upOut[i];
    });
    return;
  }
  const PreparedActivations &a = prepareActivations(x, m, gate, activation);
  const TileKernel kernel = activation == AWQ_GROUP_ACT_INT8 ? kernels.int8Tile : kernels.f32Tile;
  parallelFor(gate.tiles, kTileGrain, [&](int64_t begin, int64_t end) {
    std::vector<float> gateTile(static_cast<size_t>(m * kTileColumns)), upTile(gateTile.size());
    for (int64_t tile = begin; tile < end; ++tile) {
      kernel(gate, a, tile, 0, m, gateTile.data());
      kernel(up, a, tile, 0, m, upTile.data());
      const int64_t first = tile * kTileColumns;
      const int64_t columns = std::min(kTileColumns, n - first);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < columns; ++c)
          out[i * n + first + c] = silu(gateTile[i * kTileColumns + c]) * upTile[i * kTileColumns + c];
    }
  });
}

RowMajorGroupWeights rowMajorView(const PackedWeights &w) {
  return {w.rowCodes, w.rowScales, AWQ_F32, w.rowZeros, w.bits, w.groupSize, w.k, w.n};
}

// ---- Argument checks --------------------------------------------------------------

void checkActivation(int32_t activation) {
  if (activation != AWQ_GROUP_ACT_F32 && activation != AWQ_GROUP_ACT_INT8)
    raise("activation must be AWQ_GROUP_ACT_F32 (0) or AWQ_GROUP_ACT_INT8 (1), got %d",
          activation);
}

// Checks x against the blob and writes the output descriptor; returns the rows of x.
int64_t checkInput(const awq_tensor *x, const PackedWeights &w, awq_tensor *out) {
  checkDescriptor(x, "input");
  checkDtype(x, "input", AWQ_F32);
  if (x->rank < 1)
    raise("input must have rank >= 1");
  if (x->shape[x->rank - 1] != w.k)
    raise("input has %lld features but the weights have K = %lld",
          static_cast<long long>(x->shape[x->rank - 1]), static_cast<long long>(w.k));
  Shape outShape = shapeOf(x);
  outShape.back() = w.n;
  setOutput(out, AWQ_F32, outShape);
  return numel(x) / w.k;
}

void checkBias(const awq_tensor *bias, int64_t n) {
  if (!bias)
    return;
  checkDescriptor(bias, "bias");
  checkFloatDtype(bias, "bias");
  if (numel(bias) != n)
    raise("bias has %lld elements, expected N = %lld", static_cast<long long>(numel(bias)),
          static_cast<long long>(n));
}

void checkSameWeights(const PackedWeights &gate, const PackedWeights &up) {
  if (gate.k != up.k || gate.n != up.n || gate.layout != up.layout)
    raise("gate (K = %lld, N = %lld, layout %d) and up (K = %lld, N = %lld, layout %d) differ",
          static_cast<long long>(gate.k), static_cast<long long>(gate.n), gate.layout,
          static_cast<long long>(up.k), static_cast<long long>(up.n), up.layout);
  if (gate.layout == AWQ_GROUP_LAYOUT_TILED_W4 && gate.groupSize != up.groupSize)
    raise("gate and up have different group sizes (%lld, %lld)",
          static_cast<long long>(gate.groupSize), static_cast<long long>(up.groupSize));
}

} // namespace

extern "C" {

int awq_group_isa_supported(int32_t isa) { return cpuSupports(isa) ? 1 : 0; }

awq_status awq_group_set_isa(int32_t isa) {
  return guard("awq_group_set_isa", [&] {
    if (isa < AWQ_GROUP_ISA_AUTO || isa > AWQ_GROUP_ISA_AVX512)
      raise("unknown isa %d", isa);
    if (!cpuSupports(isa))
      raise("this CPU cannot run the %s kernels", awq_group_isa_name(isa));
    forcedIsa.store(isa, std::memory_order_relaxed);
  });
}

int32_t awq_group_get_isa(void) { return selectedIsa(); }

const char *awq_group_isa_name(int32_t isa) {
  switch (isa) {
  case AWQ_GROUP_ISA_AUTO: return "auto";
  case AWQ_GROUP_ISA_SCALAR: return "scalar";
  case AWQ_GROUP_ISA_AVX2: return "avx2";
  case AWQ_GROUP_ISA_AVX512: return "avx512";
  default: return "invalid";
  }
}

awq_status awq_group_matmul_prepacked_shape(const awq_tensor *x, const awq_tensor *blob,
                                            const awq_tensor *bias, awq_tensor *out) {
  return guard("awq_group_matmul_prepacked_shape", [&] {
    const PackedWeights w = parseBlob(blob, "blob");
    checkInput(x, w, out);
    checkBias(bias, w.n);
  });
}

awq_status awq_group_matmul_prepacked(const awq_tensor *x, const awq_tensor *blob,
                                      const awq_tensor *bias, int32_t activation,
                                      awq_tensor *out) {
  return guard("awq_group_matmul_prepacked", [&] {
    checkActivation(activation);
    const PackedWeights w = parseBlob(blob, "blob");
    awq_tensor expected{};
    const int64_t m = checkInput(x, w, &expected);
    checkBias(bias, w.n);
    checkData(x, "input");
    checkOutput(expected, out);
    std::vector<float> biasValues;
    if (bias) {
      checkData(bias, "bias");
      biasValues.resize(static_cast<size_t>(w.n));
      widenToFloat(bias->data, bias->dtype, 0, w.n, biasValues.data());
    }
    const auto *input = static_cast<const float *>(x->data);
    auto *result = static_cast<float *>(out->data);
    const float *biasData = bias ? biasValues.data() : nullptr;
    if (m == 0)
      return;
    if (w.layout == AWQ_GROUP_LAYOUT_ROW_MAJOR)
      groupMatmulRowMajor(input, m, rowMajorView(w), biasData, result);
    else
      runTiled(kernelsFor(selectedIsa()), input, m, w, biasData, activation, result);
  });
}

awq_status awq_group_matmul_gate_up_silu_prepacked_shape(const awq_tensor *x,
                                                         const awq_tensor *gate_blob,
                                                         const awq_tensor *up_blob,
                                                         awq_tensor *out) {
  return guard("awq_group_matmul_gate_up_silu_prepacked_shape", [&] {
    const PackedWeights gate = parseBlob(gate_blob, "gate"), up = parseBlob(up_blob, "up");
    checkSameWeights(gate, up);
    checkInput(x, gate, out);
  });
}

awq_status awq_group_matmul_gate_up_silu_prepacked(const awq_tensor *x,
                                                   const awq_tensor *gate_blob,
                                                   const awq_tensor *up_blob, int32_t activation,
                                                   awq_tensor *out) {
  return guard("awq_group_matmul_gate_up_silu_prepacked", [&] {
    checkActivation(activation);
    const PackedWeights gate = parseBlob(gate_blob, "gate"), up = parseBlob(up_blob, "up");
    checkSameWeights(gate, up);
    awq_tensor expected{};
    const int64_t m = checkInput(x, gate, &expected);
    checkData(x, "input");
    checkOutput(expected, out);
    const auto *input = static_cast<const float *>(x->data);
    auto *result = static_cast<float *>(out->data);
    if (m == 0)
      return;
    if (gate.layout == AWQ_GROUP_LAYOUT_TILED_W4) {
      runTiledGateUp(kernelsFor(selectedIsa()), input, m, gate, up, activation, result);
      return;
    }
    std::vector<float> upOut(static_cast<size_t>(m * gate.n));
    groupMatmulRowMajor(input, m, rowMajorView(gate), nullptr, result);
    groupMatmulRowMajor(input, m, rowMajorView(up), nullptr, upOut.data());
    parallelFor(m * gate.n, kElementwiseGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        result[i] = silu(result[i]) * upOut[i];
    });
  });
}

} // extern "C"
