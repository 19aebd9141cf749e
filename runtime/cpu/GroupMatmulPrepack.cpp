// GroupMatmulPrepack.cpp - row_major group weights <-> the self-describing blob the
// fast kernels read (layout described in GroupMatmulKernels.h).
//
// Prepacking runs once per weight at compile time, so it favours clarity over
// speed: every code goes through readCode/tiledCode one at a time.
#include "GroupMatmulKernels.h"

using namespace awq::rt;

namespace awq::rt {

namespace {
int64_t alignUp(int64_t bytes, int64_t alignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

// Bits 4 with whole-block groups (or one group) tile; everything else stays row_major.
int32_t chooseLayout(int32_t bits, int64_t groupSize, int64_t k) {
  const bool wholeBlockGroups = groupSize % kBlockK == 0 || groupSize >= k;
  return bits == 4 && wholeBlockGroups ? AWQ_GROUP_LAYOUT_TILED_W4 : AWQ_GROUP_LAYOUT_ROW_MAJOR;
}
} // namespace

BlobSizes blobSizes(int32_t bits, int64_t groupSize, int64_t k, int64_t n, bool hasZeros) {
  const int64_t groups = groupCount(k, groupSize);
  BlobSizes sizes{};
  sizes.layout = chooseLayout(bits, groupSize, k);
  int64_t codeBytes, paramCount;
  if (sizes.layout == AWQ_GROUP_LAYOUT_TILED_W4) {
    const int64_t tiles = (n + kTileColumns - 1) / kTileColumns;
    codeBytes = tiles * (alignUp(k, kBlockK) / kBlockK) * kBlockBytes;
    paramCount = tiles * groups * kTileColumns;
  } else {
    codeBytes = n * packedRowBytes(k, bits);
    paramCount = n * groups;
  }
  sizes.codesOffset = kBlobHeaderBytes;
  sizes.scalesOffset = alignUp(sizes.codesOffset + codeBytes, kBlobAlignment);
  sizes.zerosOffset = alignUp(sizes.scalesOffset + paramCount * 4, kBlobAlignment);
  sizes.totalBytes = hasZeros ? alignUp(sizes.zerosOffset + paramCount, kBlobAlignment)
                              : sizes.zerosOffset;
  return sizes;
}

PackedWeights parseBlob(const awq_tensor *blob, const char *role) {
  checkData(blob, role);
  if (blob->dtype != AWQ_U8 || blob->rank != 1)
    raise("%s must be a u8 [bytes] blob from awq_group_weights_prepack, got %s %s", role,
          awq_dtype_name(blob->dtype), shapeString(blob).c_str());
  if (reinterpret_cast<uintptr_t>(blob->data) % 4 != 0)
    raise("%s data must be at least 4-byte aligned", role);
  const auto *bytes = static_cast<const uint8_t *>(blob->data);
  BlobHeader header;
  if (blob->shape[0] < kBlobHeaderBytes)
    raise("%s has %lld bytes, less than a header", role, static_cast<long long>(blob->shape[0]));
  std::memcpy(&header, bytes, sizeof header);
  if (std::memcmp(header.magic, kBlobMagic, 4) != 0)
    raise("%s is not a prepacked group weight (bad magic)", role);
  if (header.version != kBlobVersion)
    raise("%s has blob version %u, this runtime reads %u", role, header.version, kBlobVersion);
  checkQuantization(header.bits, header.groupSize);
  if (header.k < 1 || header.n < 1)
    raise("%s has invalid K = %lld, N = %lld", role, static_cast<long long>(header.k),
          static_cast<long long>(header.n));
  const BlobSizes sizes =
      blobSizes(header.bits, header.groupSize, header.k, header.n, header.hasZeros != 0);
  if (static_cast<int32_t>(header.layout) != sizes.layout ||
      static_cast<int64_t>(header.totalBytes) != sizes.totalBytes ||
      blob->shape[0] != sizes.totalBytes)
    raise("%s is inconsistent: header says layout %u and %llu bytes, shape %s, expected layout "
          "%d and %lld bytes",
          role, header.layout, static_cast<unsigned long long>(header.totalBytes),
          shapeString(blob).c_str(), sizes.layout, static_cast<long long>(sizes.totalBytes));

  PackedWeights w;
  w.layout = sizes.layout;
  w.bits = header.bits;
  w.groupSize = header.groupSize;
  w.k = header.k;
  w.n = header.n;
  w.groups = groupCount(w.k, w.groupSize);
  w.hasZeros = header.hasZeros != 0;
  const auto *scales = reinterpret_cast<const float *>(bytes + sizes.scalesOffset);
  const uint8_t *zeros = w.hasZeros ? bytes + sizes.zerosOffset : nullptr;
  if (w.layout == AWQ_GROUP_LAYOUT_TILED_W4) {
    w.tiles = (w.n + kTileColumns - 1) / kTileColumns;
    w.paddedK = alignUp(w.k, kBlockK);
    w.blocks = w.paddedK / kBlockK;
    w.blocksPerGroup = w.groups == 1 ? w.blocks : w.groupSize / kBlockK;
    w.codes = bytes + sizes.codesOffset;
    w.scales = scales;
    w.zeros = zeros;
  } else {
    w.rowCodes = bytes + sizes.codesOffset;
    w.rowScales = scales;
    w.rowZeros = zeros;
  }
  return w;
}

} // namespace awq::rt

namespace {


// Writes the tiled sections: codes block by block, parameters per tile and group.
void writeTiled(const PackedWeights &w, const uint8_t *rowCodes, int64_t rowBytes,
                const float *scales, const uint8_t *zeros, uint8_t *codesOut, float *scalesOut,
                uint8_t *zerosOut) {
  parallelFor(w.tiles, 1, [&](int64_t begin, int64_t end) {
    for (int64_t tile = begin; tile < end; ++tile) {
      uint8_t *tileCodes = codesOut + tile * w.tileCodeBytes();
      for (int64_t c = 0; c < kTileColumns; ++c) {
        const int64_t column = tile * kTileColumns + c;
        if (column >= w.n)
          break; // padding columns keep zero codes, zero scales
        for (int64_t index = 0; index < w.k; ++index) {
          const int64_t block = index / kBlockK, r = index % kBlockK;
          const int64_t quad = r / 8, within = r % 8;
          const uint8_t code = readCode(rowCodes + column * rowBytes, index, w.bits);
          tileCodes[block * kBlockBytes + quad * kQuadBytes + c * 4 + within % 4] |=
              static_cast<uint8_t>(within < 4 ? code : code << 4);
        }
        for (int64_t g = 0; g < w.groups; ++g) {
          const int64_t slot = (tile * w.groups + g) * kTileColumns + c;
          scalesOut[slot] = scales[column * w.groups + g];
          if (zerosOut)
            zerosOut[slot] = zeros[column * w.groups + g];
        }
      }
    }
  });
}

} // namespace

extern "C" {

awq_status awq_group_weights_prepack_shape(const awq_tensor *qweight, const awq_tensor *scales,
                                           const awq_tensor *zeros, int32_t bits,
                                           int64_t group_size, int64_t k, awq_tensor *blob) {
  return guard("awq_group_weights_prepack_shape", [&] {
    const PackedWeightShape in = checkPackedWeight(qweight, scales, zeros, bits, group_size, k);
    setOutput(blob, AWQ_U8, {blobSizes(bits, group_size, k, in.n, zeros != nullptr).totalBytes});
  });
}

awq_status awq_group_weights_prepack(const awq_tensor *qweight, const awq_tensor *scales,
                                     const awq_tensor *zeros, int32_t bits, int64_t group_size,
                                     int64_t k, awq_tensor *blob) {
  return guard("awq_group_weights_prepack", [&] {
    const PackedWeightShape in = checkPackedWeight(qweight, scales, zeros, bits, group_size, k);
    const BlobSizes sizes = blobSizes(bits, group_size, k, in.n, zeros != nullptr);
    awq_tensor expected{};
    setOutput(&expected, AWQ_U8, {sizes.totalBytes});
    checkData(qweight, "qweight");
    checkData(scales, "scales");
    if (zeros)
      checkData(zeros, "zero_points");
    checkOutput(expected, blob);
    if (reinterpret_cast<uintptr_t>(blob->data) % 4 != 0)
      raise("blob data must be at least 4-byte aligned");

    auto *bytes = static_cast<uint8_t *>(blob->data);
    std::memset(bytes, 0, static_cast<size_t>(sizes.totalBytes));
    BlobHeader header{};
    std::memcpy(header.magic, kBlobMagic, 4);
    header.version = kBlobVersion;
    header.layout = static_cast<uint32_t>(sizes.layout);
    header.bits = bits;
    header.groupSize = group_size;
    header.k = k;
    header.n = in.n;
    header.hasZeros = zeros ? 1 : 0;
    header.totalBytes = static_cast<uint64_t>(sizes.totalBytes);
    std::memcpy(bytes, &header, sizeof header);

    std::vector<float> scaleValues(static_cast<size_t>(in.n * in.groups));
    widenToFloat(scales->data, scales->dtype, 0, in.n * in.groups, scaleValues.data());
    const auto *rowCodes = static_cast<const uint8_t *>(qweight->data);
    const auto *zeroValues = zeros ? static_cast<const uint8_t *>(zeros->data) : nullptr;
    auto *scalesOut = reinterpret_cast<float *>(bytes + sizes.scalesOffset);
    uint8_t *zerosOut = zeros ? bytes + sizes.zerosOffset : nullptr;
    if (sizes.layout == AWQ_GROUP_LAYOUT_TILED_W4) {
      const PackedWeights w = parseBlob(blob, "blob");
      writeTiled(w, rowCodes, in.rowBytes, scaleValues.data(), zeroValues, bytes + sizes.codesOffset,
                 scalesOut, zerosOut);
    } else {
      std::memcpy(bytes + sizes.codesOffset, rowCodes, static_cast<size_t>(in.n * in.rowBytes));
      std::memcpy(scalesOut, scaleValues.data(), scaleValues.size() * sizeof(float));
      if (zeros)
        std::memcpy(zerosOut, zeroValues, static_cast<size_t>(in.n * in.groups));
    }
  });
}

awq_status awq_group_weights_get_info(const awq_tensor *blob, awq_group_weights_info *info) {
  return guard("awq_group_weights_get_info", [&] {
    if (!info)
      raise("info must not be NULL");
    const PackedWeights w = parseBlob(blob, "blob");
    info->layout = w.layout;
    info->bits = w.bits;
    info->group_size = w.groupSize;
    info->k = w.k;
    info->n = w.n;
    info->has_zeros = w.hasZeros ? 1 : 0;
  });
}

awq_status awq_group_weights_unpack(const awq_tensor *blob, awq_tensor *qweight,
                                    awq_tensor *scales, awq_tensor *zeros) {
  return guard("awq_group_weights_unpack", [&] {
    const PackedWeights w = parseBlob(blob, "blob");
    const int64_t rowBytes = packedRowBytes(w.k, w.bits);
    awq_tensor expected{};
    setOutput(&expected, AWQ_U8, {w.n, rowBytes});
    checkOutput(expected, qweight);
    setOutput(&expected, AWQ_F32, {w.n, w.groups});
    checkOutput(expected, scales);
    if (w.hasZeros) {
      if (!zeros)
        raise("the blob has zero points: zeros must not be NULL");
      setOutput(&expected, AWQ_U8, {w.n, w.groups});
      checkOutput(expected, zeros);
    }
    auto *codesOut = static_cast<uint8_t *>(qweight->data);
    auto *scalesOut = static_cast<float *>(scales->data);
    auto *zerosOut = w.hasZeros ? static_cast<uint8_t *>(zeros->data) : nullptr;
    if (w.layout == AWQ_GROUP_LAYOUT_ROW_MAJOR) {
      std::memcpy(codesOut, w.rowCodes, static_cast<size_t>(w.n * rowBytes));
      std::memcpy(scalesOut, w.rowScales, static_cast<size_t>(w.n * w.groups) * sizeof(float));
      if (zerosOut)
        std::memcpy(zerosOut, w.rowZeros, static_cast<size_t>(w.n * w.groups));
      return;
    }
    std::memset(codesOut, 0, static_cast<size_t>(w.n * rowBytes));
    for (int64_t column = 0; column < w.n; ++column) {
      uint8_t *row = codesOut + column * rowBytes;
      for (int64_t index = 0; index < w.k; ++index) // 4 bits: index 2i is the low nibble of byte i
        row[index / 2] |= static_cast<uint8_t>(tiledCode(w, column, index) << (index % 2 * 4));
      const int64_t tile = column / kTileColumns, c = column % kTileColumns;
      for (int64_t g = 0; g < w.groups; ++g) {
        scalesOut[column * w.groups + g] = w.tileScales(tile)[g * kTileColumns + c];
        if (zerosOut)
          zerosOut[column * w.groups + g] = w.tileZeros(tile)[g * kTileColumns + c];
      }
    }
  });
}

} // extern "C"
