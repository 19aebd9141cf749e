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

/// onnxruntime's fused residual norms (com.microsoft):
///   SkipSimplifiedLayerNormalization(input, skip, gamma[, bias])
///   SkipLayerNormalization(input, skip, gamma[, beta[, bias]])
/// compute sum = input + skip (+ bias) and normalize it; output 3, when
/// present, is that sum. They become an ONNX Add (or two) for the sum, which
/// stays on the residual stream, and an awq norm the AWQ passes can fold into.
struct SkipNormalizationToNorm : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node,
                                PatternRewriter &rewriter) const override {
    bool isRMS = isONNXNode(node, "SkipSimplifiedLayerNormalization", "com.microsoft");
    if (!isRMS && !isONNXNode(node, "SkipLayerNormalization", "com.microsoft"))
      return rewriter.notifyMatchFailure(node, "not a Skip*Normalization");
    if (node.getInputs().size() < 3 || !node.hasInput(0) || !node.hasInput(1))
      return rewriter.notifyMatchFailure(node, "missing input or skip");
    Value input = node.getInputs()[0], skip = node.getInputs()[1];
    Value gamma = node.getInputs()[2];
    RankedTensorType type = getFloatTensorType(input);
    if (!type || skip.getType() != type || node.getOutputs()[0].getType() != type)
      return rewriter.notifyMatchFailure(node, "input, skip and output differ");
    auto gammaType = dyn_cast<RankedTensorType>(gamma.getType());
    if (!gammaType || gammaType.getRank() != 1 ||
        gammaType.getElementType() != type.getElementType())
      return rewriter.notifyMatchFailure(node, "gamma is not a 1-D vector");
    // Mean and InvStdDev (outputs 1 and 2) have no awq form.
    for (unsigned index : {1u, 2u})
      if (index < node.getNumResults() && !node.getOutputs()[index].use_empty())
        return rewriter.notifyMatchFailure(node, "statistics outputs are used");
    unsigned biasIndex = isRMS ? 3 : 4;
    Value beta = !isRMS && node.hasInput(3) ? node.getInputs()[3] : Value();

    // Add has had these semantics (multidirectional broadcast, f16/bf16)
    // since opset 14.
    auto makeAdd = [&](Value lhs, Value rhs) {
      return onnx::NodeOp::create(
                 rewriter, node.getLoc(), TypeRange{type}, ValueRange{lhs, rhs},
                 rewriter.getStringAttr("Add"), rewriter.getStringAttr(""),
                 rewriter.getI64IntegerAttr(14), node.getNameAttr(),
                 /*attrs=*/DictionaryAttr())
          .getOutputs()[0];
    };
    Value sum = makeAdd(input, skip);
    if (node.hasInput(biasIndex))
      sum = makeAdd(sum, node.getInputs()[biasIndex]);

    FloatAttr epsilon = rewriter.getF32FloatAttr(node.getFloatAttr("epsilon", 1e-12f));
    Value normalized =
        isRMS ? RMSNormOp::create(rewriter, node.getLoc(), type, sum, gamma,
                                  epsilon, /*unit_offset=*/UnitAttr())
                    .getResult()
              : LayerNormOp::create(rewriter, node.getLoc(), type, sum, gamma,
                                    beta, epsilon)
                    .getResult();
    rewriter.replaceAllUsesWith(node.getOutputs()[0], normalized);
    if (node.getNumResults() > 3)
      rewriter.replaceAllUsesWith(node.getOutputs()[3], sum);
    rewriter.eraseOp(node);
    return success();
  }
};

} // namespace

void populateNormPatterns(RewritePatternSet &patterns) {
  patterns.add<LayerNormalizationToLayerNorm, RMSNormalizationToRMSNorm,
               SkipNormalizationToNorm>(patterns.getContext());
}

} // namespace awq
