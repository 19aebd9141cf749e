// GroupWeightsPack.cpp - host-side repack of canonical group-quantized weights
// into the CUDA kernels' blob, its header reader, and the inverse (for tests
// and exporters). Plain C++: runs without a GPU.
#include "GroupWeightsLayout.h"
#include "RuntimeInternal.h"
#include "awq_cuda.h"

#include <cstring>

using namespace awq::rt;
using awq::cuda::GroupBlobHeader;

namespace {

struct BlobLayout {
  int64_t codesOffset, scalesOffset, zerosOffset, totalBytes;
};

BlobLayout layoutOf(int32_t bits, int64_t n, int64_t kPadded, int64_t groups, bool hasZeros) {
  using awq::cuda::alignUp;
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
};

// Validates the canonical inputs (same rules as awq_group_matmul plus the
// kernels' own: 4 or 8 bits, group size a multiple of 32 or >= K).
PackRequest checkPackInputs(const awq_tensor *qweight, const awq_tensor *scales,
                            const awq_tensor *zeros, int32_t bits, int64_t groupSize, int64_t k,
                            int32_t scaleDtype) {
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
  return {n, k, awq::cuda::alignUp(k, awq::cuda::kChunkInputs), groups};
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
                    header.kPadded == awq::cuda::alignUp(header.k, awq::cuda::kChunkInputs) &&
                    header.groups == (header.k + header.groupSize - 1) / header.groupSize &&
                    (header.groupSize >= header.k ||
                     header.groupSize % awq::cuda::kChunkInputs == 0) &&
                    (header.hasZeros == 0 || header.hasZeros == 1);
  if (!sane)
    raise("blob header is inconsistent (corrupt blob)");
  const BlobLayout layout =
      layoutOf(header.bits, header.n, header.kPadded, header.groups, header.hasZeros);
  if (size < layout.totalBytes)
    raise("blob is truncated: %lld bytes, its header needs %lld", static_cast<long long>(size),
          static_cast<long long>(layout.totalBytes));
  return header;
}

} // namespace

extern "C" awq_status awq_cuda_group_weights_pack_shape(const awq_tensor *qweight,
                                                        const awq_tensor *scales,
                                                        const awq_tensor *zeros, int32_t bits,
                                                        int64_t group_size, int64_t k,
                                                        int32_t scale_dtype, awq_tensor *blob) {
  return guard("awq_cuda_group_weights_pack_shape", [&] {
    if (!blob)
      raise("blob descriptor is null");
    const PackRequest request =
        checkPackInputs(qweight, scales, zeros, bits, group_size, k, scale_dtype);
    const BlobLayout layout =
        layoutOf(bits, request.n, request.kPadded, request.groups, zeros != nullptr);
    setOutput(blob, AWQ_U8, {layout.totalBytes});
  });
}

extern "C" awq_status awq_cuda_group_weights_pack(const awq_tensor *qweight,
                                                  const awq_tensor *scales,
                                                  const awq_tensor *zeros, int32_t bits,
                                                  int64_t group_size, int64_t k,
                                                  int32_t scale_dtype, awq_tensor *blob) {
  return guard("awq_cuda_group_weights_pack", [&] {
    const PackRequest request =
        checkPackInputs(qweight, scales, zeros, bits, group_size, k, scale_dtype);
    const bool hasZeros = zeros != nullptr;
    const BlobLayout layout = layoutOf(bits, request.n, request.kPadded, request.groups, hasZeros);
    awq_tensor expected{};
    setOutput(&expected, AWQ_U8, {layout.totalBytes});
    checkOutput(expected, blob);
    if (reinterpret_cast<uintptr_t>(blob->data) % 16 != 0)
      raise("blob must be at least 16-byte aligned");

    auto *bytes = static_cast<uint8_t *>(blob->data);
    std::memset(bytes, 0, static_cast<size_t>(layout.totalBytes));
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
    std::memcpy(bytes, &header, sizeof header);

    const int64_t groups = request.groups;
    const int64_t groupSizeEff = awq::cuda::effectiveGroupSize(group_size, k, request.kPadded);
    const int64_t rowBytesIn = (k * bits + 7) / 8;
    const int64_t rowBytesOut = request.kPadded * bits / 8;
    const int64_t inputsPerWord = 32 / bits;
    const auto *qweightBytes = static_cast<const uint8_t *>(qweight->data);
    const auto *zeroBytes = hasZeros ? static_cast<const uint8_t *>(zeros->data) : nullptr;
    const uint8_t implicitZero = static_cast<uint8_t>(1u << (bits - 1));
    for (int64_t row = 0; row < request.n; ++row) {
      const uint8_t *in = qweightBytes + row * rowBytesIn;
      uint8_t *out = bytes + layout.codesOffset + row * rowBytesOut;
      for (int64_t base = 0; base < request.kPadded; base += inputsPerWord) {
        uint32_t word = 0;
        for (int64_t position = 0; position < inputsPerWord; ++position) {
          const int64_t input =
              base + (bits == 4 ? awq::cuda::kNibbleInput[position]
                                : awq::cuda::kByteInput[position]);
          // Padding inputs take the group's zero point: they dequantize to 0.
          const int64_t group = input / groupSizeEff;
          const uint8_t code = input < k ? codeAt(in, bits, input)
                               : hasZeros ? zeroBytes[row * groups + group]
                                          : implicitZero;
          word |= static_cast<uint32_t>(code) << (position * bits);
        }
        std::memcpy(out + base * bits / 8, &word, 4);
      }
    }
    auto *scaleOut = reinterpret_cast<uint16_t *>(bytes + layout.scalesOffset);
    for (int64_t i = 0; i < request.n * groups; ++i) {
      const float scale = loadFloat(scales->data, scales->dtype, i);
      scaleOut[i] = scale_dtype == AWQ_F16 ? awq_f32_to_f16(scale) : awq_f32_to_bf16(scale);
    }
    if (hasZeros)
      std::memcpy(bytes + layout.zerosOffset, zeroBytes, static_cast<size_t>(request.n * groups));
  });
}

extern "C" awq_status awq_cuda_group_weights_get_info(const void *blob, int64_t size,
                                                      awq_cuda_group_weights_info *info) {
  return guard("awq_cuda_group_weights_get_info", [&] {
    if (!info)
      raise("info is null");
    const GroupBlobHeader header = readHeader(blob, size);
    const BlobLayout layout =
        layoutOf(header.bits, header.n, header.kPadded, header.groups, header.hasZeros);
    info->bits = header.bits;
    info->scale_dtype = header.scaleDtype;
    info->group_size = header.groupSize;
    info->k = header.k;
    info->n = header.n;
    info->k_padded = header.kPadded;
    info->groups = header.groups;
    info->has_zeros = header.hasZeros;
    info->codes_offset = layout.codesOffset;
    info->scales_offset = layout.scalesOffset;
    info->zeros_offset = layout.zerosOffset;
    info->total_bytes = layout.totalBytes;
  });
}

extern "C" awq_status awq_cuda_group_weights_unpack(const void *blob, int64_t size,
                                                    awq_tensor *qweight, awq_tensor *scales,
                                                    awq_tensor *zeros) {
  return guard("awq_cuda_group_weights_unpack", [&] {
    const GroupBlobHeader header = readHeader(blob, size);
    const BlobLayout layout =
        layoutOf(header.bits, header.n, header.kPadded, header.groups, header.hasZeros);
    const int32_t bits = header.bits;
    const int64_t n = header.n, k = header.k, groups = header.groups;
    const int64_t rowBytesOut = (k * bits + 7) / 8;
    const int64_t rowBytesIn = header.kPadded * bits / 8;
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
    const int64_t inputsPerWord = 32 / bits;
    for (int64_t row = 0; row < n; ++row) {
      const uint8_t *in = bytes + layout.codesOffset + row * rowBytesIn;
      uint8_t *out = codesOut + row * rowBytesOut;
      for (int64_t base = 0; base < k; base += inputsPerWord) {
        uint32_t word;
        std::memcpy(&word, in + base * bits / 8, 4);
        for (int64_t position = 0; position < inputsPerWord; ++position) {
          const int64_t input =
              base + (bits == 4 ? awq::cuda::kNibbleInput[position]
                                : awq::cuda::kByteInput[position]);
          if (input >= k)
            continue;
          const uint8_t code = static_cast<uint8_t>((word >> (position * bits)) & ((1u << bits) - 1));
          if (bits == 8)
            out[input] = code;
          else
            out[input / 2] |= static_cast<uint8_t>(code << (4 * (input % 2)));
        }
      }
    }
    const auto *scaleIn = reinterpret_cast<const uint16_t *>(bytes + layout.scalesOffset);
    auto *scaleOut = static_cast<float *>(scales->data);
    for (int64_t i = 0; i < n * groups; ++i)
      scaleOut[i] = header.scaleDtype == AWQ_F16 ? awq_f16_to_f32(scaleIn[i])
                                                 : awq_bf16_to_f32(scaleIn[i]);
    if (header.hasZeros)
      std::memcpy(zeros->data, bytes + layout.zerosOffset, static_cast<size_t>(n * groups));
  });
}
