// StridedCopy.cpp - gathers any strided view of a tensor into contiguous memory.
#include "RuntimeInternal.h"

namespace awq::rt {

namespace {

// Copies `count` elements that are `stride` apart (typed so the loop is tight).
template <class Word>
void copyRun(const char *src, int64_t stride, int64_t count, char *dst) {
  const auto *in = reinterpret_cast<const Word *>(src);
  auto *out = reinterpret_cast<Word *>(dst);
  for (int64_t i = 0; i < count; ++i)
    std::memcpy(out + i, in + i * stride, sizeof(Word));
}

} // namespace

void copyStrided(const void *src, size_t elementSize, const Shape &dims, const Shape &srcStrides,
                 void *dst) {
  // Drop unit axes and merge an axis into its inner neighbour when the pair is
  // one evenly strided run; this turns most views into few long rows.
  Shape runDims, runStrides;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0)
      return; // nothing to copy
    if (dims[i] == 1)
      continue;
    if (!runDims.empty() && runStrides.back() == srcStrides[i] * dims[i]) {
      runDims.back() *= dims[i];
      runStrides.back() = srcStrides[i];
    } else {
      runDims.push_back(dims[i]);
      runStrides.push_back(srcStrides[i]);
    }
  }
  if (runDims.empty()) { // a single element
    std::memcpy(dst, src, elementSize);
    return;
  }
  const int64_t inner = runDims.back(), innerStride = runStrides.back();
  const int64_t rows = numelOf(runDims) / inner;
  const auto *in = static_cast<const char *>(src);
  auto *out = static_cast<char *>(dst);
  const int64_t esize = static_cast<int64_t>(elementSize);
  const int rowAxes = static_cast<int>(runDims.size()) - 1;
  parallelFor(rows, std::max<int64_t>(1, kElementwiseGrain / inner), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      int64_t offset = 0;
      int64_t rest = row;
      for (int axis = rowAxes - 1; axis >= 0; --axis) {
        offset += (rest % runDims[axis]) * runStrides[axis];
        rest /= runDims[axis];
      }
      const char *from = in + offset * esize;
      char *to = out + row * inner * esize;
      if (innerStride == 1) {
        std::memcpy(to, from, static_cast<size_t>(inner * esize));
        continue;
      }
      switch (elementSize) {
      case 8: copyRun<uint64_t>(from, innerStride, inner, to); break;
      case 4: copyRun<uint32_t>(from, innerStride, inner, to); break;
      case 2: copyRun<uint16_t>(from, innerStride, inner, to); break;
      default: copyRun<uint8_t>(from, innerStride, inner, to); break;
      }
    }
  });
}

StridedView contiguousView(const Shape &shape) { return {shape, 0, contiguousStrides(shape)}; }

bool isContiguous(const StridedView &view) {
  // Dims of size 1 take any stride; the others must step as a row-major run.
  int64_t expected = 1;
  for (size_t d = view.shape.size(); d-- > 0;) {
    if (view.shape[d] == 1)
      continue;
    if (view.strides[d] != expected)
      return false;
    expected *= view.shape[d];
  }
  return true;
}

void copyView(const awq_tensor *data, const StridedView &view, void *dst) {
  const size_t elementSize = awq_dtype_size(data->dtype);
  const char *src = static_cast<const char *>(data->data) + view.offset * static_cast<int64_t>(elementSize);
  if (numelOf(view.shape) == 0 || (src == dst && isContiguous(view)))
    return;
  copyStrided(src, elementSize, view.shape, view.strides, dst);
}

} // namespace awq::rt
