// Cast.cpp - ONNX Cast between every pair of supported dtypes.
#include "RuntimeInternal.h"

#include <cmath>
#include <limits>
#include <type_traits>

using namespace awq::rt;

namespace {

// Converts one value between compute types: anything -> bool is (v != 0),
// float -> integer truncates toward zero and saturates (NaN becomes 0).
template <class To, class From> To convertValue(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(v))
      return 0;
    const double d = static_cast<double>(v);
    if (d <= static_cast<double>(std::numeric_limits<To>::min()))
      return std::numeric_limits<To>::min();
    if (d >= static_cast<double>(std::numeric_limits<To>::max()))
      return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else {
    return static_cast<To>(v);
  }
}

void castShape(const awq_tensor *x, int32_t toDtype, awq_tensor *out) {
  checkDescriptor(x, "input");
  if (!isValidDtype(toDtype))
    raise("invalid target dtype %d", toDtype);
  setOutputLike(out, toDtype, x);
}

template <class Src, class Dst> void castTyped(const awq_tensor *x, awq_tensor *out) {
  const auto *src = static_cast<const typename Src::Storage *>(x->data);
  auto *dst = static_cast<typename Dst::Storage *>(out->data);
  parallelFor(numel(x), kElementwiseGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      dst[i] = Dst::store(
          convertValue<typename Dst::Compute, typename Src::Compute>(Src::load(src[i])));
  });
}

} // namespace

extern "C" {

awq_status awq_cast_shape(const awq_tensor *x, int32_t to_dtype, awq_tensor *out) {
  return guard("awq_cast_shape", [&] { castShape(x, to_dtype, out); });
}

awq_status awq_cast(const awq_tensor *x, int32_t to_dtype, awq_tensor *out) {
  return guard("awq_cast", [&] {
    checkData(x, "input");
    awq_tensor expected{};
    castShape(x, to_dtype, &expected);
    checkOutput(expected, out);
    if (x->dtype == to_dtype) {
      if (out->data != x->data)
        std::memcpy(out->data, x->data, static_cast<size_t>(numel(x)) * awq_dtype_size(to_dtype));
      return;
    }
    dispatchAny(x->dtype, [&](auto src) {
      dispatchAny(to_dtype, [&](auto dst) { castTyped<decltype(src), decltype(dst)>(x, out); });
    });
  });
}

} // extern "C"
