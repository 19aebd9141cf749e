// Expand.cpp - ONNX Expand: broadcast a tensor to a (bidirectionally broadcast) shape.
#include "RuntimeInternal.h"

using namespace awq::rt;

namespace {

void expandShape(const awq_tensor *data, const int64_t *shape, int64_t count, awq_tensor *out) {
  checkDescriptor(data, "data");
  if (count < 0 || count > AWQ_MAX_RANK || (count > 0 && !shape))
    raise("invalid target shape (count %lld)", static_cast<long long>(count));
  const Shape target(shape, shape + count);
  for (int64_t d : target)
    if (d < 0)
      raise("target shape %s has a negative dim", shapeString(target).c_str());
  setOutput(out, data->dtype, broadcastShapes(shapeOf(data), target, "data", "shape"));
}

} // namespace

extern "C" {

awq_status awq_expand_shape(const awq_tensor *data, const int64_t *shape, int64_t count,
                            awq_tensor *out) {
  return guard("awq_expand_shape", [&] { expandShape(data, shape, count, out); });
}

awq_status awq_expand(const awq_tensor *data, const int64_t *shape, int64_t count,
                      awq_tensor *out) {
  return guard("awq_expand", [&] {
    checkData(data, "data");
    awq_tensor expected{};
    expandShape(data, shape, count, &expected);
    checkOutput(expected, out);
    copyView(data, expandView(data, shape, count), out->data);
  });
}

} // extern "C"

// Reads the input with stride 0 along every broadcast axis.
StridedView awq::rt::expandView(const awq_tensor *data, const int64_t *shape, int64_t count) {
  awq_tensor out{};
  expandShape(data, shape, count, &out);
  const Shape outShape = shapeOf(&out), inShape = shapeOf(data);
  const Shape inStrides = contiguousStrides(inShape);
  const size_t offset = outShape.size() - inShape.size();
  StridedView view{outShape, 0, Shape(outShape.size(), 0)};
  for (size_t i = 0; i < inShape.size(); ++i)
    view.strides[offset + i] = inShape[i] == 1 ? 0 : inStrides[i];
  return view;
}
