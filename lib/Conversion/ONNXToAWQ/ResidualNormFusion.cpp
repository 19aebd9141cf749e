//===- ResidualNormFusion.cpp - awq-fuse-residual-norm --------------------===//
//
// A pre-norm decoder block ends by adding its output to the residual stream,
// and the next block starts by normalizing that sum:
//
//   h = Add(x, r);  y = awq.rms_norm(h, w)     (Llama: twice per layer)
//   h = Add(x, r);  y = awq.layer_norm(h, w, b)   (GPT-2, OPT)
//
// Two passes over the row, two kernel launches on a GPU. The pattern here
// makes them one awq.add_rms_norm / awq.add_layer_norm, whose `sum` result
// replaces the Add's (it stays the residual stream for later Adds) and whose
// `result` replaces the norm's. The op rounds the sum to the element type
// before normalizing it, as the Add did, so the values keep their bits.
// Like the other fusions it runs after quantization: the AWQ passes fold
// scales into awq.rms_norm / awq.layer_norm and do not know the fused ops.
//
//===----------------------------------------------------------------------===//

#include "ONNXMatchers.h"

#include "awq/Conversion/ONNXToAWQ/ONNXToAWQ.h"
#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace awq {
#define GEN_PASS_DEF_AWQFUSERESIDUALNORM
#include "awq/Conversion/Passes.h.inc"
} // namespace awq

using namespace mlir;

namespace awq {
namespace {

/// The two-input ONNX Add producing `normInput` when its operands have the
/// sum's exact type (no broadcasting: the fused op adds row by row) and the
/// norm's parameters are available where the Add is, so the fused op can
/// take the Add's place; else null.
onnx::NodeOp matchResidualAdd(Value normInput, ValueRange parameters) {
  onnx::NodeOp add = getDefiningNode(normInput, "Add");
  if (!add || add.getInputs().size() != 2 || add.getNumResults() != 1)
    return nullptr;
  Type type = add.getOutputs()[0].getType();
  if (!getFloatTensorType(add.getOutputs()[0]) || add.getInputs()[0].getType() != type ||
      add.getInputs()[1].getType() != type)
    return nullptr;
  DominanceInfo dominance(add->getParentOp());
  for (Value parameter : parameters)
    if (parameter && !dominance.properlyDominates(parameter, add))
      return nullptr;
  return add;
}

/// Replaces the Add with `fused` (its sum) and the norm with fused's result.
void replaceWithFused(PatternRewriter &rewriter, onnx::NodeOp add, Operation *norm,
                      Operation *fused) {
  rewriter.replaceAllUsesWith(add.getOutputs()[0], fused->getResult(0));
  rewriter.replaceOp(norm, fused->getResult(1));
  rewriter.eraseOp(add);
}

/// Add(x, r) -> awq.rms_norm  =>  awq.add_rms_norm(x, r, w).
struct AddThenRMSNorm : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormOp norm, PatternRewriter &rewriter) const override {
    onnx::NodeOp add = matchResidualAdd(norm.getInput(), {norm.getWeight()});
    if (!add)
      return rewriter.notifyMatchFailure(norm, "the input is not a same-type Add");
    Type type = norm.getInput().getType();
    rewriter.setInsertionPoint(add);
    auto fused = AddRMSNormOp::create(rewriter, norm.getLoc(), TypeRange{type, type},
                                      add.getInputs()[0], add.getInputs()[1], norm.getWeight(),
                                      norm.getEpsilonAttr(), norm.getUnitOffsetAttr());
    replaceWithFused(rewriter, add, norm, fused);
    return success();
  }
};

/// Add(x, r) -> awq.layer_norm  =>  awq.add_layer_norm(x, r, w[, b]).
struct AddThenLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerNormOp norm, PatternRewriter &rewriter) const override {
    onnx::NodeOp add = matchResidualAdd(norm.getInput(), {norm.getWeight(), norm.getBias()});
    if (!add)
      return rewriter.notifyMatchFailure(norm, "the input is not a same-type Add");
    Type type = norm.getInput().getType();
    rewriter.setInsertionPoint(add);
    auto fused = AddLayerNormOp::create(rewriter, norm.getLoc(), TypeRange{type, type},
                                        add.getInputs()[0], add.getInputs()[1],
                                        norm.getWeight(), norm.getBias(), norm.getEpsilonAttr());
    replaceWithFused(rewriter, add, norm, fused);
    return success();
  }
};

struct AWQFuseResidualNormPass : impl::AWQFuseResidualNormBase<AWQFuseResidualNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateResidualNormFusionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void populateResidualNormFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<AddThenRMSNorm, AddThenLayerNorm>(patterns.getContext());
}

} // namespace awq
