// GroupWeightsPack.cpp - host-side repack of canonical group-quantized weights
// into the CUDA kernels' blob, its header reader, and the inverse (for tests
// and exporters). Plain C++: runs without a GPU.
#include "GroupWeightsLayout.h"
#include "RuntimeInternal.h"
#include "awq_cuda.h"

#include <algorithm>
#include <cstring>

using namespace awq::rt;
using awq::cuda::GroupBlobHeader;

namespace {

struct BlobLayout {
  int64_t codesOffset, scalesOffset, zerosOffset, totalBytes;
};

// Rows the arrays hold: N, or N padded to whole tiles.
int64_t storedRows(int32_t codeLayout, int64_t n) {
  return codeLayout == awq::cuda::kLayoutMmaTiles ? awq::cuda::mmaTilesNPadded(n) : n;
}

int64_t kPaddedFor(int32_t codeLayout, int64_t k) {
  return codeLayout == awq::cuda::kLayoutMmaTiles ? awq::cuda::mmaTilesKPadded(k)
                                                  : awq::cuda::rowChunksKPadded(k);
}

BlobLayout layoutOf(int32_t bits, int32_t codeLayout, int64_t rows, int64_t kPadded,
                    int64_t groups, bool hasZeros) {
  using awq::cuda::alignUp;
  const int64_t n = storedRows(codeLayout, rows);
  BlobLayout layout{};
  layout.codesOffset = alignUp(awq::cuda::kBlobHeaderBytes, awq::cuda::kBlobArrayAlignment);
  const int64_t codeBytes = n * (kPadded * bits / 8);
  layout.scalesOffset = alignUp(layout.codesOffset + codeBytes, awq::cuda::kBlobArrayAlignment);
  const int64_t scaleBytes = n * groups * 2;
  layout.zerosOffset = alignUp(layout.scalesOffset + scaleBytes, awq::cuda::kBlobArrayAlignment);
  const int64_t zeroBytes = hasZeros ? n * groups : 0;
  layout.totalBytes = alignUp(layout.zerosOffset + zeroBytes, awq::cuda::kBlobArrayAlignment);
  return layout;
}

struct PackRequest {
  int64_t n, k, kPadded, groups;
  int32_t layout; // resolved: never AWQ_CUDA_LAYOUT_DEFAULT
};

int32_t resolveLayout(int32_t layout, int32_t bits) {
  // Row chunks until the mma-tile kernel has been run and timed on a GPU:
  // it was written and checked on the host in a session without one
  // (runtime/cuda/README.md, "Mma tiles").
  if (layout == AWQ_CUDA_LAYOUT_DEFAULT)
    return awq::cuda::kLayoutRowChunks;
  if (layout != AWQ_CUDA_LAYOUT_ROW_CHUNKS && layout != AWQ_CUDA_LAYOUT_MMA_TILES)
    raise("layout must be AWQ_CUDA_LAYOUT_DEFAULT (-1), _ROW_CHUNKS (0) or _MMA_TILES (1); got %d",
          layout);
  if (layout == AWQ_CUDA_LAYOUT_MMA_TILES && bits != 4)
    raise("the mma-tile layout holds 4-bit codes only (bits = %d)", bits);
  return layout;
}

// Validates the canonical inputs (same rules as awq_group_matmul plus the
// kernels' own: 4 or 8 bits, group size a multiple of 32 or >= K).
PackRequest checkPackInputs(const awq_tensor *qweight, const awq_tensor *scales,
                            const awq_tensor *zeros, int32_t bits, int64_t groupSize, int64_t k,
                            int32_t scaleDtype, int32_t requestedLayout) {
  if (bits != 4 && bits != 8)
    raise("the CUDA kernels take 4- or 8-bit weights (bits = %d)", bits);
  if (k <= 0)
    raise("k must be positive (k = %lld)", static_cast<long long>(k));
  if (groupSize <= 0)
    raise("group_size must be positive (group_size = %lld)", static_cast<long long>(groupSize));
  if (groupSize < k && groupSize % awq::cuda::kChunkInputs != 0)
    raise("the CUDA kernels need group_size a multiple of 32 or >= K (group_size = %lld, K = "
          "%lld)",
          static_cast<long long>(groupSize), static_cast<long long>(k));
  if (scaleDtype != AWQ_F16 && scaleDtype != AWQ_BF16)
    raise("scale_dtype (the activation dtype) must be f16 or bf16 (awq_dtype %d)", scaleDtype);
  const int32_t codeLayout = resolveLayout(requestedLayout, bits);
  checkDescriptor(qweight, "qweight");
  checkRank(qweight, "qweight", 2);
  if (qweight->dtype != AWQ_U8 && qweight->dtype != AWQ_I8)
    raise("qweight must be u8 or i8");
  const int64_t n = qweight->shape[0];
  const int64_t rowBytes = (k * bits + 7) / 8;
  if (qweight->shape[1] != rowBytes)
    raise("qweight %s does not hold K = %lld %d-bit codes per row (expected [N, %lld])",
          shapeString(qweight).c_str(), static_cast<long long>(k), bits,
          static_cast<long long>(rowBytes));
  const int64_t groups = (k + groupSize - 1) / groupSize;
  checkDescriptor(scales, "scales");
  checkFloatDtype(scales, "scales");
  if (scales->rank != 2 || scales->shape[0] != n || scales->shape[1] != groups)
    raise("scales %s must be [N, G] = [%lld, %lld]", shapeString(scales).c_str(),
          static_cast<long long>(n), static_cast<long long>(groups));
  if (zeros) {
    checkDescriptor(zeros, "zeros");
    if (zeros->dtype != AWQ_U8 && zeros->dtype != AWQ_I8)
      raise("zeros must be u8 or i8");
    if (zeros->rank != 2 || zeros->shape[0] != n || zeros->shape[1] != groups)
      raise("zeros %s must be [N, G] = [%lld, %lld]", shapeString(zeros).c_str(),
            static_cast<long long>(n), static_cast<long long>(groups));
  }
  if (n > 0) {
    checkData(qweight, "qweight");
    checkData(scales, "scales");
    if (zeros)
      checkData(zeros, "zeros");
  }
  return {n, k, kPaddedFor(codeLayout, k), groups, codeLayout};
}

// The bf16 mma kernel subtracts its magic number OR'd with the zero point
// (0x4300 | zero, 128 + zero) in one instruction; bf16 holds 128 + zero
// exactly only below 256, so zero points must be below 128 there (4-bit
// codes' real zero points are 0..15; the other paths take 0..255).
void checkBf16MmaZeros(const awq_tensor *zeros, int64_t n, int64_t groups) {
  const auto *zeroBytes = static_cast<const uint8_t *>(zeros->data);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t group = 0; group < groups; ++group)
      if (zeroBytes[row * groups + group] >= 128)
        raise("the mma-tile layout with bf16 scales takes zero points below 128; row %lld, "
              "group %lld has %u",
              static_cast<long long>(row), static_cast<long long>(group),
              static_cast<unsigned>(zeroBytes[row * groups + group]));
}

uint8_t codeAt(const uint8_t *row, int32_t bits, int64_t k) {
  return bits == 8 ? row[k] : static_cast<uint8_t>((row[k / 2] >> (4 * (k % 2))) & 0xF);
}

GroupBlobHeader readHeader(const void *blob, int64_t size) {
  if (!blob)
    raise("blob is null");
  if (size < awq::cuda::kBlobHeaderBytes)
    raise("blob of %lld bytes is shorter than its 64-byte header", static_cast<long long>(size));
  GroupBlobHeader header;
  std::memcpy(&header, blob, sizeof header);
  if (std::memcmp(header.magic, awq::cuda::kBlobMagic, 4) != 0)
    raise("not a CUDA group-weight blob (bad magic)");
  if (header.version != awq::cuda::kBlobVersion)
    raise("blob version %u is not supported (expected %u)", header.version,
          awq::cuda::kBlobVersion);
  const bool sane = (header.bits == 4 || header.bits == 8) &&
                    (header.scaleDtype == AWQ_F16 || header.scaleDtype == AWQ_BF16) &&
                    header.k > 0 && header.n >= 0 && header.groupSize > 0 &&
                    (header.layout == awq::cuda::kLayoutRowChunks ||
                     (header.layout == awq::cuda::kLayoutMmaTiles && header.bits == 4)) &&
                    header.kPadded == kPaddedFor(header.layout, header.k) &&
                    header.groups == (header.k + header.groupSize - 1) / header.groupSize &&
                    (header.groupSize >= header.k ||
                     header.groupSize % awq::cuda::kChunkInputs == 0) &&
                    (header.hasZeros == 0 || header.hasZeros == 1);
  if (!sane)
    raise("blob header is inconsistent (corrupt blob)");
  const BlobLayout layout = layoutOf(header.bits, header.layout, header.n, header.kPadded,
                                     header.groups, header.hasZeros);
  if (size < layout.totalBytes)
    raise("blob is truncated: %lld bytes, its header needs %lld", static_cast<long long>(size),
          static_cast<long long>(layout.totalBytes));
  return header;
}

// Where canonical code (row, input) goes in each layout, for the packer and
// its inverse: `visit(row, input, byteOffset, shift)` for every stored code
// (padding included: rows >= N or inputs >= K), with the code at bits
// [shift, shift + bits) of the 32-bit word at `byteOffset` in the codes array.
template <class Visit>
void forEachStoredCode(int32_t codeLayout, int32_t bits, int64_t n, int64_t kPadded,
                       Visit &&visit) {
  if (codeLayout == awq::cuda::kLayoutMmaTiles) {
    const int64_t rowTiles = awq::cuda::mmaTilesNPadded(n) / awq::cuda::kMmaTileRows;
    const int64_t quads = kPadded / awq::cuda::kMmaQuadInputs;
    int64_t byteOffset = 0;
    for (int64_t tile = 0; tile < rowTiles; ++tile)
      for (int64_t quad = 0; quad < quads; ++quad)
        for (int lane = 0; lane < 32; ++lane)
          for (int word = 0; word < 4; ++word, byteOffset += 4)
            for (int nibble = 0; nibble < 8; ++nibble) {
              const awq::cuda::MmaTileCoordinate at =
                  awq::cuda::mmaTileCoordinate(lane, word, nibble);
              visit(tile * awq::cuda::kMmaTileRows + at.rowInTile,
                    quad * awq::cuda::kMmaQuadInputs + at.inputInQuad, byteOffset, 4 * nibble);
            }
    return;
  }
  const int64_t inputsPerWord = 32 / bits;
  const int64_t rowBytes = kPadded * bits / 8;
  for (int64_t row = 0; row < n; ++row)
    for (int64_t base = 0; base < kPadded; base += inputsPerWord)
      for (int64_t position = 0; position < inputsPerWord; ++position)
        visit(row,
              base + (bits == 4 ? awq::cuda::kNibbleInput[position]
                                : awq::cuda::kByteInput[position]),
              row * rowBytes + base * bits / 8, static_cast<int>(position * bits));
}

// Index of (row, group) in the scales / zeros arrays of each layout.
int64_t groupParamIndex(int32_t codeLayout, int64_t groups, int64_t row, int64_t group) {
  if (codeLayout != awq::cuda::kLayoutMmaTiles)
    return row * groups + group;
  const int64_t tile = row / awq::cuda::kMmaTileRows, inTile = row % awq::cuda::kMmaTileRows;
  return ((tile * groups + group) * 8 + inTile % 8) * 2 + inTile / 8;
}

} // namespace

extern "C" awq_status awq_cuda_group_weights_pack_shape(const awq_tensor *qweight,
                                                        const awq_tensor *scales,
                                                        const awq_tensor *zeros, int32_t bits,
                                                        int64_t group_size, int64_t k,
                                                        int32_t scale_dtype, int32_t layout,
                                                        awq_tensor *blob) {
  return guard("awq_cuda_group_weights_pack_shape", [&] {
    if (!blob)
      raise("blob descriptor is null");
    const PackRequest request =
        checkPackInputs(qweight, scales, zeros, bits, group_size, k, scale_dtype, layout);
    const BlobLayout arrays = layoutOf(bits, request.layout, request.n, request.kPadded,
                                       request.groups, zeros != nullptr);
    setOutput(blob, AWQ_U8, {arrays.totalBytes});
  });
}

extern "C" awq_status awq_cuda_group_weights_pack(const awq_tensor *qweight,
                                                  const awq_tensor *scales,
                                                  const awq_tensor *zeros, int32_t bits,
                                                  int64_t group_size, int64_t k,
                                                  int32_t scale_dtype, int32_t layout,
                                                  awq_tensor *blob) {
  return guard("awq_cuda_group_weights_pack", [&] {
    const PackRequest request =
        checkPackInputs(qweight, scales, zeros, bits, group_size, k, scale_dtype, layout);
    const bool hasZeros = zeros != nullptr;
    const BlobLayout arrays =
        layoutOf(bits, request.layout, request.n, request.kPadded, request.groups, hasZeros);
    awq_tensor expected{};
    setOutput(&expected, AWQ_U8, {arrays.totalBytes});
    checkOutput(expected, blob);
    if (reinterpret_cast<uintptr_t>(blob->data) % 16 != 0)
      raise("blob must be at least 16-byte aligned");

    if (hasZeros && request.layout == awq::cuda::kLayoutMmaTiles && scale_dtype == AWQ_BF16)
      checkBf16MmaZeros(zeros, request.n, request.groups);

    auto *bytes = static_cast<uint8_t *>(blob->data);
    std::memset(bytes, 0, static_cast<size_t>(arrays.totalBytes));
    GroupBlobHeader header{};
    std::memcpy(header.magic, awq::cuda::kBlobMagic, 4);
    header.version = awq::cuda::kBlobVersion;
    header.bits = bits;
    header.scaleDtype = scale_dtype;
    header.groupSize = group_size;
    header.k = k;
    header.n = request.n;
    header.kPadded = request.kPadded;
    header.groups = request.groups;
    header.hasZeros = hasZeros ? 1 : 0;
    header.layout = request.layout;
    std::memcpy(bytes, &header, sizeof header);

    const int64_t n = request.n, groups = request.groups;
    const int64_t groupSizeEff = awq::cuda::effectiveGroupSize(group_size, k, request.kPadded);
    const int64_t rowBytesIn = (k * bits + 7) / 8;
    const auto *qweightBytes = static_cast<const uint8_t *>(qweight->data);
    const auto *zeroBytes = hasZeros ? static_cast<const uint8_t *>(zeros->data) : nullptr;
    const uint8_t implicitZero = static_cast<uint8_t>(1u << (bits - 1));
    uint8_t *codes = bytes + arrays.codesOffset;
    forEachStoredCode(request.layout, bits, n, request.kPadded,
                      [&](int64_t row, int64_t input, int64_t byteOffset, int shift) {
                        if (row >= n)
                          return; // a padding row: code 0 with scale 0
                        // Padding inputs take their group's zero point (the
                        // last group's past it): they dequantize to 0.
                        const int64_t group = std::min(input / groupSizeEff, groups - 1);
                        const uint8_t code = input < k ? codeAt(qweightBytes + row * rowBytesIn,
                                                                bits, input)
                                             : hasZeros ? zeroBytes[row * groups + group]
                                                        : implicitZero;
                        uint32_t word;
                        std::memcpy(&word, codes + byteOffset, 4);
                        word |= static_cast<uint32_t>(code) << shift;
                        std::memcpy(codes + byteOffset, &word, 4);
                      });
    auto *scaleOut = reinterpret_cast<uint16_t *>(bytes + arrays.scalesOffset);
    uint8_t *zeroOut = bytes + arrays.zerosOffset;
    for (int64_t row = 0; row < n; ++row)
      for (int64_t group = 0; group < groups; ++group) {
        const int64_t in = row * groups + group;
        const int64_t out = groupParamIndex(request.layout, groups, row, group);
        const float scale = loadFloat(scales->data, scales->dtype, in);
        scaleOut[out] = scale_dtype == AWQ_F16 ? awq_f32_to_f16(scale) : awq_f32_to_bf16(scale);
        if (hasZeros)
          zeroOut[out] = zeroBytes[in];
      }
  });
}

extern "C" awq_status awq_cuda_group_weights_get_info(const void *blob, int64_t size,
                                                      awq_cuda_group_weights_info *info) {
  return guard("awq_cuda_group_weights_get_info", [&] {
    if (!info)
      raise("info is null");
    const GroupBlobHeader header = readHeader(blob, size);
    const BlobLayout arrays = layoutOf(header.bits, header.layout, header.n, header.kPadded,
                                       header.groups, header.hasZeros);
    info->bits = header.bits;
    info->scale_dtype = header.scaleDtype;
    info->group_size = header.groupSize;
    info->k = header.k;
    info->n = header.n;
    info->k_padded = header.kPadded;
    info->groups = header.groups;
    info->has_zeros = header.hasZeros;
    info->layout = header.layout;
    info->codes_offset = arrays.codesOffset;
    info->scales_offset = arrays.scalesOffset;
    info->zeros_offset = arrays.zerosOffset;
    info->total_bytes = arrays.totalBytes;
  });
}

extern "C" awq_status awq_cuda_group_weights_unpack(const void *blob, int64_t size,
                                                    awq_tensor *qweight, awq_tensor *scales,
                                                    awq_tensor *zeros) {
  return guard("awq_cuda_group_weights_unpack", [&] {
    const GroupBlobHeader header = readHeader(blob, size);
    const BlobLayout arrays = layoutOf(header.bits, header.layout, header.n, header.kPadded,
                                       header.groups, header.hasZeros);
    const int32_t bits = header.bits;
    const int64_t n = header.n, k = header.k, groups = header.groups;
    const int64_t rowBytesOut = (k * bits + 7) / 8;
    awq_tensor expected{};
    setOutput(&expected, AWQ_U8, {n, rowBytesOut});
    checkOutput(expected, qweight);
    setOutput(&expected, AWQ_F32, {n, groups});
    checkOutput(expected, scales);
    if (header.hasZeros) {
      setOutput(&expected, AWQ_U8, {n, groups});
      checkOutput(expected, zeros);
    }
    const auto *bytes = static_cast<const uint8_t *>(blob);
    auto *codesOut = static_cast<uint8_t *>(qweight->data);
    std::memset(codesOut, 0, static_cast<size_t>(n * rowBytesOut));
    const uint8_t *codes = bytes + arrays.codesOffset;
    forEachStoredCode(header.layout, bits, n, header.kPadded,
                      [&](int64_t row, int64_t input, int64_t byteOffset, int shift) {
                        if (row >= n || input >= k)
                          return;
                        uint32_t word;
                        std::memcpy(&word, codes + byteOffset, 4);
                        const auto code =
                            static_cast<uint8_t>((word >> shift) & ((1u << bits) - 1));
                        uint8_t *out = codesOut + row * rowBytesOut;
                        if (bits == 8)
                          out[input] = code;
                        else
                          out[input / 2] |= static_cast<uint8_t>(code << (4 * (input % 2)));
                      });
    const auto *scaleIn = reinterpret_cast<const uint16_t *>(bytes + arrays.scalesOffset);
    const uint8_t *zeroIn = bytes + arrays.zerosOffset;
    auto *scaleOut = static_cast<float *>(scales->data);
    auto *zeroOut = header.hasZeros ? static_cast<uint8_t *>(zeros->data) : nullptr;
    for (int64_t row = 0; row < n; ++row)
      for (int64_t group = 0; group < groups; ++group) {
        const int64_t stored = groupParamIndex(header.layout, groups, row, group);
        const uint16_t scale = scaleIn[stored];
        scaleOut[row * groups + group] = header.scaleDtype == AWQ_F16 ? awq_f16_to_f32(scale)
                                                                      : awq_bf16_to_f32(scale);
        if (zeroOut)
          zeroOut[row * groups + group] = zeroIn[stored];
      }
  });
}
