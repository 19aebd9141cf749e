// ElementwiseNodes.cpp - ONNX unary/binary/variadic ops, Clip, Where, Cast, Identity and the
// GELU family.
#include "NodeCall.h"
#include "ViewNodes.h"

#include <string>

using namespace awq::rt;

namespace {

template <awq_unary_op Kind> void unary(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  call.runSingle([&](awq_tensor *out) { return awq_unary_shape(Kind, x, out); },
                 [&](awq_tensor *out) { return awq_unary(Kind, x, out); });
}

template <awq_binary_op Kind> void binary(NodeCall &call) {
  const awq_tensor *a = call.input(0), *b = call.input(1);
  call.runSingle([&](awq_tensor *out) { return awq_binary_shape(Kind, a, b, out); },
                 [&](awq_tensor *out) { return awq_binary(Kind, a, b, out); });
}

// Copies `x` unchanged into the one output.
void copyToOutput(NodeCall &call, const awq_tensor *x) {
  checkData(x, "input");
  call.expectOutputs(1);
  awq_tensor *out = call.output(0);
  setOutputLike(out, x->dtype, x);
  call.allocate(out);
  std::memcpy(out->data, x->data, static_cast<size_t>(numel(x)) * awq_dtype_size(x->dtype));
}

// Applies `steps` in turn: result = first op_1 operand_1 op_2 operand_2 ...
// Partial results live in scratch buffers; only the last one goes to the
// output (with no steps, the output is a copy of `first`).
struct BinaryStep {
  awq_binary_op op;
  const awq_tensor *operand;
};
void foldBinary(NodeCall &call, const awq_tensor *first, const std::vector<BinaryStep> &steps) {
  if (steps.empty())
    return copyToOutput(call, first);
  call.expectOutputs(1);
  awq_tensor accumulated = *first;
  std::vector<int64_t> scratch[2]; // the one being read, the one being written
  for (size_t i = 0; i < steps.size(); ++i) {
    const bool last = i + 1 == steps.size();
    awq_tensor partial{};
    awq_tensor *result = last ? call.output(0) : &partial;
    NodeCall::check(awq_binary_shape(steps[i].op, &accumulated, steps[i].operand, result));
    if (last) {
      call.allocate(result);
    } else {
      std::vector<int64_t> &buffer = scratch[i % 2];
      buffer.resize(static_cast<size_t>(numel(result)) * awq_dtype_size(result->dtype) / 8 + 1);
      result->data = buffer.data();
    }
    NodeCall::check(awq_binary(steps[i].op, &accumulated, steps[i].operand, result));
    accumulated = *result;
  }
}

// Min/Max/Sum take any number of inputs: fold them pairwise.
template <awq_binary_op Kind> void variadic(NodeCall &call) {
  const awq_tensor *first = call.input(0);
  std::vector<BinaryStep> steps;
  for (int32_t i = 1; i < call.numInputs(); ++i)
    steps.push_back({Kind, call.input(i)});
  foldBinary(call, first, steps);
}

// Clip = Min(Max(x, min), max); an absent bound does not clip. Bounds are
// optional inputs from opset 11 on, float attributes before.
void clip(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  float attributeBounds[2];
  awq_tensor boundTensors[2] = {};
  std::vector<BinaryStep> steps;
  const char *names[2] = {"min", "max"};
  const awq_binary_op ops[2] = {AWQ_BINARY_MAX, AWQ_BINARY_MIN};
  for (int i = 0; i < 2; ++i) {
    const awq_tensor *bound = nullptr;
    if (call.node.opset() >= 11) {
      bound = call.optionalInput(1 + i);
    } else if (call.node.has(names[i])) {
      attributeBounds[i] = call.node.getFloat(names[i]);
      boundTensors[i] = awq_tensor{&attributeBounds[i], AWQ_F32, 0, {}};
      bound = &boundTensors[i];
    }
    if (bound)
      steps.push_back({ops[i], bound});
  }
  foldBinary(call, x, steps);
}

void where(NodeCall &call) {
  const awq_tensor *cond = call.input(0), *x = call.input(1), *y = call.input(2);
  call.runSingle([&](awq_tensor *out) { return awq_where_shape(cond, x, y, out); },
                 [&](awq_tensor *out) { return awq_where(cond, x, y, out); });
}

// The runtime dtype of an ONNX TensorProto.DataType code.
int32_t fromONNXDataType(int64_t code) {
  switch (code) {
  case 1: return AWQ_F32;
  case 2: return AWQ_U8;
  case 3: return AWQ_I8;
  case 6: return AWQ_I32;
  case 7: return AWQ_I64;
  case 9: return AWQ_BOOL;
  case 10: return AWQ_F16;
  case 16: return AWQ_BF16;
  default: raise("ONNX data type %lld is not supported", static_cast<long long>(code));
  }
}

void castNode(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  const int32_t to = fromONNXDataType(call.node.getInt("to", 0));
  call.runSingle([&](awq_tensor *out) { return awq_cast_shape(x, to, out); },
                 [&](awq_tensor *out) { return awq_cast(x, to, out); });
}

// Gelu (opset 20, `approximate`), com.microsoft Gelu, and FastGelu (always
// the tanh form) without its bias input.
template <bool AlwaysTanh> void gelu(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  if (call.optionalInput(1))
    raise("FastGelu with a bias input is not supported");
  const bool useTanh = AlwaysTanh || call.node.getString("approximate", "none") == "tanh";
  const awq_unary_op kind = useTanh ? AWQ_UNARY_GELU_TANH : AWQ_UNARY_GELU;
  call.runSingle([&](awq_tensor *out) { return awq_unary_shape(kind, x, out); },
                 [&](awq_tensor *out) { return awq_unary(kind, x, out); });
}

} // namespace

AWQ_DEFINE_NODE(onnx, Neg, unary<AWQ_UNARY_NEG>)
AWQ_DEFINE_NODE(onnx, Abs, unary<AWQ_UNARY_ABS>)
AWQ_DEFINE_NODE(onnx, Sqrt, unary<AWQ_UNARY_SQRT>)
AWQ_DEFINE_NODE(onnx, Reciprocal, unary<AWQ_UNARY_RECIPROCAL>)
AWQ_DEFINE_NODE(onnx, Exp, unary<AWQ_UNARY_EXP>)
AWQ_DEFINE_NODE(onnx, Log, unary<AWQ_UNARY_LOG>)
AWQ_DEFINE_NODE(onnx, Erf, unary<AWQ_UNARY_ERF>)
AWQ_DEFINE_NODE(onnx, Tanh, unary<AWQ_UNARY_TANH>)
AWQ_DEFINE_NODE(onnx, Sigmoid, unary<AWQ_UNARY_SIGMOID>)
AWQ_DEFINE_NODE(onnx, Sin, unary<AWQ_UNARY_SIN>)
AWQ_DEFINE_NODE(onnx, Cos, unary<AWQ_UNARY_COS>)
AWQ_DEFINE_NODE(onnx, Floor, unary<AWQ_UNARY_FLOOR>)
AWQ_DEFINE_NODE(onnx, Ceil, unary<AWQ_UNARY_CEIL>)
AWQ_DEFINE_NODE(onnx, Relu, unary<AWQ_UNARY_RELU>)
AWQ_DEFINE_NODE(onnx, Not, unary<AWQ_UNARY_NOT>)
AWQ_DEFINE_NODE(onnx, Add, binary<AWQ_BINARY_ADD>)
AWQ_DEFINE_NODE(onnx, Sub, binary<AWQ_BINARY_SUB>)
AWQ_DEFINE_NODE(onnx, Mul, binary<AWQ_BINARY_MUL>)
AWQ_DEFINE_NODE(onnx, Div, binary<AWQ_BINARY_DIV>)
AWQ_DEFINE_NODE(onnx, Pow, binary<AWQ_BINARY_POW>)
AWQ_DEFINE_NODE(onnx, Equal, binary<AWQ_BINARY_EQUAL>)
AWQ_DEFINE_NODE(onnx, Less, binary<AWQ_BINARY_LESS>)
AWQ_DEFINE_NODE(onnx, LessOrEqual, binary<AWQ_BINARY_LESS_OR_EQUAL>)
AWQ_DEFINE_NODE(onnx, Greater, binary<AWQ_BINARY_GREATER>)
AWQ_DEFINE_NODE(onnx, GreaterOrEqual, binary<AWQ_BINARY_GREATER_OR_EQUAL>)
AWQ_DEFINE_NODE(onnx, And, binary<AWQ_BINARY_AND>)
AWQ_DEFINE_NODE(onnx, Or, binary<AWQ_BINARY_OR>)
AWQ_DEFINE_NODE(onnx, Xor, binary<AWQ_BINARY_XOR>)
AWQ_DEFINE_NODE(onnx, Min, variadic<AWQ_BINARY_MIN>)
AWQ_DEFINE_NODE(onnx, Max, variadic<AWQ_BINARY_MAX>)
AWQ_DEFINE_NODE(onnx, Sum, variadic<AWQ_BINARY_ADD>)
AWQ_DEFINE_NODE(onnx, Clip, clip)
AWQ_DEFINE_NODE(onnx, Where, where)
AWQ_DEFINE_NODE(onnx, Cast, castNode)
// Identity and inference-mode Dropout forward their input unchanged.
AWQ_DEFINE_NODE(onnx, Identity, copyViewsOnHost<identityNodeViews>)
AWQ_DEFINE_NODE(onnx, Dropout, copyViewsOnHost<identityNodeViews>)
AWQ_DEFINE_NODE(onnx, Gelu, gelu<false>)
AWQ_DEFINE_NODE(ms, Gelu, gelu<false>)
AWQ_DEFINE_NODE(ms, FastGelu, gelu<true>)
