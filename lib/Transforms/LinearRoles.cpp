//===- LinearRoles.cpp - What a linear does in the model, from structure --===//

#include "awq/Transforms/LinearRoles.h"

#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Transforms/WeightConstants.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

using namespace mlir;

namespace awq {

static bool isLinearLike(Operation *op) {
  return isa<LinearOp, GroupMatmulOp>(op);
}

static bool isNode(Operation *op, StringRef opType) {
  auto node = dyn_cast<onnx::NodeOp>(op);
  return node && node.getOpType() == opType;
}

/// Visits the ops reached from `start`'s results through uses, without
/// entering other linears; stops early when `visit` returns true.
static bool anyReachedOp(Operation *start,
                         llvm::function_ref<bool(Operation *)> visit) {
  llvm::SmallVector<Operation *> worklist{start};
  llvm::DenseSet<Operation *> seen{start};
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    for (Operation *user : op->getUsers()) {
      if (!seen.insert(user).second)
        continue;
      if (visit(user))
        return true;
      if (!isLinearLike(user))
        worklist.push_back(user);
    }
  }
  return false;
}

bool isLMHead(LinearOp linear) {
  for (Operation *user : linear.getWeight().getUsers())
    if (isNode(user, "Gather"))
      return true;
  bool reachesLinear = anyReachedOp(linear, isLinearLike);
  bool reachesReturn = anyReachedOp(
      linear, [](Operation *op) { return isa<func::ReturnOp>(op); });
  return reachesReturn && !reachesLinear;
}

bool isRouter(LinearOp linear) {
  return anyReachedOp(linear, [](Operation *op) { return isNode(op, "TopK"); });
}

/// True when `op` is a MatMul of two activations (no constant operand).
static bool isActivationMatMul(Operation *op) {
  if (!isNode(op, "MatMul") || op->getNumOperands() != 2)
    return false;
  return llvm::none_of(op->getOperands(), isConstantValue);
}

bool feedsAttentionScores(LinearOp linear) {
  return anyReachedOp(linear, [](Operation *op) {
    if (!isActivationMatMul(op))
      return false;
    // Scores flow into a Softmax (through scaling and masking); the
    // probabilities-times-V product does not.
    return anyReachedOp(op, [](Operation *next) {
      return isNode(next, "Softmax");
    });
  });
}

llvm::Expected<QuantizationExclusions>
QuantizationExclusions::create(ArrayRef<std::string> patterns,
                               bool quantizeLMHead) {
  QuantizationExclusions exclusions;
  exclusions.quantizeLMHead = quantizeLMHead;
  for (const std::string &pattern : patterns) {
    auto regex = std::make_shared<llvm::Regex>(pattern);
    std::string error;
    if (!regex->isValid(error))
      return llvm::createStringError("invalid exclude pattern '" + pattern +
                                     "': " + error);
    exclusions.regexes.push_back(std::move(regex));
  }
  return exclusions;
}

bool QuantizationExclusions::shouldQuantize(LinearOp linear) const {
  StringRef weightName = getInitializerName(linear.getWeight());
  StringRef nodeName = linear.getName().value_or("");
  for (const std::shared_ptr<llvm::Regex> &regex : regexes)
    if ((!weightName.empty() && regex->match(weightName)) ||
        (!nodeName.empty() && regex->match(nodeName)))
      return false;
  if (!quantizeLMHead && isLMHead(linear))
    return false;
  return !isRouter(linear);
}

} // namespace awq
