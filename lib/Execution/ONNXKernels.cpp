//===- ONNXKernels.cpp - Generic onnx.node ops on the runtime -------------===//
//
// One kernel per ONNX operator that transformer exports contain, each reading
// the node's attributes (and, for the shape family, the values of small shape
// tensors) with ONNX's defaults and opset differences, then calling the
// runtime. Unknown operators are rejected when the executor is created.
//
//===----------------------------------------------------------------------===//

#include "OpKernels.h"

#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <limits>

using namespace mlir;

namespace awq {
namespace {

using Inputs = ArrayRef<const HostTensor *>;

/// Input `index`, or an error naming it when it is absent.
llvm::Expected<const awq_tensor *> requireInput(Inputs inputs, unsigned index) {
  if (index >= inputs.size() || !inputs[index])
    return makeError(llvm::formatv("input #{0} is required", index));
  return &inputs[index]->desc();
}

/// Input `index`, or null when it is absent (an optional input).
const awq_tensor *optionalInput(Inputs inputs, unsigned index) {
  return index < inputs.size() && inputs[index] ? &inputs[index]->desc()
                                                 : nullptr;
}

/// The integers of a small i64/i32 tensor (shapes, axes, indices).
llvm::Expected<SmallVector<int64_t>> readIntegers(const awq_tensor *tensor,
                                                  StringRef what) {
  SmallVector<int64_t> values;
  int64_t count = awq_tensor_numel(tensor);
  if (tensor->dtype == AWQ_I64) {
    auto *data = static_cast<const int64_t *>(tensor->data);
    values.assign(data, data + count);
  } else if (tensor->dtype == AWQ_I32) {
    auto *data = static_cast<const int32_t *>(tensor->data);
    values.assign(data, data + count);
  } else {
    return makeError(llvm::formatv("{0} must be int64 or int32, got {1}", what,
                                   awq_dtype_name(tensor->dtype)));
  }
  return values;
}

/// A scalar of any numeric dtype as a double (Range's start/limit/delta).
llvm::Expected<double> readScalar(const awq_tensor *tensor, StringRef what) {
  if (awq_tensor_numel(tensor) != 1)
    return makeError(llvm::formatv("{0} must hold one element", what));
  const void *data = tensor->data;
  switch (tensor->dtype) {
  case AWQ_F32: return *static_cast<const float *>(data);
  case AWQ_F16: return awq_f16_to_f32(*static_cast<const uint16_t *>(data));
  case AWQ_BF16: return awq_bf16_to_f32(*static_cast<const uint16_t *>(data));
  case AWQ_I64: return static_cast<double>(*static_cast<const int64_t *>(data));
  case AWQ_I32: return *static_cast<const int32_t *>(data);
  case AWQ_I8: return *static_cast<const int8_t *>(data);
  case AWQ_U8: return *static_cast<const uint8_t *>(data);
  default:
    return makeError(llvm::formatv("{0} has unsupported dtype {1}", what,
                                   awq_dtype_name(tensor->dtype)));
  }
}

/// Axes given as an optional input (newer opsets) or an INTS attribute
/// (older ones); empty when neither is present.
llvm::Expected<SmallVector<int64_t>> readAxes(onnx::NodeOp node, Inputs inputs,
                                              unsigned inputIndex) {
  if (const awq_tensor *axes = optionalInput(inputs, inputIndex))
    return readIntegers(axes, "axes");
  if (std::optional<ArrayRef<int64_t>> axes = node.getIntsAttr("axes"))
    return SmallVector<int64_t>(axes->begin(), axes->end());
  return SmallVector<int64_t>();
}

/// The runtime dtype of an ONNX TensorProto.DataType code.
llvm::Expected<int32_t> fromONNXDataType(int64_t code) {
  switch (code) {
  case 1: return AWQ_F32;
  case 2: return AWQ_U8;
  case 3: return AWQ_I8;
  case 6: return AWQ_I32;
  case 7: return AWQ_I64;
  case 9: return AWQ_BOOL;
  case 10: return AWQ_F16;
  case 16: return AWQ_BF16;
  default:
    return makeError(llvm::formatv("ONNX data type {0} is not supported", code));
  }
}

#define REQUIRE(var, expr)                                                     \
  auto var##OrError = (expr);                                                  \
  if (!var##OrError)                                                           \
    return var##OrError.takeError();                                           \
  auto &var = *var##OrError;

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <awq_unary_op Kind>
llvm::Expected<TensorList> runUnary(Operation *, Inputs inputs) {
  REQUIRE(x, requireInput(inputs, 0));
  return singleResult(callUnary(Kind, x));
}

template <awq_binary_op Kind>
llvm::Expected<TensorList> runBinary(Operation *, Inputs inputs) {
  REQUIRE(a, requireInput(inputs, 0));
  REQUIRE(b, requireInput(inputs, 1));
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_binary_shape(Kind, a, b, out); },
      [&](awq_tensor *out) { return awq_binary(Kind, a, b, out); }));
}

/// Min/Max/Sum take any number of inputs: fold them pairwise.
template <awq_binary_op Kind>
llvm::Expected<TensorList> runVariadic(Operation *, Inputs inputs) {
  REQUIRE(first, requireInput(inputs, 0));
  (void)first;
  HostTensor accumulated = *inputs[0];
  for (unsigned i = 1; i < inputs.size(); ++i) {
    REQUIRE(next, requireInput(inputs, i));
    const awq_tensor *current = &accumulated.desc();
    llvm::Expected<HostTensor> combined = callRuntime(
        [&](awq_tensor *out) { return awq_binary_shape(Kind, current, next, out); },
        [&](awq_tensor *out) { return awq_binary(Kind, current, next, out); });
    if (!combined)
      return combined.takeError();
    accumulated = std::move(*combined);
  }
  TensorList results;
  results.push_back(std::move(accumulated));
  return results;
}

llvm::Expected<TensorList> runWhere(Operation *, Inputs inputs) {
  REQUIRE(cond, requireInput(inputs, 0));
  REQUIRE(x, requireInput(inputs, 1));
  REQUIRE(y, requireInput(inputs, 2));
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_where_shape(cond, x, y, out); },
      [&](awq_tensor *out) { return awq_where(cond, x, y, out); }));
}

llvm::Expected<TensorList> runCast(Operation *op, Inputs inputs) {
  REQUIRE(x, requireInput(inputs, 0));
  REQUIRE(to, fromONNXDataType(cast<onnx::NodeOp>(op).getIntAttr("to", 0)));
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_cast_shape(x, to, out); },
      [&](awq_tensor *out) { return awq_cast(x, to, out); }));
}

/// Identity and inference-mode Dropout forward their input unchanged.
llvm::Expected<TensorList> runIdentity(Operation *op, Inputs inputs) {
  if (op->getNumResults() != 1)
    return makeError("only the first output is supported");
  REQUIRE(x, requireInput(inputs, 0));
  (void)x;
  TensorList results;
  results.push_back(*inputs[0]);
  return results;
}

//===----------------------------------------------------------------------===//
// Reductions, normalization, activations
//===----------------------------------------------------------------------===//

template <awq_reduce_op Kind>
llvm::Expected<TensorList> runReduce(Operation *op, Inputs inputs) {
  auto node = cast<onnx::NodeOp>(op);
  REQUIRE(x, requireInput(inputs, 0));
  REQUIRE(axes, readAxes(node, inputs, 1));
  int keepdims = node.getIntAttr("keepdims", 1);
  int noop = node.getIntAttr("noop_with_empty_axes", 0);
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_reduce_shape(Kind, x, axes.data(), axes.size(), keepdims,
                                noop, out);
      },
      [&](awq_tensor *out) {
        return awq_reduce(Kind, x, axes.data(), axes.size(), keepdims, noop,
                          out);
      }));
}

llvm::Expected<TensorList> runSoftmax(Operation *op, Inputs inputs) {
  auto node = cast<onnx::NodeOp>(op);
  REQUIRE(x, requireInput(inputs, 0));
  // Before opset 13 Softmax flattened the input at `axis` (default 1); that
  // equals a per-axis softmax only when axis is the last one.
  int64_t axis = node.getIntAttr("axis", node.getOpset() >= 13 ? -1 : 1);
  if (node.getOpset() < 13 && axis != -1 && axis != x->rank - 1)
    return makeError("Softmax before opset 13 is supported on the last axis only");
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_softmax_shape(x, axis, out); },
      [&](awq_tensor *out) { return awq_softmax(x, axis, out); }));
}

llvm::Expected<TensorList> runLayerNormalization(Operation *op, Inputs inputs) {
  auto node = cast<onnx::NodeOp>(op);
  if (op->getNumResults() != 1)
    return makeError("the Mean and InvStdDev outputs are not supported");
  REQUIRE(x, requireInput(inputs, 0));
  REQUIRE(gamma, requireInput(inputs, 1));
  const awq_tensor *beta = optionalInput(inputs, 2);
  int64_t axis = node.getIntAttr("axis", -1);
  float eps = node.getFloatAttr("epsilon", 1e-5f);
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_layer_norm_shape(x, gamma, beta, axis, eps, out);
      },
      [&](awq_tensor *out) {
        return awq_layer_norm(x, gamma, beta, axis, eps, out);
      }));
}

/// SimplifiedLayerNormalization (onnxruntime) and RMSNormalization (opset 23).
llvm::Expected<TensorList> runRMSNormalization(Operation *op, Inputs inputs) {
  auto node = cast<onnx::NodeOp>(op);
  if (op->getNumResults() != 1)
    return makeError("the InvStdDev output is not supported");
  REQUIRE(x, requireInput(inputs, 0));
  REQUIRE(gamma, requireInput(inputs, 1));
  int64_t axis = node.getIntAttr("axis", -1);
  if (axis != -1 && axis != x->rank - 1)
    return makeError("RMS normalization is supported over the last axis only");
  float eps = node.getFloatAttr("epsilon", 1e-5f);
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_rms_norm_shape(x, gamma, eps, 0.0f, out); },
      [&](awq_tensor *out) { return awq_rms_norm(x, gamma, eps, 0.0f, out); }));
}

/// Gelu (opset 20, `approximate`), com.microsoft Gelu, FastGelu without bias.
llvm::Expected<TensorList> runGelu(Operation *op, Inputs inputs) {
  auto node = cast<onnx::NodeOp>(op);
  REQUIRE(x, requireInput(inputs, 0));
  if (optionalInput(inputs, 1))
    return makeError("FastGelu with a bias input is not supported");
  bool useTanh = node.getOpType() == "FastGelu" ||
                 node.getStringAttr("approximate", "none") == "tanh";
  return singleResult(
      callUnary(useTanh ? AWQ_UNARY_GELU_TANH : AWQ_UNARY_GELU, x));
}

//===----------------------------------------------------------------------===//
// Matrix products and indexing
//===----------------------------------------------------------------------===//

llvm::Expected<TensorList> runMatMul(Operation *, Inputs inputs) {
  REQUIRE(a, requireInput(inputs, 0));
  REQUIRE(b, requireInput(inputs, 1));
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_matmul_shape(a, b, out); },
      [&](awq_tensor *out) { return awq_matmul(a, b, out); }));
}

llvm::Expected<TensorList> runGemm(Operation *op, Inputs inputs) {
  auto node = cast<onnx::NodeOp>(op);
  REQUIRE(a, requireInput(inputs, 0));
  REQUIRE(b, requireInput(inputs, 1));
  const awq_tensor *c = optionalInput(inputs, 2);
  float alpha = node.getFloatAttr("alpha", 1.0f);
  float beta = node.getFloatAttr("beta", 1.0f);
  int transA = node.getIntAttr("transA", 0);
  int transB = node.getIntAttr("transB", 0);
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_gemm_shape(a, b, c, alpha, beta, transA, transB, out);
      },
      [&](awq_tensor *out) {
        return awq_gemm(a, b, c, alpha, beta, transA, transB, out);
      }));
}

llvm::Expected<TensorList> runGather(Operation *op, Inputs inputs) {
  REQUIRE(data, requireInput(inputs, 0));
  REQUIRE(indices, requireInput(inputs, 1));
  int64_t axis = cast<onnx::NodeOp>(op).getIntAttr("axis", 0);
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_gather_shape(data, indices, axis, out); },
      [&](awq_tensor *out) { return awq_gather(data, indices, axis, out); }));
}

//===----------------------------------------------------------------------===//
// Shape family
//===----------------------------------------------------------------------===//

/// The result of an op that only renames the shape (Reshape, Flatten,
/// Squeeze, Unsqueeze): `shapeFn` describes it, and it shares the input's
/// memory instead of copying it.
llvm::Expected<TensorList>
viewWithShape(const HostTensor &input,
              llvm::function_ref<awq_status(awq_tensor *)> shapeFn) {
  awq_tensor described{nullptr, 0, 0, {}};
  if (shapeFn(&described) != 0)
    return makeError(awq_last_error());
  TensorList results;
  results.push_back(
      input.reshaped(ArrayRef<int64_t>(described.shape, described.rank)));
  return results;
}

llvm::Expected<TensorList> runReshape(Operation *op, Inputs inputs) {
  REQUIRE(data, requireInput(inputs, 0));
  REQUIRE(shapeTensor, requireInput(inputs, 1));
  REQUIRE(shape, readIntegers(shapeTensor, "shape"));
  int allowzero = cast<onnx::NodeOp>(op).getIntAttr("allowzero", 0);
  return viewWithShape(*inputs[0], [&](awq_tensor *out) {
    return awq_reshape_shape(data, shape.data(), shape.size(), allowzero, out);
  });
}

llvm::Expected<TensorList> runFlatten(Operation *op, Inputs inputs) {
  REQUIRE(data, requireInput(inputs, 0));
  int64_t axis = cast<onnx::NodeOp>(op).getIntAttr("axis", 1);
  return viewWithShape(*inputs[0], [&](awq_tensor *out) {
    return awq_flatten_shape(data, axis, out);
  });
}

llvm::Expected<TensorList> runSqueeze(Operation *op, Inputs inputs) {
  REQUIRE(data, requireInput(inputs, 0));
  REQUIRE(axes, readAxes(cast<onnx::NodeOp>(op), inputs, 1));
  return viewWithShape(*inputs[0], [&](awq_tensor *out) {
    return awq_squeeze_shape(data, axes.data(), axes.size(), out);
  });
}

llvm::Expected<TensorList> runUnsqueeze(Operation *op, Inputs inputs) {
  REQUIRE(data, requireInput(inputs, 0));
  REQUIRE(axes, readAxes(cast<onnx::NodeOp>(op), inputs, 1));
  return viewWithShape(*inputs[0], [&](awq_tensor *out) {
    return awq_unsqueeze_shape(data, axes.data(), axes.size(), out);
  });
}

llvm::Expected<TensorList> runTranspose(Operation *op, Inputs inputs) {
  REQUIRE(data, requireInput(inputs, 0));
  std::optional<ArrayRef<int64_t>> perm =
      cast<onnx::NodeOp>(op).getIntsAttr("perm");
  const int64_t *permData = perm ? perm->data() : nullptr;
  int64_t permCount = perm ? perm->size() : 0;
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_transpose_shape(data, permData, permCount, out);
      },
      [&](awq_tensor *out) {
        return awq_transpose(data, permData, permCount, out);
      }));
}

llvm::Expected<TensorList> runConcat(Operation *op, Inputs inputs) {
  SmallVector<const awq_tensor *> parts;
  for (unsigned i = 0; i < inputs.size(); ++i) {
    REQUIRE(part, requireInput(inputs, i));
    parts.push_back(part);
  }
  int64_t axis = cast<onnx::NodeOp>(op).getIntAttr("axis", 0);
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_concat_shape(parts.data(), parts.size(), axis, out);
      },
      [&](awq_tensor *out) {
        return awq_concat(parts.data(), parts.size(), axis, out);
      }));
}

llvm::Expected<TensorList> runSlice(Operation *op, Inputs inputs) {
  auto node = cast<onnx::NodeOp>(op);
  REQUIRE(data, requireInput(inputs, 0));
  SmallVector<int64_t> starts, ends, axes, steps;
  if (node.getOpset() < 10) {
    // Opset 1-9: starts/ends/axes are attributes, steps do not exist.
    starts.assign(node.getIntsAttr("starts").value_or(ArrayRef<int64_t>{}).begin(),
                  node.getIntsAttr("starts").value_or(ArrayRef<int64_t>{}).end());
    ends.assign(node.getIntsAttr("ends").value_or(ArrayRef<int64_t>{}).begin(),
                node.getIntsAttr("ends").value_or(ArrayRef<int64_t>{}).end());
    if (auto attr = node.getIntsAttr("axes"))
      axes.assign(attr->begin(), attr->end());
  } else {
    REQUIRE(startsTensor, requireInput(inputs, 1));
    REQUIRE(endsTensor, requireInput(inputs, 2));
    REQUIRE(startValues, readIntegers(startsTensor, "starts"));
    REQUIRE(endValues, readIntegers(endsTensor, "ends"));
    starts = startValues;
    ends = endValues;
    if (const awq_tensor *axesTensor = optionalInput(inputs, 3)) {
      REQUIRE(axisValues, readIntegers(axesTensor, "axes"));
      axes = axisValues;
    }
    if (const awq_tensor *stepsTensor = optionalInput(inputs, 4)) {
      REQUIRE(stepValues, readIntegers(stepsTensor, "steps"));
      steps = stepValues;
    }
  }
  if (ends.size() != starts.size() ||
      (!axes.empty() && axes.size() != starts.size()) ||
      (!steps.empty() && steps.size() != starts.size()))
    return makeError("starts, ends, axes and steps differ in length");
  const int64_t *axesData = axes.empty() ? nullptr : axes.data();
  const int64_t *stepsData = steps.empty() ? nullptr : steps.data();
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_slice_shape(data, starts.data(), ends.data(), axesData,
                               stepsData, starts.size(), out);
      },
      [&](awq_tensor *out) {
        return awq_slice(data, starts.data(), ends.data(), axesData, stepsData,
                         starts.size(), out);
      }));
}

llvm::Expected<TensorList> runSplit(Operation *op, Inputs inputs) {
  auto node = cast<onnx::NodeOp>(op);
  REQUIRE(data, requireInput(inputs, 0));
  int64_t axis = node.getIntAttr("axis", 0);
  int64_t numOutputs = op->getNumResults();
  SmallVector<int64_t> split;
  if (const awq_tensor *splitTensor = optionalInput(inputs, 1)) {
    REQUIRE(sizes, readIntegers(splitTensor, "split"));
    split = sizes;
  } else if (auto attr = node.getIntsAttr("split")) {
    split.assign(attr->begin(), attr->end());
  }
  SmallVector<awq_tensor> described(numOutputs, awq_tensor{nullptr, 0, 0, {}});
  const int64_t *splitData = split.empty() ? nullptr : split.data();
  if (awq_split_shape(data, axis, splitData, numOutputs, described.data()))
    return makeError(awq_last_error());
  TensorList results;
  SmallVector<awq_tensor> outputs;
  for (const awq_tensor &part : described) {
    results.push_back(HostTensor::allocateLike(part));
    outputs.push_back(results.back().desc());
  }
  if (awq_split(data, axis, splitData, numOutputs, outputs.data()))
    return makeError(awq_last_error());
  return results;
}

llvm::Expected<TensorList> runExpand(Operation *, Inputs inputs) {
  REQUIRE(data, requireInput(inputs, 0));
  REQUIRE(shapeTensor, requireInput(inputs, 1));
  REQUIRE(shape, readIntegers(shapeTensor, "shape"));
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_expand_shape(data, shape.data(), shape.size(), out);
      },
      [&](awq_tensor *out) {
        return awq_expand(data, shape.data(), shape.size(), out);
      }));
}

llvm::Expected<TensorList> runShape(Operation *op, Inputs inputs) {
  auto node = cast<onnx::NodeOp>(op);
  REQUIRE(data, requireInput(inputs, 0));
  int64_t start = node.getIntAttr("start", 0);
  int64_t end = node.getIntAttr("end", std::numeric_limits<int64_t>::max());
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_shape_op_shape(data, start, end, out); },
      [&](awq_tensor *out) { return awq_shape_op(data, start, end, out); }));
}

llvm::Expected<TensorList> runConstantOfShape(Operation *op, Inputs inputs) {
  REQUIRE(shapeTensor, requireInput(inputs, 0));
  REQUIRE(shape, readIntegers(shapeTensor, "shape"));
  std::optional<HostTensor> fill;
  if (auto value = dyn_cast_if_present<ElementsAttr>(
          cast<onnx::NodeOp>(op).getOnnxAttr("value"))) {
    REQUIRE(tensor, tensorFromElements(value));
    fill = tensor;
  }
  const awq_tensor *fillDesc = fill ? &fill->desc() : nullptr;
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_constant_of_shape_shape(shape.data(), shape.size(), fillDesc,
                                           out);
      },
      [&](awq_tensor *out) {
        return awq_constant_of_shape(shape.data(), shape.size(), fillDesc, out);
      }));
}

llvm::Expected<TensorList> runRange(Operation *, Inputs inputs) {
  REQUIRE(startTensor, requireInput(inputs, 0));
  REQUIRE(limitTensor, requireInput(inputs, 1));
  REQUIRE(deltaTensor, requireInput(inputs, 2));
  REQUIRE(start, readScalar(startTensor, "start"));
  REQUIRE(limit, readScalar(limitTensor, "limit"));
  REQUIRE(delta, readScalar(deltaTensor, "delta"));
  int32_t dtype = startTensor->dtype;
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_range_shape(start, limit, delta, dtype, out);
      },
      [&](awq_tensor *out) { return awq_range(start, limit, delta, dtype, out); }));
}

llvm::Expected<TensorList> runTrilu(Operation *op, Inputs inputs) {
  REQUIRE(x, requireInput(inputs, 0));
  int64_t k = 0;
  if (const awq_tensor *kTensor = optionalInput(inputs, 1)) {
    REQUIRE(kValue, readScalar(kTensor, "k"));
    k = static_cast<int64_t>(kValue);
  }
  int upper = cast<onnx::NodeOp>(op).getIntAttr("upper", 1);
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_trilu_shape(x, k, upper, out); },
      [&](awq_tensor *out) { return awq_trilu(x, k, upper, out); }));
}

/// Constant nodes whose value is an attribute other than `value` (those with
/// `value` are converted once, when the executor is created).
llvm::Expected<TensorList> runConstant(Operation *op, Inputs) {
  auto node = cast<onnx::NodeOp>(op);
  HostTensor tensor;
  if (auto value = dyn_cast_if_present<FloatAttr>(node.getOnnxAttr("value_float"))) {
    tensor = HostTensor::allocate(AWQ_F32, {});
    tensor.mutableValues<float>()[0] = value.getValueAsDouble();
  } else if (auto value =
                 dyn_cast_if_present<IntegerAttr>(node.getOnnxAttr("value_int"))) {
    tensor = HostTensor::allocate(AWQ_I64, {});
    tensor.mutableValues<int64_t>()[0] = value.getInt();
  } else if (auto values = node.getIntsAttr("value_ints")) {
    tensor = HostTensor::allocate(AWQ_I64, {static_cast<int64_t>(values->size())});
    llvm::copy(*values, tensor.mutableValues<int64_t>().begin());
  } else if (auto values = dyn_cast_if_present<DenseF32ArrayAttr>(
                 node.getOnnxAttr("value_floats"))) {
    tensor = HostTensor::allocate(AWQ_F32, {values.size()});
    llvm::copy(values.asArrayRef(), tensor.mutableValues<float>().begin());
  } else {
    return makeError("Constant without a supported value attribute");
  }
  TensorList results;
  results.push_back(std::move(tensor));
  return results;
}

#undef REQUIRE

/// The kernels of the default ai.onnx domain, by operator type.
const llvm::StringMap<OpKernel> &defaultDomainKernels() {
  static const llvm::StringMap<OpKernel> kernels = {
      {"Neg", runUnary<AWQ_UNARY_NEG>},
      {"Abs", runUnary<AWQ_UNARY_ABS>},
      {"Sqrt", runUnary<AWQ_UNARY_SQRT>},
      {"Reciprocal", runUnary<AWQ_UNARY_RECIPROCAL>},
      {"Exp", runUnary<AWQ_UNARY_EXP>},
      {"Log", runUnary<AWQ_UNARY_LOG>},
      {"Erf", runUnary<AWQ_UNARY_ERF>},
      {"Tanh", runUnary<AWQ_UNARY_TANH>},
      {"Sigmoid", runUnary<AWQ_UNARY_SIGMOID>},
      {"Sin", runUnary<AWQ_UNARY_SIN>},
      {"Cos", runUnary<AWQ_UNARY_COS>},
      {"Floor", runUnary<AWQ_UNARY_FLOOR>},
      {"Ceil", runUnary<AWQ_UNARY_CEIL>},
      {"Relu", runUnary<AWQ_UNARY_RELU>},
      {"Not", runUnary<AWQ_UNARY_NOT>},
      {"Add", runBinary<AWQ_BINARY_ADD>},
      {"Sub", runBinary<AWQ_BINARY_SUB>},
      {"Mul", runBinary<AWQ_BINARY_MUL>},
      {"Div", runBinary<AWQ_BINARY_DIV>},
      {"Pow", runBinary<AWQ_BINARY_POW>},
      {"Equal", runBinary<AWQ_BINARY_EQUAL>},
      {"Less", runBinary<AWQ_BINARY_LESS>},
      {"LessOrEqual", runBinary<AWQ_BINARY_LESS_OR_EQUAL>},
      {"Greater", runBinary<AWQ_BINARY_GREATER>},
      {"GreaterOrEqual", runBinary<AWQ_BINARY_GREATER_OR_EQUAL>},
      {"And", runBinary<AWQ_BINARY_AND>},
      {"Or", runBinary<AWQ_BINARY_OR>},
      {"Xor", runBinary<AWQ_BINARY_XOR>},
      {"Min", runVariadic<AWQ_BINARY_MIN>},
      {"Max", runVariadic<AWQ_BINARY_MAX>},
      {"Sum", runVariadic<AWQ_BINARY_ADD>},
      {"Where", runWhere},
      {"Cast", runCast},
      {"Identity", runIdentity},
      {"Dropout", runIdentity},
      {"ReduceSum", runReduce<AWQ_REDUCE_SUM>},
      {"ReduceMean", runReduce<AWQ_REDUCE_MEAN>},
      {"ReduceMax", runReduce<AWQ_REDUCE_MAX>},
      {"ReduceMin", runReduce<AWQ_REDUCE_MIN>},
      {"ReduceProd", runReduce<AWQ_REDUCE_PROD>},
      {"Softmax", runSoftmax},
      {"LayerNormalization", runLayerNormalization},
      {"SimplifiedLayerNormalization", runRMSNormalization},
      {"RMSNormalization", runRMSNormalization},
      {"Gelu", runGelu},
      {"MatMul", runMatMul},
      {"Gemm", runGemm},
      {"Gather", runGather},
      {"Reshape", runReshape},
      {"Flatten", runFlatten},
      {"Squeeze", runSqueeze},
      {"Unsqueeze", runUnsqueeze},
      {"Transpose", runTranspose},
      {"Concat", runConcat},
      {"Slice", runSlice},
      {"Split", runSplit},
      {"Expand", runExpand},
      {"Shape", runShape},
      {"ConstantOfShape", runConstantOfShape},
      {"Range", runRange},
      {"Trilu", runTrilu},
      {"Constant", runConstant},
  };
  return kernels;
}

/// The kernels of onnxruntime's com.microsoft domain that exporters emit.
const llvm::StringMap<OpKernel> &microsoftDomainKernels() {
  static const llvm::StringMap<OpKernel> kernels = {
      {"Gelu", runGelu},
      {"FastGelu", runGelu},
  };
  return kernels;
}

} // namespace

OpKernel lookupONNXKernel(StringRef domain, StringRef opType) {
  const llvm::StringMap<OpKernel> *kernels = nullptr;
  if (domain.empty() || domain == "ai.onnx")
    kernels = &defaultDomainKernels();
  else if (domain == "com.microsoft")
    kernels = &microsoftDomainKernels();
  else
    return nullptr;
  auto it = kernels->find(opType);
  return it == kernels->end() ? nullptr : it->second;
}

} // namespace awq
