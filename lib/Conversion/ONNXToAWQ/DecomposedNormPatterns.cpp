//===- DecomposedNormPatterns.cpp - Exporter-decomposed norms -> awq norms ===//
//
// torch.onnx.export (TorchScript) writes HF's LlamaRMSNorm and, below opset
// 17, LayerNorm as chains of elementary nodes (utils/models/README.md):
//
//   RMSNorm:   [Cast] -> Pow(x, 2) -> ReduceMean(-1, keepdims) -> Add(eps)
//              -> Sqrt -> Div(1, .) -> Mul(x, .) -> [Cast] -> Mul(weight, .)
//   LayerNorm: ReduceMean(-1) -> Sub(x, mean) -> Pow(., 2) -> ReduceMean(-1)
//              -> Add(eps) -> Sqrt -> Div(centered, .) -> Mul(., weight)
//              -> [Add(., bias)]
//
// Each chain is matched from its last node back and replaced by one
// awq.rms_norm / awq.layer_norm, so AWQ can fold scales into the weight.
//
//===----------------------------------------------------------------------===//

#include "ONNXMatchers.h"
#include "PatternsInternal.h"

#include "awq/Dialect/AWQ/AWQDialect.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace awq {
namespace {

/// `value` seen through a float Cast that keeps its type.
Value skipIdentityCast(Value value) {
  if (onnx::NodeOp cast = getDefiningNode(value, "Cast"))
    if (cast.getInputs()[0].getType() == value.getType())
      return cast.getInputs()[0];
  return value;
}

/// True when `node` is ReduceMean over the last axis of `input`, keeping it.
bool isLastAxisMean(onnx::NodeOp node, Value input) {
  if (!isONNXNode(node, "ReduceMean") || node.getInputs()[0] != input ||
      node.getIntAttr("keepdims", 1) != 1)
    return false;
  auto type = dyn_cast<RankedTensorType>(input.getType());
  if (!type)
    return false;
  SmallVector<int64_t> axes;
  if (std::optional<ArrayRef<int64_t>> attr = node.getIntsAttr("axes")) {
    axes.assign(attr->begin(), attr->end());
  } else if (node.hasInput(1)) {
    ElementsAttr elements = getConstantElements(node.getInputs()[1]);
    if (!elements || !elements.getElementType().isInteger(64))
      return false;
    axes.assign(elements.getValues<int64_t>().begin(),
                elements.getValues<int64_t>().end());
  }
  return axes.size() == 1 && isLastAxis(axes[0], type.getRank());
}

/// Matches `denominator` = Sqrt(Add(ReduceMean(Pow(`centered`, 2)), eps))
/// and returns eps.
std::optional<double> matchRootMeanSquare(Value denominator, Value centered) {
  onnx::NodeOp sqrt = getDefiningNode(denominator, "Sqrt");
  if (!sqrt)
    return std::nullopt;
  onnx::NodeOp add = getDefiningNode(sqrt.getInputs()[0], "Add");
  if (!add || add.getInputs().size() != 2)
    return std::nullopt;
  for (unsigned meanIndex : {0u, 1u}) {
    auto mean = add.getInputs()[meanIndex].getDefiningOp<onnx::NodeOp>();
    std::optional<double> epsilon = getScalarFloat(add.getInputs()[1 - meanIndex]);
    if (!mean || !epsilon || !isONNXNode(mean, "ReduceMean"))
      continue;
    onnx::NodeOp pow = getDefiningNode(mean.getInputs()[0], "Pow");
    if (!pow || pow.getInputs()[0] != centered ||
        getScalarFloat(pow.getInputs()[1]) != 2.0 ||
        !isLastAxisMean(mean, pow.getOutputs()[0]))
      continue;
    return epsilon;
  }
  return std::nullopt;
}

/// A constant 1-D float tensor with as many elements as `input` has
/// channels, of the same element type.
bool isChannelParameter(Value parameter, Value input) {
  auto type = dyn_cast<RankedTensorType>(parameter.getType());
  auto inputType = dyn_cast<RankedTensorType>(input.getType());
  return type && inputType && type.getRank() == 1 &&
         type.getDimSize(0) == inputType.getShape().back() &&
         type.getElementType() == inputType.getElementType() &&
         isConstant(parameter);
}

/// Mul(weight, [Cast](Mul(x, Div(1, RMS(x))))) -> awq.rms_norm(x, weight);
/// also accepts Div(x, RMS(x)) for the normalization.
struct DecomposedRMSNormToRMSNorm : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node,
                                PatternRewriter &rewriter) const override {
    if (!isONNXNode(node, "Mul") || node.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(node, "not a Mul");
    for (unsigned weightIndex : {0u, 1u}) {
      Value weight = node.getInputs()[weightIndex];
      Value normalized = skipIdentityCast(node.getInputs()[1 - weightIndex]);
      std::optional<std::pair<Value, double>> match = matchNormalized(normalized);
      if (!match)
        continue;
      auto [x, epsilon] = *match;
      Value input = skipIdentityCast(x);
      // Gemma multiplies by (1 + w): keep w and say so with unit_offset.
      UnitAttr unitOffset;
      if (Value offsetWeight = matchUnitOffsetWeight(weight)) {
        weight = offsetWeight;
        unitOffset = rewriter.getUnitAttr();
      }
      if (!isChannelParameter(weight, input) ||
          node.getOutputs()[0].getType() != input.getType())
        continue;
      rewriter.replaceOpWithNewOp<RMSNormOp>(
          node, input.getType(), input, weight,
          rewriter.getF32FloatAttr(static_cast<float>(epsilon)), unitOffset);
      return success();
    }
    return rewriter.notifyMatchFailure(node, "not weight * x / rms(x)");
  }

  /// x / rms(x) as Mul(x, Div(1, rms)) or Div(x, rms): returns x and eps.
  static std::optional<std::pair<Value, double>> matchNormalized(Value value) {
    auto node = value.getDefiningOp<onnx::NodeOp>();
    if (isONNXNode(node, "Div") && node.getInputs().size() == 2) {
      Value x = node.getInputs()[0];
      if (std::optional<double> eps = matchRootMeanSquare(node.getInputs()[1], x))
        return std::make_pair(x, *eps);
      return std::nullopt;
    }
    if (!isONNXNode(node, "Mul") || node.getInputs().size() != 2)
      return std::nullopt;
    for (unsigned inverseIndex : {0u, 1u}) {
      Value x = node.getInputs()[1 - inverseIndex];
      onnx::NodeOp inverse = getDefiningNode(node.getInputs()[inverseIndex], "Div");
      if (!inverse || getScalarFloat(inverse.getInputs()[0]) != 1.0)
        continue;
      if (std::optional<double> eps = matchRootMeanSquare(inverse.getInputs()[1], x))
        return std::make_pair(x, *eps);
    }
    return std::nullopt;
  }
};

/// [Add(bias, )] Mul(weight, Div(Sub(x, mean(x)), RMS(centered)))
/// -> awq.layer_norm(x, weight[, bias]).
struct DecomposedLayerNormToLayerNorm : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node,
                                PatternRewriter &rewriter) const override {
    // The root is the bias Add when there is one, else the weight Mul.
    onnx::NodeOp mul = node;
    Value bias;
    if (isONNXNode(node, "Add") && node.getInputs().size() == 2) {
      for (unsigned mulIndex : {0u, 1u}) {
        onnx::NodeOp candidate = getDefiningNode(node.getInputs()[mulIndex], "Mul");
        if (candidate && candidate.getOutputs()[0].hasOneUse()) {
          mul = candidate;
          bias = node.getInputs()[1 - mulIndex];
          break;
        }
      }
      if (!bias)
        return rewriter.notifyMatchFailure(node, "not an Add of a Mul");
    } else if (!isONNXNode(node, "Mul") || node.getInputs().size() != 2) {
      return rewriter.notifyMatchFailure(node, "not a Mul or Add");
    }
    for (unsigned weightIndex : {0u, 1u}) {
      Value weight = mul.getInputs()[weightIndex];
      onnx::NodeOp div = getDefiningNode(mul.getInputs()[1 - weightIndex], "Div");
      if (!div || div.getInputs().size() != 2)
        continue;
      Value centered = div.getInputs()[0];
      onnx::NodeOp sub = getDefiningNode(centered, "Sub");
      if (!sub)
        continue;
      Value x = sub.getInputs()[0];
      auto mean = sub.getInputs()[1].getDefiningOp<onnx::NodeOp>();
      if (!mean || !isLastAxisMean(mean, x))
        continue;
      std::optional<double> epsilon = matchRootMeanSquare(div.getInputs()[1], centered);
      if (!epsilon || !isChannelParameter(weight, x) ||
          (bias && !isChannelParameter(bias, x)) ||
          node.getOutputs()[0].getType() != x.getType())
        continue;
      rewriter.replaceOpWithNewOp<LayerNormOp>(
          node, x.getType(), x, weight, bias,
          rewriter.getF32FloatAttr(static_cast<float>(*epsilon)));
      return success();
    }
    return rewriter.notifyMatchFailure(node, "not a decomposed LayerNorm");
  }
};

} // namespace

void populateDecomposedNormPatterns(RewritePatternSet &patterns) {
  // Above the default benefit: the chain must be matched before the
  // activation patterns take its Mul nodes apart.
  patterns.add<DecomposedRMSNormToRMSNorm, DecomposedLayerNormToLayerNorm>(
      patterns.getContext(), /*benefit=*/2);
}

} // namespace awq
