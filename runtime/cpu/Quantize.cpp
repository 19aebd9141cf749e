// Quantize.cpp - group-wise low-bit quantization, dequantization and fake quantization.
#include "QuantizationInternal.h"

#include <cmath>

using namespace awq::rt;

namespace awq::rt {
void checkQuantization(int32_t bits, int64_t groupSize) {
  if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
    raise("bits must be 2, 3, 4 or 8, got %d", bits);
  if (groupSize < 1)
    raise("group_size must be >= 1, got %lld", static_cast<long long>(groupSize));
}
} // namespace awq::rt

namespace {

// Rows handled per thread at least.
constexpr int64_t kRowGrain = 8;

// Scale and zero point of one group, from its (clipped) values.
struct GroupParams {
  float scale;
  int32_t zero;
};

// The parameters of values[0, count) per the formulas in awq_runtime.h.
GroupParams groupParams(const float *values, int64_t count, float clip, int32_t bits,
                        bool zeroPoint) {
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < count; ++i) {
    const double v = std::fmin(std::fmax(values[i], -clip), clip);
    lo = std::fmin(lo, v);
    hi = std::fmax(hi, v);
  }
  // The zero point and the codes use the scale as stored (f32), so the grid
  // they define is exactly the one dequantization reproduces.
  if (zeroPoint) {
    const double maxCode = (1 << bits) - 1;
    const float scale = static_cast<float>(std::fmax(hi - lo, 1e-5) / maxCode);
    const double zero = std::fmin(std::fmax(-std::nearbyint(lo / scale), 0.0), maxCode);
    return {scale, static_cast<int32_t>(zero)};
  }
  const double absMax = std::fmax(std::fabs(lo), std::fabs(hi));
  return {static_cast<float>(std::fmax(absMax, 1e-5) / ((1 << (bits - 1)) - 1)), 1 << (bits - 1)};
}

// The code of one value given its group's parameters.
inline uint8_t quantizeValue(float value, float clip, GroupParams params, int32_t bits,
                             bool zeroPoint) {
  const double v = std::fmin(std::fmax(value, -clip), clip);
  const double q = std::nearbyint(v / params.scale);
  if (zeroPoint)
    return static_cast<uint8_t>(
        std::fmin(std::fmax(q + params.zero, 0.0), static_cast<double>((1 << bits) - 1)));
  const double half = 1 << (bits - 1);
  return static_cast<uint8_t>(std::fmin(std::fmax(q, -half), half - 1) + half);
}

struct WeightShape {
  int64_t n, k, groups;
};

WeightShape checkWeight(const awq_tensor *w, int32_t bits, int64_t groupSize) {
  checkQuantization(bits, groupSize);
  checkDescriptor(w, "weight");
  checkDtype(w, "weight", AWQ_F32);
  checkRank(w, "weight", 2);
  return {w->shape[0], w->shape[1], groupCount(w->shape[1], groupSize)};
}

// clip: NULL, or f32 [N, G]; returns a per-(row, group) reader.
const float *checkClip(const awq_tensor *clip, const WeightShape &shape) {
  if (!clip)
    return nullptr;
  checkData(clip, "clip");
  checkDtype(clip, "clip", AWQ_F32);
  if (shapeOf(clip) != Shape{shape.n, shape.groups})
    raise("clip has shape %s, expected [%lld, %lld]", shapeString(clip).c_str(),
          static_cast<long long>(shape.n), static_cast<long long>(shape.groups));
  return static_cast<const float *>(clip->data);
}

// Runs `body(row, group, first, count, clip)` for every group of every row, in parallel over rows.
template <class Body>
void forEachGroup(const WeightShape &shape, int64_t groupSize, const float *clip, Body &&body) {
  parallelFor(shape.n, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row)
      for (int64_t group = 0; group < shape.groups; ++group) {
        const int64_t first = group * groupSize;
        const int64_t count = std::min(groupSize, shape.k - first);
        const float bound = clip ? clip[row * shape.groups + group] : INFINITY;
        body(row, group, first, count, bound);
      }
  });
}

} // namespace

extern "C" {

awq_status awq_quantize_groups_shape(const awq_tensor *w, int32_t bits, int64_t group_size,
                                     awq_tensor *codes, awq_tensor *scales, awq_tensor *zeros) {
  return guard("awq_quantize_groups_shape", [&] {
    const WeightShape shape = checkWeight(w, bits, group_size);
    setOutput(codes, AWQ_U8, {shape.n, shape.k});
    setOutput(scales, AWQ_F32, {shape.n, shape.groups});
    if (zeros)
      setOutput(zeros, AWQ_U8, {shape.n, shape.groups});
  });
}

awq_status awq_quantize_groups(const awq_tensor *w, int32_t bits, int64_t group_size,
                               int zero_point, const awq_tensor *clip, awq_tensor *codes,
                               awq_tensor *scales, awq_tensor *zeros) {
  return guard("awq_quantize_groups", [&] {
    const WeightShape shape = checkWeight(w, bits, group_size);
    checkData(w, "weight");
    const float *clipValues = checkClip(clip, shape);
    awq_tensor expectedCodes{}, expectedScales{}, expectedZeros{};
    setOutput(&expectedCodes, AWQ_U8, {shape.n, shape.k});
    setOutput(&expectedScales, AWQ_F32, {shape.n, shape.groups});
    setOutput(&expectedZeros, AWQ_U8, {shape.n, shape.groups});
    checkOutput(expectedCodes, codes);
    checkOutput(expectedScales, scales);
    if (zero_point)
      checkOutput(expectedZeros, zeros);
    const auto *weights = static_cast<const float *>(w->data);
    auto *codeOut = static_cast<uint8_t *>(codes->data);
    auto *scaleOut = static_cast<float *>(scales->data);
    auto *zeroOut = zero_point ? static_cast<uint8_t *>(zeros->data) : nullptr;
    forEachGroup(shape, group_size, clipValues,
                 [&](int64_t row, int64_t group, int64_t first, int64_t count, float bound) {
                   const float *values = weights + row * shape.k + first;
                   const GroupParams params = groupParams(values, count, bound, bits, zero_point);
                   scaleOut[row * shape.groups + group] = params.scale;
                   if (zeroOut)
                     zeroOut[row * shape.groups + group] = static_cast<uint8_t>(params.zero);
                   for (int64_t i = 0; i < count; ++i)
                     codeOut[row * shape.k + first + i] =
                         quantizeValue(values[i], bound, params, bits, zero_point);
                 });
  });
}

awq_status awq_dequantize_groups(const awq_tensor *codes, const awq_tensor *scales,
                                 const awq_tensor *zeros, int32_t bits, int64_t group_size,
                                 awq_tensor *w) {
  return guard("awq_dequantize_groups", [&] {
    checkQuantization(bits, group_size);
    checkData(codes, "codes");
    checkDtype(codes, "codes", AWQ_U8);
    checkRank(codes, "codes", 2);
    const WeightShape shape{codes->shape[0], codes->shape[1],
                            groupCount(codes->shape[1], group_size)};
    checkData(scales, "scales");
    checkDtype(scales, "scales", AWQ_F32);
    if (shapeOf(scales) != Shape{shape.n, shape.groups})
      raise("scales has shape %s, expected [%lld, %lld]", shapeString(scales).c_str(),
            static_cast<long long>(shape.n), static_cast<long long>(shape.groups));
    if (zeros) {
      checkData(zeros, "zeros");
      checkDtype(zeros, "zeros", AWQ_U8);
      if (shapeOf(zeros) != shapeOf(scales))
        raise("zeros has shape %s but scales has %s", shapeString(zeros).c_str(),
              shapeString(scales).c_str());
    }
    awq_tensor expected{};
    setOutput(&expected, AWQ_F32, {shape.n, shape.k});
    checkOutput(expected, w);
    const auto *codeIn = static_cast<const uint8_t *>(codes->data);
    const auto *scaleIn = static_cast<const float *>(scales->data);
    const auto *zeroIn = zeros ? static_cast<const uint8_t *>(zeros->data) : nullptr;
    auto *out = static_cast<float *>(w->data);
    forEachGroup(shape, group_size, nullptr,
                 [&](int64_t row, int64_t group, int64_t first, int64_t count, float) {
                   const int64_t at = row * shape.groups + group;
                   const float scale = scaleIn[at];
                   const int32_t zero = zeroIn ? zeroIn[at] : (1 << (bits - 1));
                   for (int64_t i = 0; i < count; ++i) {
                     const int64_t index = row * shape.k + first + i;
                     out[index] = static_cast<float>(codeIn[index] - zero) * scale;
                   }
                 });
  });
}

awq_status awq_fake_quantize_groups(const awq_tensor *w, int32_t bits, int64_t group_size,
                                    int zero_point, const awq_tensor *clip, awq_tensor *out) {
  return guard("awq_fake_quantize_groups", [&] {
    const WeightShape shape = checkWeight(w, bits, group_size);
    checkData(w, "weight");
    const float *clipValues = checkClip(clip, shape);
    checkOutput(*w, out);
    const auto *weights = static_cast<const float *>(w->data);
    auto *result = static_cast<float *>(out->data);
    forEachGroup(shape, group_size, clipValues,
                 [&](int64_t row, int64_t, int64_t first, int64_t count, float bound) {
                   const float *values = weights + row * shape.k + first;
                   float *dst = result + row * shape.k + first;
                   const GroupParams params = groupParams(values, count, bound, bits, zero_point);
                   for (int64_t i = 0; i < count; ++i) {
                     const uint8_t q = quantizeValue(values[i], bound, params, bits, zero_point);
                     dst[i] = static_cast<float>(q - params.zero) * params.scale;
                   }
                 });
  });
}

} // extern "C"
