// GeneratorNodes.cpp - ONNX ops that make a tensor from attributes or small inputs:
// ConstantOfShape, Range, Trilu's mask and Constant.
#include "NodeCall.h"

using namespace awq::rt;

namespace {

void constantOfShape(NodeCall &call) {
  const std::vector<int64_t> shape = readIntegers(call.input(0), "shape");
  const std::optional<NodeTensor> value = call.node.getTensor("value");
  const awq_tensor *fill = value ? &value->desc : nullptr; // NULL: f32 zeros
  const int64_t count = static_cast<int64_t>(shape.size());
  call.runSingle(
      [&](awq_tensor *out) { return awq_constant_of_shape_shape(shape.data(), count, fill, out); },
      [&](awq_tensor *out) { return awq_constant_of_shape(shape.data(), count, fill, out); });
}

void range(NodeCall &call) {
  const awq_tensor *startTensor = call.input(0);
  const double start = readScalar(startTensor, "start");
  const double limit = readScalar(call.input(1), "limit");
  const double delta = readScalar(call.input(2), "delta");
  const int32_t dtype = startTensor->dtype;
  call.runSingle([&](awq_tensor *out) { return awq_range_shape(start, limit, delta, dtype, out); },
                 [&](awq_tensor *out) { return awq_range(start, limit, delta, dtype, out); });
}

void trilu(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  const TriluArguments arguments = readTriluArguments(call);
  const int64_t k = arguments.k;
  const int upper = arguments.upper;
  call.runSingle([&](awq_tensor *out) { return awq_trilu_shape(x, k, upper, out); },
                 [&](awq_tensor *out) { return awq_trilu(x, k, upper, out); });
}

// Writes `bytes` as the one output of the given dtype and shape.
void outputBytes(NodeCall &call, int32_t dtype, const Shape &shape, const void *bytes) {
  call.expectOutputs(1);
  awq_tensor *out = call.output(0);
  setOutput(out, dtype, shape);
  call.allocate(out);
  const size_t size = static_cast<size_t>(numelOf(shape)) * awq_dtype_size(dtype);
  if (size)
    std::memcpy(out->data, bytes, size);
}

// Constant takes its value from exactly one of several attributes.
void constant(NodeCall &call) {
  const NodeReader &node = call.node;
  if (std::optional<NodeTensor> value = node.getTensor("value")) {
    outputBytes(call, value->desc.dtype, shapeOf(&value->desc), value->desc.data);
  } else if (node.has("value_float")) {
    const float value = node.getFloat("value_float");
    outputBytes(call, AWQ_F32, {}, &value);
  } else if (node.has("value_int")) {
    const int64_t value = node.getInt("value_int");
    outputBytes(call, AWQ_I64, {}, &value);
  } else if (node.has("value_ints")) {
    const std::vector<int64_t> values = node.getInts("value_ints");
    outputBytes(call, AWQ_I64, {static_cast<int64_t>(values.size())}, values.data());
  } else if (node.has("value_floats")) {
    const std::vector<float> values = node.getFloats("value_floats");
    outputBytes(call, AWQ_F32, {static_cast<int64_t>(values.size())}, values.data());
  } else {
    raise("Constant without a supported value attribute");
  }
}

} // namespace

AWQ_DEFINE_NODE(onnx, ConstantOfShape, constantOfShape)
AWQ_DEFINE_NODE(onnx, Range, range)
AWQ_DEFINE_NODE(onnx, Trilu, trilu)
AWQ_DEFINE_NODE(onnx, Constant, constant)
