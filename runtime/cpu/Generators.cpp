// Generators.cpp - ops that create tensors from attributes: ConstantOfShape and Range.
#include "RuntimeInternal.h"

#include <cmath>
#include <type_traits>

using namespace awq::rt;

namespace {

void constantOfShapeShape(const int64_t *shape, int64_t count, const awq_tensor *value,
                          awq_tensor *out) {
  if (count < 0 || count > AWQ_MAX_RANK || (count > 0 && !shape))
    raise("invalid shape (count %lld)", static_cast<long long>(count));
  const Shape dims(shape, shape + count);
  for (int64_t d : dims)
    if (d < 0)
      raise("shape %s has a negative dim", shapeString(dims).c_str());
  if (value) {
    checkDescriptor(value, "value");
    if (numel(value) != 1)
      raise("value must hold exactly one element, got shape %s", shapeString(value).c_str());
  }
  setOutput(out, value ? value->dtype : AWQ_F32, dims);
}

int64_t rangeLength(double start, double limit, double delta) {
  if (delta == 0.0 || !std::isfinite(delta) || !std::isfinite(start) || !std::isfinite(limit))
    raise("start, limit and delta must be finite and delta non-zero (got %g, %g, %g)", start,
          limit, delta);
  return std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
}

void rangeShape(double start, double limit, double delta, int32_t dtype, awq_tensor *out) {
  if (!isFloatDtype(dtype) && !isIntegerDtype(dtype))
    raise("dtype %s is not supported", awq_dtype_name(dtype));
  setOutput(out, dtype, {rangeLength(start, limit, delta)});
}

} // namespace

extern "C" {

awq_status awq_constant_of_shape_shape(const int64_t *shape, int64_t count,
                                       const awq_tensor *value, awq_tensor *out) {
  return guard("awq_constant_of_shape_shape",
               [&] { constantOfShapeShape(shape, count, value, out); });
}

awq_status awq_constant_of_shape(const int64_t *shape, int64_t count, const awq_tensor *value,
                                 awq_tensor *out) {
  return guard("awq_constant_of_shape", [&] {
    if (value)
      checkData(value, "value");
    awq_tensor expected{};
    constantOfShapeShape(shape, count, value, &expected);
    checkOutput(expected, out);
    const size_t element = awq_dtype_size(out->dtype);
    const float zero = 0.0f;
    const void *pattern = value ? value->data : &zero;
    auto *dst = static_cast<char *>(out->data);
    const int64_t n = numel(out);
    parallelFor(n, kElementwiseGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        std::memcpy(dst + i * element, pattern, element);
    });
  });
}

awq_status awq_range_shape(double start, double limit, double delta, int32_t dtype,
                           awq_tensor *out) {
  return guard("awq_range_shape", [&] { rangeShape(start, limit, delta, dtype, out); });
}

awq_status awq_range(double start, double limit, double delta, int32_t dtype, awq_tensor *out) {
  return guard("awq_range", [&] {
    awq_tensor expected{};
    rangeShape(start, limit, delta, dtype, &expected);
    checkOutput(expected, out);
    const int64_t n = out->shape[0];
    dispatchAny(dtype, [&](auto traits) {
      using T = decltype(traits);
      auto *dst = static_cast<typename T::Storage *>(out->data);
      for (int64_t i = 0; i < n; ++i)
        dst[i] = T::store(static_cast<typename T::Compute>(start + static_cast<double>(i) * delta));
    });
  });
}

} // extern "C"
