//===- ONNXMatchers.cpp - Helpers to match generic onnx.node ops ----------===//

#include "ONNXMatchers.h"

#include "mlir/IR/Matchers.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace awq {

bool isONNXNode(onnx::NodeOp node, StringRef opType, StringRef domain) {
  if (!node || node.getOpType() != opType)
    return false;
  StringRef nodeDomain = node.getDomain();
  if (domain.empty())
    return nodeDomain.empty() || nodeDomain == "ai.onnx";
  return nodeDomain == domain;
}

onnx::NodeOp getDefiningNode(Value value, StringRef opType, StringRef domain) {
  auto node = value.getDefiningOp<onnx::NodeOp>();
  return isONNXNode(node, opType, domain) ? node : nullptr;
}

bool isConstant(Value value) { return matchPattern(value, m_Constant()); }

ElementsAttr getConstantElements(Value value) {
  if (onnx::NodeOp node = getDefiningNode(value, "Constant"))
    return dyn_cast_if_present<ElementsAttr>(node.getOnnxAttr("value"));
  ElementsAttr elements;
  if (matchPattern(value, m_Constant(&elements)))
    return elements;
  return nullptr;
}

std::optional<double> getScalarFloat(Value value) {
  ElementsAttr elements = getConstantElements(value);
  if (!elements || elements.getNumElements() != 1 ||
      !isa<FloatType>(elements.getElementType()))
    return std::nullopt;
  return (*elements.getValues<APFloat>().begin()).convertToDouble();
}

bool isScalarNear(Value value, double expected) {
  std::optional<double> actual = getScalarFloat(value);
  return actual && std::fabs(*actual - expected) <= 1e-4 * std::fabs(expected);
}

Value matchUnitOffsetWeight(Value weight) {
  onnx::NodeOp add = getDefiningNode(weight, "Add");
  if (!add || add.getInputs().size() != 2)
    return nullptr;
  for (unsigned oneIndex : {0u, 1u})
    if (isScalarNear(add.getInputs()[oneIndex], 1.0))
      return add.getInputs()[1 - oneIndex];
  return nullptr;
}

RankedTensorType getFloatTensorType(Value value) {
  auto type = llvm::dyn_cast<RankedTensorType>(value.getType());
  if (!type || !llvm::isa<Float32Type, Float16Type, BFloat16Type>(
                   type.getElementType()))
    return nullptr;
  return type;
}

bool isLastAxis(int64_t axis, int64_t rank) {
  return axis == -1 || axis == rank - 1;
}

bool onlyFirstResultUsed(onnx::NodeOp node) {
  return llvm::all_of(node.getResults().drop_front(),
                      [](Value result) { return result.use_empty(); });
}

bool singleUse(onnx::NodeOp node) {
  return node.getOutputs().size() == 1 && node.getOutputs()[0].hasOneUse();
}

namespace {

using Ints = SmallVector<int64_t>;

/// Shape(x)'s entries [start, end) (opset 15's attributes) when they are all
/// static.
std::optional<Ints> staticShapeEntries(onnx::NodeOp shape) {
  auto type = dyn_cast<RankedTensorType>(shape.getInputs()[0].getType());
  if (!type)
    return std::nullopt;
  const int64_t rank = type.getRank();
  auto clampIndex = [rank](int64_t index) {
    return std::clamp<int64_t>(index < 0 ? index + rank : index, 0, rank);
  };
  const int64_t start = clampIndex(shape.getIntAttr("start", 0));
  const int64_t end = clampIndex(shape.getIntAttr("end", rank));
  Ints dims;
  for (int64_t i = start; i < end; ++i) {
    if (ShapedType::isDynamic(type.getDimSize(i)))
      return std::nullopt;
    dims.push_back(type.getDimSize(i));
  }
  return dims;
}

std::optional<Ints> evaluate(Value value, int depth);

/// Gather(data, indices, axis 0) over a rank-1 data: only the gathered dims
/// of a Shape need to be static.
std::optional<Ints> evaluateGather(onnx::NodeOp gather, int depth) {
  if (gather.getInputs().size() != 2 || gather.getIntAttr("axis", 0) != 0)
    return std::nullopt;
  std::optional<Ints> indices = evaluate(gather.getInputs()[1], depth + 1);
  if (!indices)
    return std::nullopt;
  Value data = gather.getInputs()[0];
  Ints result;
  if (onnx::NodeOp shape = getDefiningNode(data, "Shape")) {
    auto type = dyn_cast<RankedTensorType>(shape.getInputs()[0].getType());
    if (!type || shape.getIntAttr("start", 0) != 0 || shape.getIntsAttr("end"))
      return std::nullopt;
    for (int64_t index : *indices) {
      const int64_t dim = index < 0 ? index + type.getRank() : index;
      if (dim < 0 || dim >= type.getRank() || ShapedType::isDynamic(type.getDimSize(dim)))
        return std::nullopt;
      result.push_back(type.getDimSize(dim));
    }
    return result;
  }
  std::optional<Ints> values = evaluate(data, depth + 1);
  if (!values)
    return std::nullopt;
  const int64_t size = static_cast<int64_t>(values->size());
  for (int64_t index : *indices) {
    const int64_t at = index < 0 ? index + size : index;
    if (at < 0 || at >= size)
      return std::nullopt;
    result.push_back((*values)[at]);
  }
  return result;
}

/// Elementwise integer arithmetic, one side broadcast when it has one value.
std::optional<Ints> evaluateArithmetic(onnx::NodeOp node, int depth) {
  if (node.getInputs().size() != 2)
    return std::nullopt;
  std::optional<Ints> a = evaluate(node.getInputs()[0], depth + 1);
  std::optional<Ints> b = evaluate(node.getInputs()[1], depth + 1);
  if (!a || !b || (a->size() != b->size() && a->size() != 1 && b->size() != 1))
    return std::nullopt;
  const size_t size = std::max(a->size(), b->size());
  Ints result;
  for (size_t i = 0; i < size; ++i) {
    const int64_t x = (*a)[a->size() == 1 ? 0 : i], y = (*b)[b->size() == 1 ? 0 : i];
    if (isONNXNode(node, "Add"))
      result.push_back(x + y);
    else if (isONNXNode(node, "Sub"))
      result.push_back(x - y);
    else if (isONNXNode(node, "Mul"))
      result.push_back(x * y);
    else if (y != 0) // Div: integer division truncates, as onnxruntime's
      result.push_back(x / y);
    else
      return std::nullopt;
  }
  return result;
}

std::optional<Ints> evaluate(Value value, int depth) {
  // Shape arithmetic is a handful of nodes; give up on anything deeper.
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (depth > 12 || !type || type.getRank() > 1 || !isa<IntegerType>(type.getElementType()))
    return std::nullopt;
  if (ElementsAttr elements = getConstantElements(value)) {
    Ints values;
    for (const APInt &element : elements.getValues<APInt>())
      values.push_back(element.getSExtValue());
    return values;
  }
  onnx::NodeOp node = value.getDefiningOp<onnx::NodeOp>();
  if (!node || node.getInputs().empty())
    return std::nullopt;
  if (isONNXNode(node, "Shape"))
    return staticShapeEntries(node);
  if (isONNXNode(node, "Gather"))
    return evaluateGather(node, depth);
  if (isONNXNode(node, "Add") || isONNXNode(node, "Sub") || isONNXNode(node, "Mul") ||
      isONNXNode(node, "Div"))
    return evaluateArithmetic(node, depth);
  // Value-preserving at rank <= 1 (the result type was checked above).
  if (isONNXNode(node, "Cast") || isONNXNode(node, "Unsqueeze") || isONNXNode(node, "Squeeze") ||
      isONNXNode(node, "Reshape") || isONNXNode(node, "Identity"))
    return evaluate(node.getInputs()[0], depth + 1);
  if (isONNXNode(node, "Concat")) {
    Ints values;
    for (Value input : node.getInputs()) {
      std::optional<Ints> part = evaluate(input, depth + 1);
      if (!part)
        return std::nullopt;
      values.append(*part);
    }
    return values;
  }
  return std::nullopt;
}

} // namespace

std::optional<SmallVector<int64_t>> evaluateShapeInts(Value value) { return evaluate(value, 0); }

std::optional<SmallVector<int64_t>> getConstantInts(onnx::NodeOp node, StringRef attrName,
                                                    unsigned inputIndex) {
  if (std::optional<ArrayRef<int64_t>> attr = node.getIntsAttr(attrName))
    return SmallVector<int64_t>(*attr);
  if (!node.hasInput(inputIndex))
    return std::nullopt;
  return evaluateShapeInts(node.getInputs()[inputIndex]);
}

} // namespace awq
