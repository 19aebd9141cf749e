// Softmax.cpp - numerically stable softmax along any axis.
#include "FastExp.h"
#include "Kernels.h"
#include "RuntimeInternal.h"

#include <cmath>
#include <type_traits>

using namespace awq::rt;

namespace awq::rt {

// (Kernels.h) Written as separate max / exp / sum / scale loops over `kLanes`
// partial results so each loop vectorizes.
bool softmaxContiguousF32(const float *src, float *dst, int64_t n) {
  constexpr int kLanes = 8;
  float lanes[kLanes];
  std::fill(lanes, lanes + kLanes, -INFINITY);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int lane = 0; lane < kLanes; ++lane)
      lanes[lane] = std::max(lanes[lane], src[i + lane]);
  float maxValue = *std::max_element(lanes, lanes + kLanes);
  for (; i < n; ++i)
    maxValue = std::max(maxValue, src[i]);
  if (maxValue == -INFINITY)
    return false;
  for (i = 0; i < n; ++i)
    dst[i] = fastExp(src[i] - maxValue);
  std::fill(lanes, lanes + kLanes, 0.0f);
  for (i = 0; i + kLanes <= n; i += kLanes)
    for (int lane = 0; lane < kLanes; ++lane)
      lanes[lane] += dst[i + lane];
  double sum = 0.0;
  for (float lane : lanes)
    sum += lane;
  for (; i < n; ++i)
    sum += dst[i];
  const float invSum = static_cast<float>(1.0 / sum);
  for (i = 0; i < n; ++i)
    dst[i] *= invSum;
  return true;
}

} // namespace awq::rt

namespace {

void softmaxShape(const awq_tensor *x, int64_t axis, awq_tensor *out) {
  checkDescriptor(x, "input");
  checkFloatDtype(x, "input");
  normalizeAxis(axis, x->rank, "axis");
  setOutputLike(out, x->dtype, x);
}

// View x as [outer, n, inner]; each (outer, inner) pair is one softmax vector
// whose elements are `inner` apart.
template <class T> void softmaxTyped(const awq_tensor *x, int64_t axis, awq_tensor *out) {
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= x->shape[i];
  for (int64_t i = axis + 1; i < x->rank; ++i)
    inner *= x->shape[i];
  const int64_t n = x->shape[axis];
  const auto *src = static_cast<const typename T::Storage *>(x->data);
  auto *dst = static_cast<typename T::Storage *>(out->data);
  const int64_t minVectorsPerThread = std::max<int64_t>(1, 4096 / std::max<int64_t>(n, 1));
  if constexpr (std::is_same_v<typename T::Storage, float>) {
    if (inner == 1) {
      parallelFor(outer, minVectorsPerThread, [&](int64_t begin, int64_t end) {
        for (int64_t vector = begin; vector < end; ++vector)
          if (!softmaxContiguousF32(src + vector * n, dst + vector * n, n))
            std::fill(dst + vector * n, dst + (vector + 1) * n, 0.0f);
      });
      return;
    }
  }
  parallelFor(outer * inner, minVectorsPerThread, [&](int64_t begin, int64_t end) {
    std::vector<float> values(static_cast<size_t>(n));
    for (int64_t vector = begin; vector < end; ++vector) {
      const int64_t base = (vector / inner) * n * inner + vector % inner;
      float maxValue = -INFINITY;
      for (int64_t i = 0; i < n; ++i) {
        values[i] = T::load(src[base + i * inner]);
        maxValue = std::max(maxValue, values[i]);
      }
      // A vector that is entirely -inf (fully masked) becomes zeros, not NaN,
      // matching awq_attention's convention for rows with no visible key.
      if (maxValue == -INFINITY) {
        for (int64_t i = 0; i < n; ++i)
          dst[base + i * inner] = T::store(0.0f);
        continue;
      }
      double sum = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        values[i] = fastExp(values[i] - maxValue);
        sum += values[i];
      }
      const float invSum = static_cast<float>(1.0 / sum);
      for (int64_t i = 0; i < n; ++i)
        dst[base + i * inner] = T::store(values[i] * invSum);
    }
  });
}

} // namespace

extern "C" {

awq_status awq_softmax_shape(const awq_tensor *x, int64_t axis, awq_tensor *out) {
  return guard("awq_softmax_shape", [&] { softmaxShape(x, axis, out); });
}

awq_status awq_softmax(const awq_tensor *x, int64_t axis, awq_tensor *out) {
  return guard("awq_softmax", [&] {
    checkData(x, "input");
    awq_tensor expected{};
    softmaxShape(x, axis, &expected);
    checkOutput(expected, out);
    const int64_t positiveAxis = normalizeAxis(axis, x->rank, "axis");
    dispatchFloat(x->dtype,
                  [&](auto traits) { softmaxTyped<decltype(traits)>(x, positiveAxis, out); });
  });
}

} // extern "C"
