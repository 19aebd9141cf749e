// Packing.cpp - codes [N, K] <-> the row_major packed layout [N, ceil(K*bits/8)].
#include "QuantizationInternal.h"

using namespace awq::rt;

namespace awq::rt {

PackedWeightShape checkPackedWeight(const awq_tensor *qweight, const awq_tensor *scales,
                                    const awq_tensor *zeros, int32_t bits, int64_t groupSize,
                                    int64_t k) {
  checkQuantization(bits, groupSize);
  if (k < 1)
    raise("K must be >= 1, got %lld", static_cast<long long>(k));
  if (groupSize > k)
    raise("group_size %lld exceeds K = %lld", static_cast<long long>(groupSize),
          static_cast<long long>(k));
  checkDescriptor(qweight, "qweight");
  if (qweight->dtype != AWQ_U8 && qweight->dtype != AWQ_I8)
    raise("qweight must be u8 or i8, got %s", awq_dtype_name(qweight->dtype));
  checkRank(qweight, "qweight", 2);
  const PackedWeightShape in{qweight->shape[0], k, groupCount(k, groupSize), packedRowBytes(k, bits)};
  if (in.n < 1 || qweight->shape[1] != in.rowBytes)
    raise("qweight has shape %s, expected [N >= 1, %lld] for K = %lld at %d bits",
          shapeString(qweight).c_str(), static_cast<long long>(in.rowBytes),
          static_cast<long long>(k), bits);
  checkDescriptor(scales, "scales");
  checkFloatDtype(scales, "scales");
  if (shapeOf(scales) != Shape{in.n, in.groups})
    raise("scales has shape %s, expected [%lld, %lld]", shapeString(scales).c_str(),
          static_cast<long long>(in.n), static_cast<long long>(in.groups));
  if (zeros) {
    checkDescriptor(zeros, "zero_points");
    if (zeros->dtype != AWQ_U8 && zeros->dtype != AWQ_I8)
      raise("zero_points must be u8 or i8, got %s", awq_dtype_name(zeros->dtype));
    if (shapeOf(zeros) != shapeOf(scales))
      raise("zero_points has shape %s, expected %s", shapeString(zeros).c_str(),
            shapeString(scales).c_str());
  }
  return in;
}

} // namespace awq::rt

namespace {

constexpr int64_t kRowGrain = 16;

void checkCodes(const awq_tensor *codes, int32_t bits) {
  checkQuantization(bits, 1);
  checkDescriptor(codes, "codes");
  checkDtype(codes, "codes", AWQ_U8);
  checkRank(codes, "codes", 2);
}

void checkPacked(const awq_tensor *packed, int32_t bits, int64_t k) {
  checkQuantization(bits, 1);
  checkDescriptor(packed, "packed");
  if (packed->dtype != AWQ_U8 && packed->dtype != AWQ_I8)
    raise("packed must be u8 or i8, got %s", awq_dtype_name(packed->dtype));
  checkRank(packed, "packed", 2);
  if (k < 1 || packed->shape[1] != packedRowBytes(k, bits))
    raise("packed rows have %lld bytes, but K = %lld at %d bits needs %lld",
          static_cast<long long>(packed->shape[1]), static_cast<long long>(k), bits,
          static_cast<long long>(packedRowBytes(k, bits)));
}

} // namespace

extern "C" {

awq_status awq_pack_codes_shape(const awq_tensor *codes, int32_t bits, awq_tensor *packed) {
  return guard("awq_pack_codes_shape", [&] {
    checkCodes(codes, bits);
    setOutput(packed, AWQ_U8, {codes->shape[0], packedRowBytes(codes->shape[1], bits)});
  });
}

awq_status awq_pack_codes(const awq_tensor *codes, int32_t bits, awq_tensor *packed) {
  return guard("awq_pack_codes", [&] {
    checkCodes(codes, bits);
    checkData(codes, "codes");
    const int64_t n = codes->shape[0], k = codes->shape[1];
    const int64_t rowBytes = packedRowBytes(k, bits);
    awq_tensor expected{};
    setOutput(&expected, AWQ_U8, {n, rowBytes});
    checkOutput(expected, packed);
    const auto *in = static_cast<const uint8_t *>(codes->data);
    auto *out = static_cast<uint8_t *>(packed->data);
    const uint8_t limit = static_cast<uint8_t>((1u << bits) - 1);
    // A code too wide for `bits` would corrupt its neighbours: reject it.
    for (int64_t i = 0; i < n * k; ++i)
      if (in[i] > limit)
        raise("code %u at [%lld, %lld] does not fit in %d bits", in[i],
              static_cast<long long>(i / k), static_cast<long long>(i % k), bits);
    parallelFor(n, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        uint8_t *dst = out + row * rowBytes;
        std::fill(dst, dst + rowBytes, 0);
        for (int64_t index = 0; index < k; ++index) {
          const int64_t bit = index * bits;
          const uint32_t word = static_cast<uint32_t>(in[row * k + index]) << (bit & 7);
          dst[bit >> 3] |= static_cast<uint8_t>(word);
          if ((bit & 7) + bits > 8)
            dst[(bit >> 3) + 1] |= static_cast<uint8_t>(word >> 8);
        }
      }
    });
  });
}

awq_status awq_unpack_codes_shape(const awq_tensor *packed, int32_t bits, int64_t k,
                                  awq_tensor *codes) {
  return guard("awq_unpack_codes_shape", [&] {
    checkPacked(packed, bits, k);
    setOutput(codes, AWQ_U8, {packed->shape[0], k});
  });
}

awq_status awq_unpack_codes(const awq_tensor *packed, int32_t bits, int64_t k,
                            awq_tensor *codes) {
  return guard("awq_unpack_codes", [&] {
    checkPacked(packed, bits, k);
    checkData(packed, "packed");
    const int64_t n = packed->shape[0], rowBytes = packed->shape[1];
    awq_tensor expected{};
    setOutput(&expected, AWQ_U8, {n, k});
    checkOutput(expected, codes);
    const auto *in = static_cast<const uint8_t *>(packed->data);
    auto *out = static_cast<uint8_t *>(codes->data);
    parallelFor(n, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row)
        for (int64_t index = 0; index < k; ++index)
          out[row * k + index] = readCode(in + row * rowBytes, index, bits);
    });
  });
}

} // extern "C"
