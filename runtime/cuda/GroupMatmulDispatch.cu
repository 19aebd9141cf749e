// GroupMatmulDispatch.cu - the C entry points of the group matmul: argument
// checks, then the kernel for this M (GEMV, tensor cores, or dequantize +
// cuBLAS for row-chunk blobs; mma tiles or dequantize + cuBLAS for mma-tile
// blobs), and the fused gate/up SiLU.
#include "CublasGemm.h"
#include "GroupMatmulKernels.cuh"

namespace awq::cuda {
namespace {

enum class Path { ByRows = 0, Gemv = 1, TensorCore = 2, DequantizeCublas = 3, MmaTiles = 4 };
constexpr int32_t kLastPath = 4;

void checkInfo(const awq_cuda_group_weights_info *info) {
  if (!info)
    awq::rt::raise("blob_info is null (read it with awq_cuda_group_weights_get_info)");
  const bool sane = (info->bits == 4 || info->bits == 8) &&
                    (info->scale_dtype == AWQ_F16 || info->scale_dtype == AWQ_BF16) &&
                    info->k > 0 && info->n >= 0 &&
                    (info->layout == kLayoutRowChunks ||
                     (info->layout == kLayoutMmaTiles && info->bits == 4)) &&
                    info->k_padded == (info->layout == kLayoutMmaTiles
                                           ? mmaTilesKPadded(info->k)
                                           : rowChunksKPadded(info->k)) &&
                    info->groups > 0 &&
                    info->codes_offset > 0 && info->codes_offset % 16 == 0;
  if (!sane)
    awq::rt::raise("blob_info is inconsistent (not filled by awq_cuda_group_weights_get_info?)");
}

int64_t dequantizedBytes(const awq_cuda_group_weights_info &info) {
  return alignUp(info.n * info.k * 2, kBlobArrayAlignment);
}

Path choosePath(const awq_cuda_group_weights_info &info, int64_t m) {
  if (info.layout == kLayoutMmaTiles)
    return m <= kMmaMaxRows ? Path::MmaTiles : Path::DequantizeCublas;
  if (m <= kGemvMaxRows)
    return Path::Gemv;
  if (m <= kTensorCoreMaxRows)
    return Path::TensorCore;
  return Path::DequantizeCublas;
}

// Workspace the path needs: the dequantized weight for cuBLAS, the split-K
// partial sums for the tensor cores, none for the GEMV.
int64_t workspaceBytesFor(Path path, const awq_cuda_group_weights_info &info, int64_t m) {
  switch (path) {
  case Path::Gemv:
  case Path::MmaTiles: return 0;
  case Path::TensorCore: return groupGemmTensorCoreWorkspaceBytes(m, info.n, info.k_padded);
  default: return dequantizedBytes(info);
  }
}

void runGroupMatmul(Path path, const void *x, int64_t m, const void *blobDevice,
                    const awq_cuda_group_weights_info &info, const void *bias, void *y,
                    void *workspace, cudaStream_t stream) {
  if (path == Path::ByRows)
    path = choosePath(info, m);
  const bool tiles = info.layout == kLayoutMmaTiles;
  if ((path == Path::Gemv || path == Path::TensorCore) && tiles)
    awq::rt::raise("path %d reads the row-chunk layout; this blob has mma tiles (pack it with "
                   "AWQ_CUDA_LAYOUT_ROW_CHUNKS, or take path 4)",
                   static_cast<int>(path));
  if (path == Path::MmaTiles && !tiles)
    awq::rt::raise("path 4 reads the mma-tile layout; this blob has row chunks (pack it with "
                   "AWQ_CUDA_LAYOUT_MMA_TILES)");
  if (path == Path::Gemv && m > kGemvMaxRows)
    awq::rt::raise("the GEMV path takes at most %lld rows (M = %lld)",
                   static_cast<long long>(kGemvMaxRows), static_cast<long long>(m));
  if (path == Path::MmaTiles && m > kMmaMaxRows)
    awq::rt::raise("the mma-tile path takes at most %lld rows (M = %lld)",
                   static_cast<long long>(kMmaMaxRows), static_cast<long long>(m));
  if (reinterpret_cast<uintptr_t>(blobDevice) % 16 != 0)
    awq::rt::raise("blob_device must be 16-byte aligned (cudaMalloc gives 256)");
  const int64_t workspaceBytes = workspaceBytesFor(path, info, m);
  if (workspaceBytes > 0 && !workspace)
    awq::rt::raise("M = %lld needs a workspace of %lld bytes "
                   "(awq_cuda_group_matmul_workspace_bytes)",
                   static_cast<long long>(m), static_cast<long long>(workspaceBytes));
  const GroupWeightsView weights = viewOf(blobDevice, info);
  dispatchHalfDtype(info.scale_dtype, "the blob's dtype", [&](auto tag) {
    using T = decltype(tag);
    const T *activations = static_cast<const T *>(x);
    const T *biasValues = static_cast<const T *>(bias);
    T *out = static_cast<T *>(y);
    switch (path) {
    case Path::Gemv:
      launchGroupGemv<T, T>(activations, m, weights, nullptr, biasValues, out, stream);
      break;
    case Path::TensorCore:
      launchGroupGemmTensorCore<T>(activations, m, weights, biasValues, out, workspace, stream);
      break;
    case Path::MmaTiles:
      launchGroupMatmulMma<T>(activations, m, weights, nullptr, biasValues, out, stream);
      break;
    default: {
      T *dequantized = static_cast<T *>(workspace);
      launchGroupDequantize<T>(weights, dequantized, stream);
      gemmRowMajorTransposedWeight(info.scale_dtype, activations, m, dequantized, info.n, info.k,
                                   bias, out, stream);
    }
    }
  });
}

} // namespace
} // namespace awq::cuda

using namespace awq::cuda;

extern "C" int64_t awq_cuda_group_matmul_workspace_bytes(
    const awq_cuda_group_weights_info *blob_info, int64_t m) {
  if (!blob_info || m <= 0)
    return 0;
  return workspaceBytesFor(choosePath(*blob_info, m), *blob_info, m);
}

extern "C" int32_t awq_cuda_group_matmul_dispatched_path(
    const awq_cuda_group_weights_info *blob_info, int64_t m) {
  if (!blob_info || m <= 0)
    return 0;
  return static_cast<int32_t>(choosePath(*blob_info, m));
}

extern "C" int64_t awq_cuda_group_matmul_path_workspace_bytes(
    int32_t path, const awq_cuda_group_weights_info *blob_info, int64_t m) {
  if (!blob_info || m <= 0 || path < 0 || path > kLastPath)
    return 0;
  const Path chosen = path == 0 ? choosePath(*blob_info, m) : static_cast<Path>(path);
  return workspaceBytesFor(chosen, *blob_info, m);
}

extern "C" awq_status awq_cuda_group_matmul_path(int32_t path, const void *x, int64_t m,
                                                 const void *blob_device,
                                                 const awq_cuda_group_weights_info *blob_info,
                                                 const void *bias, void *y, void *workspace,
                                                 void *stream) {
  return awq::rt::guard("awq_cuda_group_matmul", [&] {
    if (path < 0 || path > kLastPath)
      awq::rt::raise("path must be 0 (by M), 1 (GEMV), 2 (tensor cores), 3 (dequantize + "
                     "cuBLAS) or 4 (mma tiles); got %d",
                     path);
    checkInfo(blob_info);
    if (m < 0)
      awq::rt::raise("M must be >= 0 (M = %lld)", static_cast<long long>(m));
    if (m == 0 || blob_info->n == 0)
      return;
    if (!x || !blob_device || !y)
      awq::rt::raise("x, blob_device and y must be non-null device pointers");
    runGroupMatmul(static_cast<Path>(path), x, m, blob_device, *blob_info, bias, y, workspace,
                   asStream(stream));
  });
}

extern "C" awq_status awq_cuda_group_matmul(const void *x, int64_t m, const void *blob_device,
                                            const awq_cuda_group_weights_info *blob_info,
                                            const void *bias, void *y, void *workspace,
                                            void *stream) {
  return awq_cuda_group_matmul_path(0, x, m, blob_device, blob_info, bias, y, workspace, stream);
}

namespace {
// Whether gate and up run as one fused kernel for this blob and M.
bool gateUpFused(const awq_cuda_group_weights_info &info, int64_t m) {
  return info.layout == kLayoutMmaTiles ? m <= kMmaMaxRows : m <= kGemvMaxRows;
}
} // namespace

extern "C" int64_t awq_cuda_gate_up_silu_workspace_bytes(
    const awq_cuda_group_weights_info *blob_info, int64_t m) {
  if (!blob_info || gateUpFused(*blob_info, m))
    return 0;
  // gate and up results, then whatever one group matmul needs.
  return 2 * alignUp(m * blob_info->n * 2, kBlobArrayAlignment) +
         awq_cuda_group_matmul_workspace_bytes(blob_info, m);
}

extern "C" awq_status awq_cuda_gate_up_silu(const void *x, int64_t m,
                                            const void *gate_blob_device,
                                            const void *up_blob_device,
                                            const awq_cuda_group_weights_info *blob_info, void *y,
                                            void *workspace, void *stream) {
  return awq::rt::guard("awq_cuda_gate_up_silu", [&] {
    checkInfo(blob_info);
    if (m < 0)
      awq::rt::raise("M must be >= 0 (M = %lld)", static_cast<long long>(m));
    if (m == 0 || blob_info->n == 0)
      return;
    if (!x || !gate_blob_device || !up_blob_device || !y)
      awq::rt::raise("x, both blobs and y must be non-null device pointers");
    const cudaStream_t cudaStream = asStream(stream);
    if (gateUpFused(*blob_info, m)) {
      if (reinterpret_cast<uintptr_t>(gate_blob_device) % 16 != 0 ||
          reinterpret_cast<uintptr_t>(up_blob_device) % 16 != 0)
        awq::rt::raise("blobs must be 16-byte aligned (cudaMalloc gives 256)");
      const GroupWeightsView gate = viewOf(gate_blob_device, *blob_info);
      const GroupWeightsView up = viewOf(up_blob_device, *blob_info);
      dispatchHalfDtype(blob_info->scale_dtype, "the blob's dtype", [&](auto tag) {
        using T = decltype(tag);
        const T *activations = static_cast<const T *>(x);
        if (blob_info->layout == kLayoutMmaTiles)
          launchGroupMatmulMma<T>(activations, m, gate, &up, nullptr, static_cast<T *>(y),
                                  cudaStream);
        else
          launchGroupGemv<T, T>(activations, m, gate, &up, nullptr, static_cast<T *>(y),
                             cudaStream);
      });
      return;
    }
    if (!workspace)
      awq::rt::raise("M = %lld needs a workspace of %lld bytes "
                     "(awq_cuda_gate_up_silu_workspace_bytes)",
                     static_cast<long long>(m),
                     static_cast<long long>(awq_cuda_gate_up_silu_workspace_bytes(blob_info, m)));
    auto *bytes = static_cast<uint8_t *>(workspace);
    const int64_t resultBytes = alignUp(m * blob_info->n * 2, kBlobArrayAlignment);
    void *gateOut = bytes;
    void *upOut = bytes + resultBytes;
    void *matmulWorkspace = bytes + 2 * resultBytes;
    runGroupMatmul(Path::ByRows, x, m, gate_blob_device, *blob_info, nullptr, gateOut,
                   matmulWorkspace, cudaStream);
    runGroupMatmul(Path::ByRows, x, m, up_blob_device, *blob_info, nullptr, upOut,
                   matmulWorkspace, cudaStream);
    if (awq_cuda_silu_mul(gateOut, upOut, m * blob_info->n, blob_info->scale_dtype, y, stream) !=
        0)
      awq::rt::raise("%s", awq_last_error());
  });
}

namespace {
// The checks the f32-output entries share, then the GEMV with f32 stores
// (upBlob: the fused gate/up, gateBlob then the gate's).
void runGemvWithF32Output(const char *entry, bool gateUp, const float *x, int64_t m,
                          const void *gateBlob, const void *upBlob,
                          const awq_cuda_group_weights_info *info, const float *bias, float *y,
                          void *stream) {
  checkInfo(info);
  if (m < 0)
    awq::rt::raise("M must be >= 0 (M = %lld)", static_cast<long long>(m));
  if (m == 0 || info->n == 0)
    return;
  if (!awq_cuda_group_matmul_serves_f32(info, m))
    awq::rt::raise("%s serves the GEMV only (row-chunk blobs, M <= %lld; M = %lld%s): cast x "
                   "and y around awq_cuda_group_matmul instead",
                   entry, static_cast<long long>(kGemvMaxRows), static_cast<long long>(m),
                   info->layout == kLayoutMmaTiles ? ", mma-tile blob" : "");
  if (!x || !gateBlob || !y || (gateUp && !upBlob))
    awq::rt::raise("x, %s and y must be non-null device pointers",
                   gateUp ? "both blobs" : "blob_device");
  if (reinterpret_cast<uintptr_t>(gateBlob) % 16 != 0 ||
      (upBlob && reinterpret_cast<uintptr_t>(upBlob) % 16 != 0))
    awq::rt::raise("blobs must be 16-byte aligned (cudaMalloc gives 256)");
  const GroupWeightsView weights = viewOf(gateBlob, *info);
  const GroupWeightsView up = gateUp ? viewOf(upBlob, *info) : weights;
  dispatchHalfDtype(info->scale_dtype, "the blob's dtype", [&](auto tag) {
    using T = decltype(tag);
    launchGroupGemv<T, float>(x, m, weights, gateUp ? &up : nullptr,
                              bias, y, asStream(stream));
  });
}
} // namespace

extern "C" int32_t awq_cuda_group_matmul_serves_f32(const awq_cuda_group_weights_info *blob_info,
                                                    int64_t m) {
  return blob_info && m > 0 && choosePath(*blob_info, m) == Path::Gemv ? 1 : 0;
}

extern "C" awq_status awq_cuda_group_matmul_f32(const float *x, int64_t m,
                                                    const void *blob_device,
                                                    const awq_cuda_group_weights_info *blob_info,
                                                    const float *bias, float *y, void *stream) {
  return awq::rt::guard("awq_cuda_group_matmul_f32", [&] {
    runGemvWithF32Output("awq_cuda_group_matmul_f32", false, x, m, blob_device, nullptr,
                         blob_info, bias, y, stream);
  });
}

extern "C" awq_status awq_cuda_gate_up_silu_f32(const float *x, int64_t m,
                                                    const void *gate_blob_device,
                                                    const void *up_blob_device,
                                                    const awq_cuda_group_weights_info *blob_info,
                                                    float *y, void *stream) {
  return awq::rt::guard("awq_cuda_gate_up_silu_f32", [&] {
    runGemvWithF32Output("awq_cuda_gate_up_silu_f32", true, x, m, gate_blob_device,
                         up_blob_device, blob_info, nullptr, y, stream);
  });
}
