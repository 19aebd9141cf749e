//===- ONNXMatchers.cpp - Helpers to match generic onnx.node ops ----------===//

#include "ONNXMatchers.h"

#include "mlir/IR/Matchers.h"

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

} // namespace awq
