//===- ActivationPatterns.cpp - SiLU and GELU -> awq activations ----------===//

#include "ONNXMatchers.h"
#include "PatternsInternal.h"

#include "awq/Dialect/AWQ/AWQDialect.h"

using namespace mlir;

namespace awq {
namespace {

/// Mul(x, Sigmoid(x)) in either operand order -> awq.silu(x).
struct MulSigmoidToSiLU : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node,
                                PatternRewriter &rewriter) const override {
    if (!isONNXNode(node, "Mul") || node.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(node, "not a Mul");
    for (unsigned sigmoidIndex : {0u, 1u}) {
      Value x = node.getInputs()[1 - sigmoidIndex];
      onnx::NodeOp sigmoid =
          getDefiningNode(node.getInputs()[sigmoidIndex], "Sigmoid");
      if (!sigmoid || sigmoid.getInputs()[0] != x)
        continue;
      if (!getFloatTensorType(x) || node.getOutputs()[0].getType() != x.getType())
        return rewriter.notifyMatchFailure(node, "not a float x*sigmoid(x)");
      rewriter.replaceOpWithNewOp<SiLUOp>(node, x.getType(), x);
      // onnx.node is not Pure (some ONNX ops are random), so a Sigmoid left
      // without users would stay and still run: erase it here.
      if (sigmoid->use_empty())
        rewriter.eraseOp(sigmoid);
      return success();
    }
    return rewriter.notifyMatchFailure(node, "no Sigmoid of the other operand");
  }
};

/// Gelu (ONNX opset 20, `approximate` = none|tanh), com.microsoft Gelu (erf)
/// and com.microsoft FastGelu without bias (tanh) -> awq.gelu.
struct GeluToGELU : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node,
                                PatternRewriter &rewriter) const override {
    std::optional<GeluApproximation> approximation;
    if (isONNXNode(node, "Gelu")) {
      StringRef approximate = node.getStringAttr("approximate", "none");
      approximation = symbolizeGeluApproximation(approximate);
      if (!approximation)
        return rewriter.notifyMatchFailure(node, "unknown GELU approximation");
    } else if (isONNXNode(node, "Gelu", "com.microsoft")) {
      approximation = GeluApproximation::None;
    } else if (isONNXNode(node, "FastGelu", "com.microsoft") &&
               !node.hasInput(1)) {
      approximation = GeluApproximation::Tanh;
    } else {
      return rewriter.notifyMatchFailure(node, "not a GELU node");
    }
    Value x = node.getInputs()[0];
    if (!getFloatTensorType(x) || node.getOutputs()[0].getType() != x.getType())
      return rewriter.notifyMatchFailure(node, "not a float GELU");
    rewriter.replaceOpWithNewOp<GELUOp>(node, x.getType(), x, *approximation);
    return success();
  }
};

} // namespace

void populateActivationPatterns(RewritePatternSet &patterns) {
  patterns.add<MulSigmoidToSiLU, GeluToGELU>(patterns.getContext());
}

} // namespace awq
