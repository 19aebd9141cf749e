//===- ActivationPatterns.cpp - SiLU and GELU (ops and chains) -> awq ops -===//

#include "ONNXMatchers.h"
#include "PatternsInternal.h"

#include "awq/Dialect/AWQ/AWQDialect.h"

#include <cmath>

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

/// Matches sqrt(2/pi) * (x + 0.044715 * x^3), operands in either order.
bool matchTanhArgument(Value argument, Value x) {
  onnx::NodeOp scale = getDefiningNode(argument, "Mul");
  if (!scale || scale.getInputs().size() != 2)
    return false;
  for (unsigned constIndex : {0u, 1u}) {
    if (!isScalarNear(scale.getInputs()[constIndex], std::sqrt(2.0 / M_PI)))
      continue;
    onnx::NodeOp sum = getDefiningNode(scale.getInputs()[1 - constIndex], "Add");
    if (!sum || sum.getInputs().size() != 2)
      return false;
    for (unsigned xIndex : {0u, 1u}) {
      onnx::NodeOp cubic =
          getDefiningNode(sum.getInputs()[1 - xIndex], "Mul");
      if (sum.getInputs()[xIndex] != x || !cubic ||
          cubic.getInputs().size() != 2)
        continue;
      for (unsigned powIndex : {0u, 1u}) {
        onnx::NodeOp pow = getDefiningNode(cubic.getInputs()[powIndex], "Pow");
        if (pow && pow.getInputs()[0] == x &&
            isScalarNear(pow.getInputs()[1], 3.0) &&
            isScalarNear(cubic.getInputs()[1 - powIndex], 0.044715))
          return true;
      }
    }
  }
  return false;
}

/// Which GELU `onePlus` = 1 + f(x) belongs to: f = erf(x / sqrt(2)) is the
/// exact GELU, f = tanh(sqrt(2/pi) (x + 0.044715 x^3)) the tanh form.
std::optional<GeluApproximation> matchGeluOnePlus(Value onePlus, Value x) {
  onnx::NodeOp add = getDefiningNode(onePlus, "Add");
  if (!add || add.getInputs().size() != 2)
    return std::nullopt;
  for (unsigned oneIndex : {0u, 1u}) {
    if (!isScalarNear(add.getInputs()[oneIndex], 1.0))
      continue;
    Value inner = add.getInputs()[1 - oneIndex];
    if (onnx::NodeOp erf = getDefiningNode(inner, "Erf")) {
      // x / sqrt(2), written as a Div or as a Mul by 1 / sqrt(2).
      auto scaled = erf.getInputs()[0].getDefiningOp<onnx::NodeOp>();
      if (scaled && scaled.getInputs().size() == 2 &&
          scaled.getInputs()[0] == x &&
          ((isONNXNode(scaled, "Div") &&
            isScalarNear(scaled.getInputs()[1], std::sqrt(2.0))) ||
           (isONNXNode(scaled, "Mul") &&
            isScalarNear(scaled.getInputs()[1], 1.0 / std::sqrt(2.0)))))
        return GeluApproximation::None;
    }
    if (onnx::NodeOp tanh = getDefiningNode(inner, "Tanh"))
      if (matchTanhArgument(tanh.getInputs()[0], x))
        return GeluApproximation::Tanh;
  }
  return std::nullopt;
}

/// The GELU chains exporters decompose: the product 0.5 * x * (1 + f(x)) as
/// two Muls grouped either way (torch's exact GELU: Mul(Mul(x, 1 + erf), 0.5);
/// GPT-2's NewGELU: Mul(Mul(x, 0.5), 1 + tanh)) -> awq.gelu.
struct DecomposedGeluToGELU : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node,
                                PatternRewriter &rewriter) const override {
    if (!isONNXNode(node, "Mul") || node.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(node, "not a Mul");
    for (unsigned innerIndex : {0u, 1u}) {
      onnx::NodeOp inner = getDefiningNode(node.getInputs()[innerIndex], "Mul");
      if (!inner || inner.getInputs().size() != 2)
        continue;
      Value factors[3] = {node.getInputs()[1 - innerIndex],
                          inner.getInputs()[0], inner.getInputs()[1]};
      for (unsigned half = 0; half < 3; ++half) {
        if (!isScalarNear(factors[half], 0.5))
          continue;
        Value a = factors[(half + 1) % 3], b = factors[(half + 2) % 3];
        for (auto [x, onePlus] : {std::pair(a, b), std::pair(b, a)}) {
          std::optional<GeluApproximation> approximation =
              matchGeluOnePlus(onePlus, x);
          if (!approximation || !getFloatTensorType(x) ||
              node.getOutputs()[0].getType() != x.getType())
            continue;
          rewriter.replaceOpWithNewOp<GELUOp>(node, x.getType(), x,
                                              *approximation);
          return success();
        }
      }
    }
    return rewriter.notifyMatchFailure(node, "not 0.5 * x * (1 + f(x))");
  }
};

} // namespace

void populateActivationPatterns(RewritePatternSet &patterns) {
  patterns.add<MulSigmoidToSiLU, GeluToGELU, DecomposedGeluToGELU>(
      patterns.getContext());
}

} // namespace awq
