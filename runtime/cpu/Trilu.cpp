// Trilu.cpp - ONNX Trilu: keep the upper or lower triangle of the last two axes.
#include "RuntimeInternal.h"

using namespace awq::rt;

namespace {

void triluShape(const awq_tensor *x, awq_tensor *out) {
  checkDescriptor(x, "input");
  if (x->rank < 2)
    raise("input must have rank >= 2, got %s", shapeString(x).c_str());
  setOutputLike(out, x->dtype, x);
}

} // namespace

extern "C" {

awq_status awq_trilu_shape(const awq_tensor *x, int64_t /*k*/, int /*upper*/, awq_tensor *out) {
  return guard("awq_trilu_shape", [&] { triluShape(x, out); });
}

awq_status awq_trilu(const awq_tensor *x, int64_t k, int upper, awq_tensor *out) {
  return guard("awq_trilu", [&] {
    checkData(x, "input");
    awq_tensor expected{};
    triluShape(x, &expected);
    checkOutput(expected, out);
    const int64_t rows = x->shape[x->rank - 2], columns = x->shape[x->rank - 1];
    const int64_t matrixRows = numel(x) / std::max<int64_t>(columns, 1);
    const size_t element = awq_dtype_size(x->dtype);
    const auto *src = static_cast<const char *>(x->data);
    auto *dst = static_cast<char *>(out->data);
    parallelFor(matrixRows, 64, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t i = r % rows;
        // Column j is kept when j - i >= k (upper) or j - i <= k (lower).
        const int64_t firstKept = upper ? std::min(std::max<int64_t>(i + k, 0), columns) : 0;
        const int64_t lastKept = upper ? columns : std::min(std::max<int64_t>(i + k + 1, 0), columns);
        char *row = dst + r * columns * static_cast<int64_t>(element);
        const char *in = src + r * columns * static_cast<int64_t>(element);
        std::memset(row, 0, static_cast<size_t>(columns) * element);
        if (lastKept > firstKept)
          std::memcpy(row + firstKept * element, in + firstKept * element,
                      static_cast<size_t>(lastKept - firstKept) * element);
      }
    });
  });
}

} // extern "C"
