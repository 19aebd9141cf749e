//===- LinearPatterns.cpp - MatMul/Gemm with constant weights -> awq.linear ===//

#include "ONNXMatchers.h"
#include "PatternsInternal.h"

#include "awq/Dialect/AWQ/AWQDialect.h"

using namespace mlir;

namespace awq {
namespace {

/// A weight operand seen through an optional `Transpose(perm = [1, 0])`.
struct WeightOperand {
  Value weight;
  bool transposed = false;
};

/// Accepts a constant 2-D float tensor, possibly behind a 2-D transpose (which
/// becomes the `transpose_weight` flag instead of a copy of the weight).
static std::optional<WeightOperand> matchConstantWeight(Value value) {
  WeightOperand operand{value, false};
  if (onnx::NodeOp transpose = getDefiningNode(value, "Transpose")) {
    auto perm = llvm::dyn_cast_if_present<DenseI64ArrayAttr>(
        transpose.getOnnxAttr("perm"));
    // A 2-D Transpose without perm reverses the axes, i.e. perm = [1, 0].
    if (perm && perm.asArrayRef() != ArrayRef<int64_t>{1, 0})
      return std::nullopt;
    operand = {transpose.getInputs()[0], true};
  }
  RankedTensorType type = getFloatTensorType(operand.weight);
  if (!type || type.getRank() != 2 || !isConstant(operand.weight))
    return std::nullopt;
  return operand;
}

/// True when `bias` is a constant vector of `outFeatures` floats.
static bool isConstantBias(Value bias, int64_t outFeatures) {
  RankedTensorType type = getFloatTensorType(bias);
  return type && type.getRank() == 1 && type.getDimSize(0) == outFeatures &&
         isConstant(bias);
}

/// Number of outputs of a linear with this weight.
static int64_t outFeaturesOf(const WeightOperand &weight) {
  auto type = cast<RankedTensorType>(weight.weight.getType());
  return type.getDimSize(weight.transposed ? 0 : 1);
}

/// Builds the awq.linear replacing `root` (the MatMul, or the Add of the bias).
static void replaceWithLinear(PatternRewriter &rewriter, Operation *root,
                              onnx::NodeOp matmul, Value input,
                              const WeightOperand &weight, Value bias) {
  UnitAttr transposeWeight =
      weight.transposed ? rewriter.getUnitAttr() : UnitAttr();
  auto linear = LinearOp::create(rewriter, matmul.getLoc(),
                                 root->getResult(0).getType(), input,
                                 weight.weight, bias, transposeWeight,
                                 matmul.getNameAttr(), /*clip=*/nullptr,
                                 /*clip_group_size=*/nullptr);
  rewriter.replaceOp(root, linear.getResult());
}

/// MatMul(x, W) [+ Add(b)] with constant W (and b) -> awq.linear.
struct MatMulToLinear : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node,
                                PatternRewriter &rewriter) const override {
    if (!isONNXNode(node, "MatMul") || node.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(node, "not a two-input MatMul");
    Value input = node.getInputs()[0];
    if (!getFloatTensorType(input) ||
        !llvm::isa<RankedTensorType>(node.getOutputs()[0].getType()))
      return rewriter.notifyMatchFailure(node, "input or result not ranked");
    std::optional<WeightOperand> weight = matchConstantWeight(node.getInputs()[1]);
    if (!weight)
      return rewriter.notifyMatchFailure(node, "weight is not a 2-D constant");

    // Fold a following bias Add (either operand order) into the linear.
    Value result = node.getOutputs()[0];
    if (result.hasOneUse()) {
      auto add = llvm::dyn_cast<onnx::NodeOp>(*result.getUsers().begin());
      if (isONNXNode(add, "Add") && add.getInputs().size() == 2) {
        Value other = add.getInputs()[0] == result ? add.getInputs()[1]
                                                   : add.getInputs()[0];
        if (isConstantBias(other, outFeaturesOf(*weight)) &&
            add.getOutputs()[0].getType() == result.getType()) {
          replaceWithLinear(rewriter, add, node, input, *weight, other);
          rewriter.eraseOp(node);
          return success();
        }
      }
    }
    replaceWithLinear(rewriter, node, node, input, *weight, Value());
    return success();
  }
};

/// Gemm(A, B, C) with alpha = beta = 1, transA = 0 and constant B (and C).
struct GemmToLinear : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node,
                                PatternRewriter &rewriter) const override {
    if (!isONNXNode(node, "Gemm"))
      return rewriter.notifyMatchFailure(node, "not a Gemm");
    if (node.getFloatAttr("alpha", 1.0f) != 1.0f ||
        node.getFloatAttr("beta", 1.0f) != 1.0f ||
        node.getIntAttr("transA", 0) != 0)
      return rewriter.notifyMatchFailure(node, "alpha/beta/transA not default");
    Value input = node.getInputs()[0];
    if (!getFloatTensorType(input) ||
        !llvm::isa<RankedTensorType>(node.getOutputs()[0].getType()))
      return rewriter.notifyMatchFailure(node, "input or result not ranked");
    Value b = node.getInputs()[1];
    RankedTensorType bType = getFloatTensorType(b);
    if (!bType || bType.getRank() != 2 || !isConstant(b))
      return rewriter.notifyMatchFailure(node, "B is not a 2-D constant");
    WeightOperand weight{b, node.getIntAttr("transB", 0) != 0};

    Value bias;
    if (node.hasInput(2)) {
      bias = node.getInputs()[2];
      if (!isConstantBias(bias, outFeaturesOf(weight)))
        return rewriter.notifyMatchFailure(node, "C is not a constant [N] bias");
    }
    replaceWithLinear(rewriter, node, node, input, weight, bias);
    return success();
  }
};

} // namespace

void populateLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<MatMulToLinear, GemmToLinear>(patterns.getContext());
}

} // namespace awq
