// ShapeNodes.cpp - the ONNX shape family: Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
// Concat, Slice, Split, Expand and Shape. Small shape tensors are read as values here;
// the ops that read one input through a strided view share ViewNodes.h with the CUDA entries.
#include "ViewNodes.h"

#include <limits>

using namespace awq::rt;

namespace {

// The optional array argument of a runtime call: NULL when empty.
const int64_t *orNull(const std::vector<int64_t> &values) {
  return values.empty() ? nullptr : values.data();
}
int64_t countOf(const std::vector<int64_t> &values) { return static_cast<int64_t>(values.size()); }

// Axes given as an optional input (opset 13+) or an INTS attribute (older).
std::vector<int64_t> readAxes(const NodeCall &call) {
  if (const awq_tensor *axes = call.optionalInput(1))
    return readIntegers(axes, "axes");
  return call.node.getInts("axes");
}

// One contiguous view of the shape `shapeFn` gives the single output.
template <class ShapeFn>
std::vector<StridedView> contiguousNodeView(NodeCall &call, ShapeFn &&shapeFn) {
  call.expectOutputs(1);
  awq_tensor out{};
  NodeCall::check(shapeFn(&out));
  return {contiguousView(shapeOf(&out))};
}

} // namespace

// ---- The view nodes (ViewNodes.h) ------------------------------------------
// The op's shape function checks the arguments (its errors name it); the
// view follows from the checked shape.

std::vector<StridedView> awq::rt::identityNodeViews(NodeCall &call) {
  if (call.numOutputs() != 1)
    raise("only the first output is supported");
  const awq_tensor *data = call.input(0);
  checkDescriptor(data, "input");
  return {contiguousView(shapeOf(data))};
}

std::vector<StridedView> awq::rt::reshapeNodeViews(NodeCall &call) {
  const awq_tensor *data = call.input(0);
  const std::vector<int64_t> shape = readIntegers(call.input(1), "shape");
  const int allowzero = static_cast<int>(call.node.getInt("allowzero", 0));
  return contiguousNodeView(call, [&](awq_tensor *out) {
    return awq_reshape_shape(data, shape.data(), countOf(shape), allowzero, out);
  });
}

std::vector<StridedView> awq::rt::flattenNodeViews(NodeCall &call) {
  const awq_tensor *data = call.input(0);
  const int64_t axis = call.node.getInt("axis", 1);
  return contiguousNodeView(call,
                            [&](awq_tensor *out) { return awq_flatten_shape(data, axis, out); });
}

std::vector<StridedView> awq::rt::squeezeNodeViews(NodeCall &call) {
  const awq_tensor *data = call.input(0);
  const std::vector<int64_t> axes = readAxes(call);
  return contiguousNodeView(call, [&](awq_tensor *out) {
    return awq_squeeze_shape(data, orNull(axes), countOf(axes), out);
  });
}

std::vector<StridedView> awq::rt::unsqueezeNodeViews(NodeCall &call) {
  const awq_tensor *data = call.input(0);
  const std::vector<int64_t> axes = readAxes(call);
  return contiguousNodeView(call, [&](awq_tensor *out) {
    return awq_unsqueeze_shape(data, orNull(axes), countOf(axes), out);
  });
}

std::vector<StridedView> awq::rt::transposeNodeViews(NodeCall &call) {
  call.expectOutputs(1);
  const awq_tensor *data = call.input(0);
  const std::vector<int64_t> perm = call.node.getInts("perm"); // empty: reverse the axes
  awq_tensor out{};
  NodeCall::check(awq_transpose_shape(data, orNull(perm), countOf(perm), &out));
  return {transposeView(data, orNull(perm), countOf(perm))};
}

std::vector<StridedView> awq::rt::sliceNodeViews(NodeCall &call) {
  call.expectOutputs(1);
  const awq_tensor *data = call.input(0);
  std::vector<int64_t> starts, ends, axes, steps;
  if (call.node.opset() < 10) {
    // Opset 1-9: starts/ends/axes are attributes, steps do not exist.
    starts = call.node.getInts("starts");
    ends = call.node.getInts("ends");
    axes = call.node.getInts("axes");
  } else {
    starts = readIntegers(call.input(1), "starts");
    ends = readIntegers(call.input(2), "ends");
    if (const awq_tensor *axesTensor = call.optionalInput(3))
      axes = readIntegers(axesTensor, "axes");
    if (const awq_tensor *stepsTensor = call.optionalInput(4))
      steps = readIntegers(stepsTensor, "steps");
  }
  if (ends.size() != starts.size() || (!axes.empty() && axes.size() != starts.size()) ||
      (!steps.empty() && steps.size() != starts.size()))
    raise("starts, ends, axes and steps differ in length");
  awq_tensor out{};
  NodeCall::check(awq_slice_shape(data, starts.data(), ends.data(), orNull(axes), orNull(steps),
                                  countOf(starts), &out));
  return {sliceView(data, starts.data(), ends.data(), orNull(axes), orNull(steps),
                    countOf(starts))};
}

// As many parts as the node has outputs; sizes from the optional input (opset
// 13+), the `split` attribute (older), or equal parts.
std::vector<StridedView> awq::rt::splitNodeViews(NodeCall &call) {
  const awq_tensor *data = call.input(0);
  const int64_t axis = call.node.getInt("axis", 0);
  std::vector<int64_t> sizes;
  if (const awq_tensor *sizesTensor = call.optionalInput(1))
    sizes = readIntegers(sizesTensor, "split");
  else
    sizes = call.node.getInts("split");
  std::vector<awq_tensor> outputs(static_cast<size_t>(call.numOutputs()));
  NodeCall::check(
      awq_split_shape(data, axis, orNull(sizes), call.numOutputs(), outputs.data()));
  return splitViews(data, axis, orNull(sizes), call.numOutputs());
}

std::vector<StridedView> awq::rt::expandNodeViews(NodeCall &call) {
  call.expectOutputs(1);
  const awq_tensor *data = call.input(0);
  const std::vector<int64_t> shape = readIntegers(call.input(1), "shape");
  awq_tensor out{};
  NodeCall::check(awq_expand_shape(data, shape.data(), countOf(shape), &out));
  return {expandView(data, shape.data(), countOf(shape))};
}

void awq::rt::allocateViewOutputs(NodeCall &call, const std::vector<StridedView> &views) {
  call.expectOutputs(static_cast<int32_t>(views.size()));
  for (size_t i = 0; i < views.size(); ++i) {
    awq_tensor *out = call.output(static_cast<int32_t>(i));
    setOutput(out, call.input(0)->dtype, views[i].shape);
    call.allocate(out);
  }
}

namespace {

void concat(NodeCall &call) {
  std::vector<const awq_tensor *> parts;
  for (int32_t i = 0; i < call.numInputs(); ++i)
    parts.push_back(call.input(i));
  const int64_t axis = call.node.getInt("axis", 0);
  const int64_t count = static_cast<int64_t>(parts.size());
  call.runSingle([&](awq_tensor *out) { return awq_concat_shape(parts.data(), count, axis, out); },
                 [&](awq_tensor *out) { return awq_concat(parts.data(), count, axis, out); });
}

void shapeNode(NodeCall &call) {
  const awq_tensor *data = call.input(0);
  const int64_t start = call.node.getInt("start", 0);
  const int64_t end = call.node.getInt("end", std::numeric_limits<int64_t>::max());
  call.runSingle([&](awq_tensor *out) { return awq_shape_op_shape(data, start, end, out); },
                 [&](awq_tensor *out) { return awq_shape_op(data, start, end, out); });
}

} // namespace

AWQ_DEFINE_NODE(onnx, Reshape, copyViewsOnHost<reshapeNodeViews>)
AWQ_DEFINE_NODE(onnx, Flatten, copyViewsOnHost<flattenNodeViews>)
AWQ_DEFINE_NODE(onnx, Squeeze, copyViewsOnHost<squeezeNodeViews>)
AWQ_DEFINE_NODE(onnx, Unsqueeze, copyViewsOnHost<unsqueezeNodeViews>)
AWQ_DEFINE_NODE(onnx, Transpose, copyViewsOnHost<transposeNodeViews>)
AWQ_DEFINE_NODE(onnx, Concat, concat)
AWQ_DEFINE_NODE(onnx, Slice, copyViewsOnHost<sliceNodeViews>)
AWQ_DEFINE_NODE(onnx, Split, copyViewsOnHost<splitNodeViews>)
AWQ_DEFINE_NODE(onnx, Expand, copyViewsOnHost<expandNodeViews>)
AWQ_DEFINE_NODE(onnx, Shape, shapeNode)
