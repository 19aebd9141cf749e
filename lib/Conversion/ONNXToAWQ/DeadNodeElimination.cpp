//===- DeadNodeElimination.cpp - Erase onnx.node ops nothing uses ---------===//

#include "awq/Conversion/ONNXToAWQ/ONNXToAWQ.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/IR/Iterators.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace awq {

/// ONNX operators whose results differ from run to run: removing one changes
/// the random stream of the others, so they stay even when unused.
static bool isNondeterministic(onnx::NodeOp node) {
  static const llvm::StringSet<> randomOps = {
      "RandomNormal", "RandomNormalLike", "RandomUniform",
      "RandomUniformLike", "Multinomial", "Bernoulli"};
  return randomOps.contains(node.getOpType());
}

void eraseDeadONNXNodes(Operation *root) {
  // Post-order walk in reverse: a node's users are visited (and erased)
  // before the node itself, so whole dead chains go in one sweep.
  root->walk<WalkOrder::PostOrder, ReverseIterator>([](onnx::NodeOp node) {
    if (node->use_empty() && !isNondeterministic(node))
      node->erase();
  });
}

} // namespace awq
