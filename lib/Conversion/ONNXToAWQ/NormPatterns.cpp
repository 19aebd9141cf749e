//===- NormPatterns.cpp - ONNX norm ops -> awq.layer_norm / awq.rms_norm --===//

#include "ONNXMatchers.h"
#include "PatternsInternal.h"

#include "awq/Dialect/AWQ/AWQDialect.h"

using namespace mlir;

namespace awq {
namespace {

/// Checks what every norm node shares: float input, last-axis normalization,
/// a 1-D float scale, an unchanged result type and no use of the optional
/// statistics outputs.
static LogicalResult matchNormCommon(onnx::NodeOp node,
                                     PatternRewriter &rewriter,
                                     unsigned scaleIndex) {
  if (node.getInputs().size() <= scaleIndex)
    return rewriter.notifyMatchFailure(node, "missing scale input");
  RankedTensorType inputType = getFloatTensorType(node.getInputs()[0]);
  if (!inputType || inputType.getRank() < 1)
    return rewriter.notifyMatchFailure(node, "input is not a ranked float tensor");
  if (!isLastAxis(node.getIntAttr("axis", -1), inputType.getRank()))
    return rewriter.notifyMatchFailure(node, "normalizes other than the last axis");
  RankedTensorType scaleType = getFloatTensorType(node.getInputs()[scaleIndex]);
  if (!scaleType || scaleType.getRank() != 1 ||
      scaleType.getElementType() != inputType.getElementType())
    return rewriter.notifyMatchFailure(node, "scale is not a 1-D float tensor");
  if (node.getOutputs()[0].getType() != inputType)
    return rewriter.notifyMatchFailure(node, "result type differs from input");
  if (!onlyFirstResultUsed(node))
    return rewriter.notifyMatchFailure(node, "statistics outputs are used");
  return success();
}

/// LayerNormalization(X, Scale[, B]) -> awq.layer_norm.
struct LayerNormalizationToLayerNorm : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node,
                                PatternRewriter &rewriter) const override {
    if (!isONNXNode(node, "LayerNormalization"))
      return rewriter.notifyMatchFailure(node, "not LayerNormalization");
    if (failed(matchNormCommon(node, rewriter, /*scaleIndex=*/1)))
      return failure();
    Value bias;
    if (node.hasInput(2)) {
      bias = node.getInputs()[2];
      if (bias.getType() != node.getInputs()[1].getType())
        return rewriter.notifyMatchFailure(node, "bias type differs from scale");
    }
    auto norm = LayerNormOp::create(
        rewriter, node.getLoc(), node.getInputs()[0].getType(), node.getInputs()[0],
        node.getInputs()[1], bias,
        rewriter.getF32FloatAttr(node.getFloatAttr("epsilon", 1e-5f)));
    rewriter.replaceAllUsesWith(node.getOutputs()[0], norm.getResult());
    rewriter.eraseOp(node);
    return success();
  }
};

/// SimplifiedLayerNormalization (onnxruntime's RMSNorm, default domain) and
/// RMSNormalization (opset 23) -> awq.rms_norm.
struct RMSNormalizationToRMSNorm : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node,
                                PatternRewriter &rewriter) const override {
    if (!isONNXNode(node, "SimplifiedLayerNormalization") &&
        !isONNXNode(node, "RMSNormalization"))
      return rewriter.notifyMatchFailure(node, "not an RMS normalization");
    if (failed(matchNormCommon(node, rewriter, /*scaleIndex=*/1)))
      return failure();
    auto norm = RMSNormOp::create(
        rewriter, node.getLoc(), node.getInputs()[0].getType(), node.getInputs()[0],
        node.getInputs()[1],
        rewriter.getF32FloatAttr(node.getFloatAttr("epsilon", 1e-5f)),
        /*unit_offset=*/UnitAttr());
    rewriter.replaceAllUsesWith(node.getOutputs()[0], norm.getResult());
    rewriter.eraseOp(node);
    return success();
  }
};

} // namespace

void populateNormPatterns(RewritePatternSet &patterns) {
  patterns.add<LayerNormalizationToLayerNorm, RMSNormalizationToRMSNorm>(
      patterns.getContext());
}

} // namespace awq
