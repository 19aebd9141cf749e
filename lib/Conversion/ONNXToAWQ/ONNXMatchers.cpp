//===- ONNXMatchers.cpp - Helpers to match generic onnx.node ops ----------===//

#include "ONNXMatchers.h"

#include "mlir/IR/Matchers.h"

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

std::optional<SmallVector<int64_t>> getConstantInts(onnx::NodeOp node, StringRef attrName,
                                                    unsigned inputIndex) {
  if (std::optional<ArrayRef<int64_t>> attr = node.getIntsAttr(attrName))
    return SmallVector<int64_t>(*attr);
  if (!node.hasInput(inputIndex))
    return std::nullopt;
  ElementsAttr elements = getConstantElements(node.getInputs()[inputIndex]);
  if (!elements || !isa<IntegerType>(elements.getElementType()))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &value : elements.getValues<APInt>())
    values.push_back(value.getSExtValue());
  return values;
}

} // namespace awq
