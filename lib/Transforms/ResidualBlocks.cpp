//===- ResidualBlocks.cpp - Decoder blocks along the residual stream ------===//

#include "awq/Transforms/ResidualBlocks.h"

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Transforms/WeightConstants.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;

namespace awq {

static bool isNode(Operation *op, StringRef opType) {
  auto node = dyn_cast_if_present<onnx::NodeOp>(op);
  return node && node.getOpType() == opType;
}

static bool isConstantOp(Operation *op) {
  return op->getNumResults() == 1 &&
         (isConstantValue(op->getResult(0)) || isa<onnx::NoneOp>(op));
}

/// The ops that `value` is computed from, among those after `limit` (a
/// value whose definition bounds the search; null for none).
static llvm::DenseSet<Operation *> backwardCone(Value value, Value limit) {
  llvm::DenseSet<Operation *> cone;
  Operation *limitOp = limit ? limit.getDefiningOp() : nullptr;
  SmallVector<Value> worklist{value};
  while (!worklist.empty()) {
    Value current = worklist.pop_back_val();
    Operation *op = current.getDefiningOp();
    if (!op || current == limit || isConstantOp(op))
      continue;
    if (limitOp && op->isBeforeInBlock(limitOp))
      continue;
    if (!cone.insert(op).second)
      continue;
    for (Value operand : op->getOperands())
      worklist.push_back(operand);
  }
  return cone;
}

/// True when `branch` is computed from `residual` through a linear.
static bool isResidualBranch(Value residual, Value branch) {
  llvm::DenseSet<Operation *> cone = backwardCone(branch, residual);
  bool readsResidual = llvm::any_of(cone, [&](Operation *op) {
    return llvm::is_contained(op->getOperands(), residual);
  });
  bool hasLinear = llvm::any_of(cone, [](Operation *op) { return isa<LinearOp>(op); });
  return readsResidual && hasLinear;
}

FailureOr<std::vector<ResidualBlock>> findResidualBlocks(func::FuncOp function) {
  // Residual Adds, keyed by the stream value they extend.
  llvm::DenseMap<Value, Operation *> addAfter;
  llvm::DenseSet<Value> addResults;
  function.walk([&](onnx::NodeOp node) {
    if (node.getOpType() != "Add" || node.getInputs().size() != 2 ||
        node.getInputs()[0].getType() != node.getOutputs()[0].getType() ||
        node.getInputs()[1].getType() != node.getOutputs()[0].getType())
      return;
    for (unsigned residualIndex : {0u, 1u}) {
      Value residual = node.getInputs()[residualIndex];
      if (isResidualBranch(residual, node.getInputs()[1 - residualIndex])) {
        addAfter[residual] = node;
        addResults.insert(node.getOutputs()[0]);
        return;
      }
    }
  });
  // The stream is the longest chain of such Adds.
  std::vector<Value> stream;
  for (auto [start, add] : addAfter) {
    if (addResults.contains(start))
      continue;
    std::vector<Value> chain{start};
    for (Value value = start; addAfter.count(value);) {
      value = addAfter.lookup(value)->getResult(0);
      chain.push_back(value);
    }
    if (chain.size() > stream.size())
      stream = std::move(chain);
  }
  if (stream.size() < 2)
    return function.emitError("awq-calibrate found no residual stream (Adds "
                              "of a value and a branch computed from it "
                              "through a linear)");

  std::vector<ResidualBlock> blocks;
  for (size_t j = 0; j + 1 < stream.size(); ++j) {
    ResidualBlock block;
    block.input = stream[j];
    block.output = stream[j + 1];
    llvm::DenseSet<Operation *> cone = backwardCone(block.output, block.input);
    // Keep the ops that depend on the block input; the rest of the cone
    // (e.g. an Unsqueeze of the RoPE table) is computed before the stream.
    llvm::DenseSet<Operation *> dependent;
    function.getBody().front().walk([&](Operation *op) {
      if (!cone.contains(op))
        return;
      if (llvm::any_of(op->getOperands(), [&](Value operand) {
            return operand == block.input ||
                   dependent.contains(operand.getDefiningOp());
          }))
        dependent.insert(op);
    });
    llvm::DenseSet<Value> side;
    for (Operation &op : function.getBody().front()) {
      if (!dependent.contains(&op))
        continue;
      block.ops.push_back(&op);
      block.hasAttention |= isNode(&op, "Softmax");
      for (Value operand : op.getOperands()) {
        Operation *definer = operand.getDefiningOp();
        if (operand == block.input || (definer && dependent.contains(definer)) ||
            (definer && isConstantOp(definer)))
          continue;
        if (side.insert(operand).second)
          block.sideInputs.push_back(operand);
      }
    }
    blocks.push_back(std::move(block));
  }
  return blocks;
}

} // namespace awq
