//===- AttentionFusion.cpp - The awq-fuse-attention pass and its patterns -===//
//
// Exporters write attention as a chain of generic ops:
//
//   MatMul(q, Transpose(k)) [-> Div/Mul by a scalar] [-> Add(mask) or
//   Where(cond, ., -big)] -> Softmax(last axis) -> MatMul(., v)
//
// and run it that way materialize the [B, H, S, T] scores three times over.
// The pattern here turns the chain into one awq.attention, which the runtime
// runs in a single pass over the keys. Grouped-query attention's repeat_kv
// (Unsqueeze -> Expand -> Reshape of the cache) is seen through, so the
// repeated copy of the cache is not made either.
//
// This is a separate pass, not part of convert-onnx-to-awq, because the AWQ
// passes reason about attention through its generic ops (channels traced
// from v through the probabilities' MatMul to o, the scores' Softmax marking
// a block as attention); the compiler runs it after quantization, before the
// weights are prepacked.
//
//===----------------------------------------------------------------------===//

#include "ONNXMatchers.h"

#include "awq/Conversion/ONNXToAWQ/ONNXToAWQ.h"
#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <limits>
#include <tuple>

namespace awq {
#define GEN_PASS_DEF_AWQFUSEATTENTION
#include "awq/Conversion/Passes.h.inc"
} // namespace awq

using namespace mlir;

namespace awq {
namespace {

/// Replacing a score by `fill` (Where) and adding `fill` to it (an additive
/// mask) give the same float when `fill` absorbs every finite score: -inf, or
/// a value so negative that score + fill rounds back to fill (exporters use
/// the most negative float, about -3.4e38, whose ulp is 2^104). 1e30 keeps
/// that true for scores up to about 3e22.
bool fillAbsorbsScores(Value fill) {
  std::optional<double> value = getScalarFloat(fill);
  return value && *value <= -1e30;
}

/// A rank-4 f32 tensor type, or null. (The runtime's attention is f32.)
RankedTensorType getRank4F32(Value value) {
  RankedTensorType type = getFloatTensorType(value);
  return type && type.getRank() == 4 && type.getElementType().isF32() ? type : nullptr;
}

/// Two dims that are provably equal: the same static size, or both dynamic
/// (the exporters' batch and sequence dims, which come from one input).
bool sameDim(int64_t a, int64_t b) { return a == b; }

onnx::NodeOp createNode(PatternRewriter &rewriter, Location loc, Type resultType,
                        StringRef opType, int64_t opset, ValueRange inputs, StringAttr name,
                        ArrayRef<NamedAttribute> attrs = {}) {
  return onnx::NodeOp::create(rewriter, loc, TypeRange{resultType}, inputs,
                              rewriter.getStringAttr(opType), rewriter.getStringAttr(""),
                              rewriter.getI64IntegerAttr(opset), name,
                              attrs.empty() ? DictionaryAttr()
                                            : rewriter.getDictionaryAttr(attrs));
}

/// HF's repeat_kv, x[:, :, None].expand(B, Hkv, n, T, D).reshape(B, Hkv * n,
/// T, D): Reshape(Expand(Unsqueeze(x, [2]), [1, 1, n, 1, 1]), [0, Hkv * n,
/// -1, D]) with x [B, Hkv, T, D] -> x, whose heads attention reads n query
/// heads each. Anything else is returned as it is.
Value seeThroughRepeatKV(Value repeated) {
  onnx::NodeOp reshape = getDefiningNode(repeated, "Reshape");
  if (!reshape || reshape.getIntAttr("allowzero", 0) != 0)
    return repeated;
  onnx::NodeOp expand = getDefiningNode(reshape.getInputs()[0], "Expand");
  if (!expand)
    return repeated;
  onnx::NodeOp unsqueeze = getDefiningNode(expand.getInputs()[0], "Unsqueeze");
  if (!unsqueeze)
    return repeated;
  Value kv = unsqueeze.getInputs()[0];
  RankedTensorType kvType = getRank4F32(kv);
  std::optional<SmallVector<int64_t>> axes = getConstantInts(unsqueeze, "axes", 1);
  ElementsAttr expandShape = getConstantElements(expand.getInputs()[1]);
  ElementsAttr target = getConstantElements(reshape.getInputs()[1]);
  if (!kvType || !axes || axes->size() != 1 || ((*axes)[0] != 2 && (*axes)[0] != -3) ||
      !expandShape || expandShape.getNumElements() != 5 || !target ||
      target.getNumElements() != 4)
    return repeated;
  SmallVector<int64_t> shape, newShape;
  for (const APInt &dim : expandShape.getValues<APInt>())
    shape.push_back(dim.getSExtValue());
  for (const APInt &dim : target.getValues<APInt>())
    newShape.push_back(dim.getSExtValue());
  // Expand broadcasts: only the new axis may grow; the others must be 1.
  const int64_t copies = shape[2];
  if (copies < 1 || shape[0] != 1 || shape[1] != 1 || shape[3] != 1 || shape[4] != 1)
    return repeated;
  // The reshape merges (Hkv, n) and keeps B, T and D.
  const int64_t kvHeads = kvType.getDimSize(1), headDim = kvType.getDimSize(3);
  if (ShapedType::isDynamic(kvHeads) || ShapedType::isDynamic(headDim) ||
      newShape[0] != 0 || newShape[1] != kvHeads * copies ||
      (newShape[2] != -1 && newShape[2] != 0) || newShape[3] != headDim)
    return repeated;
  return kv;
}

/// The key in [B, H, T, D] given the MatMul's right operand k^T [B, H, D, T]:
/// the Transpose's input when the Transpose swapped the last two axes, a
/// Transpose of the same input by the composed permutation when it did more
/// (one copy either way), else a new Transpose of k^T. New nodes take
/// `opset`, the one the model imports (Transpose means the same in all).
Value keyFromTransposed(PatternRewriter &rewriter, Location loc, Value keyT, int64_t opset) {
  auto keyTType = cast<RankedTensorType>(keyT.getType());
  SmallVector<int64_t> keyShape(keyTType.getShape());
  std::swap(keyShape[2], keyShape[3]);
  auto keyType = RankedTensorType::get(keyShape, keyTType.getElementType());
  Value source = keyT;
  SmallVector<int64_t> perm = {0, 1, 3, 2};
  onnx::NodeOp transpose = getDefiningNode(keyT, "Transpose");
  StringAttr name;
  if (transpose) {
    std::optional<ArrayRef<int64_t>> kept = transpose.getIntsAttr("perm");
    if (kept && kept->size() == 4) {
      const SmallVector<int64_t> swapped = {(*kept)[0], (*kept)[1], (*kept)[3], (*kept)[2]};
      if (swapped == SmallVector<int64_t>{0, 1, 2, 3})
        return transpose.getInputs()[0];
      source = transpose.getInputs()[0];
      perm = swapped;
      name = transpose.getNameAttr();
      opset = transpose.getOpset();
    }
  }
  return createNode(rewriter, loc, keyType, "Transpose", opset, {source}, name,
                    {rewriter.getNamedAttr("perm", rewriter.getDenseI64ArrayAttr(perm))})
      .getOutputs()[0];
}

/// What the chain between the scores' MatMul and the Softmax did.
struct ScoreChain {
  onnx::NodeOp scoresMatmul; // MatMul(q, k^T)
  double scale = 1.0;
  Value mask;                       // additive, or null
  onnx::NodeOp whereMask;           // Where(cond, ., fill) to turn into a mask
  bool fillWhereTrue = false;       // Where(cond, fill, .) instead
};

/// x and c for Mul(x, c), Mul(c, x) or Div(x, c) (as 1 / c) with a positive
/// finite scalar constant c, used only here: the SDPA export scales q and k^T
/// by sqrt(scale) each, which the fused op folds into its scale.
std::optional<std::pair<Value, double>> matchScalarScaling(Value value) {
  onnx::NodeOp node = value.getDefiningOp<onnx::NodeOp>();
  if (!node || !singleUse(node) || node.getInputs().size() != 2)
    return std::nullopt;
  const bool divide = isONNXNode(node, "Div");
  if (!divide && !isONNXNode(node, "Mul"))
    return std::nullopt;
  static const unsigned divideOrder[] = {1}, multiplyOrder[] = {1, 0};
  for (unsigned constIndex :
       divide ? ArrayRef<unsigned>(divideOrder) : ArrayRef<unsigned>(multiplyOrder)) {
    std::optional<double> factor = getScalarFloat(node.getInputs()[constIndex]);
    Value x = node.getInputs()[1 - constIndex];
    if (factor && std::isfinite(*factor) && *factor > 0.0 && x.getType() == value.getType())
      return std::make_pair(x, divide ? 1.0 / *factor : *factor);
  }
  return std::nullopt;
}

/// scores -> [Div/Mul by a scalar constant] -> MatMul(q, k^T), nodes used
/// only along the chain.
LogicalResult matchScaledScores(Value scores, ScoreChain &chain) {
  Value unscaled = scores;
  double factor = 1.0;
  if (std::optional<std::pair<Value, double>> scaled = matchScalarScaling(scores))
    std::tie(unscaled, factor) = *scaled;
  onnx::NodeOp matmul = getDefiningNode(unscaled, "MatMul");
  if (!matmul || !singleUse(matmul))
    return failure();
  chain.scoresMatmul = matmul;
  chain.scale = factor;
  return success();
}

/// The Softmax's input: the scaled scores, with an additive mask (Add, either
/// operand order) or a Where that fills masked scores with -big.
LogicalResult matchScoreChain(Value logits, ScoreChain &chain) {
  if (succeeded(matchScaledScores(logits, chain)))
    return success();
  onnx::NodeOp node = logits.getDefiningOp<onnx::NodeOp>();
  if (!node || !singleUse(node))
    return failure();
  Type type = logits.getType();
  if (isONNXNode(node, "Add") && node.getInputs().size() == 2) {
    for (unsigned scoresIndex : {0u, 1u}) {
      Value scores = node.getInputs()[scoresIndex], mask = node.getInputs()[1 - scoresIndex];
      // The mask must not widen the scores (Add broadcasts both ways).
      if (scores.getType() != type || !getFloatTensorType(mask) ||
          failed(matchScaledScores(scores, chain)))
        continue;
      chain.mask = mask;
      return success();
    }
    return failure();
  }
  if (isONNXNode(node, "Where") && node.getInputs().size() == 3) {
    for (unsigned scoresIndex : {1u, 2u}) {
      Value scores = node.getInputs()[scoresIndex], fill = node.getInputs()[3 - scoresIndex];
      if (scores.getType() != type || !fillAbsorbsScores(fill) ||
          failed(matchScaledScores(scores, chain)))
        continue;
      chain.whereMask = node;
      chain.fillWhereTrue = scoresIndex == 2;
      return success();
    }
  }
  return failure();
}

/// Where(cond, scores, fill) -> the additive mask Where(cond, 0, fill)
/// (Where(cond, fill, scores) -> Where(cond, fill, 0)), shaped like cond.
Value additiveMaskFromWhere(PatternRewriter &rewriter, const ScoreChain &chain) {
  onnx::NodeOp where = chain.whereMask;
  Value cond = where.getInputs()[0];
  Value fill = where.getInputs()[chain.fillWhereTrue ? 1 : 2];
  auto fillType = cast<RankedTensorType>(fill.getType());
  // An ONNX initializer, so the IR stays loadable and exportable by the
  // tools that know only the onnx and awq dialects.
  Value zero = onnx::InitializerOp::create(
      rewriter, where.getLoc(), "awq.attention.mask_zero",
      DenseElementsAttr::get(fillType, rewriter.getFloatAttr(fillType.getElementType(), 0.0)));
  // Where broadcasts its operands; the fill has one element, so the mask has
  // cond's dims (with leading 1s if the fill has the higher rank).
  auto condType = cast<RankedTensorType>(cond.getType());
  SmallVector<int64_t> shape(std::max<int64_t>(0, fillType.getRank() - condType.getRank()), 1);
  llvm::append_range(shape, condType.getShape());
  auto maskType = RankedTensorType::get(shape, fillType.getElementType());
  SmallVector<Value> inputs = {cond, chain.fillWhereTrue ? fill : zero,
                               chain.fillWhereTrue ? zero : fill};
  return createNode(rewriter, where.getLoc(), maskType, "Where", where.getOpset(), inputs,
                    where.getNameAttr())
      .getOutputs()[0];
}

/// `value` itself, or the input of the Cast that produced it when that Cast
/// changes nothing (to the type it already had; exporters write one around
/// Softmax's `dtype=float32`) and is used only here.
Value skipNoOpCast(Value value) {
  onnx::NodeOp cast = getDefiningNode(value, "Cast");
  if (cast && singleUse(cast) && cast.getInputs().size() == 1 &&
      cast.getInputs()[0].getType() == value.getType())
    return cast.getInputs()[0];
  return value;
}

/// MatMul(Softmax(chain(MatMul(q, k^T))), v) -> awq.attention(q, k, v, mask).
struct SoftmaxChainToAttention : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node, PatternRewriter &rewriter) const override {
    if (!isONNXNode(node, "MatMul") || node.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(node, "not a MatMul");
    onnx::NodeOp softmax = getDefiningNode(skipNoOpCast(node.getInputs()[0]), "Softmax");
    if (!softmax || !singleUse(softmax))
      return rewriter.notifyMatchFailure(node, "not a MatMul of Softmax probabilities");
    // Before opset 13 the default axis was 1 and Softmax flattened from the
    // axis on; over the last axis both definitions agree.
    const int64_t axis = softmax.getIntAttr("axis", softmax.getOpset() >= 13 ? -1 : 1);
    Value probs = softmax.getOutputs()[0], value = node.getInputs()[1];
    RankedTensorType probsType = getRank4F32(probs), valueType = getRank4F32(value),
                     resultType = getRank4F32(node.getOutputs()[0]);
    if (!probsType || !valueType || !resultType || !isLastAxis(axis, 4))
      return rewriter.notifyMatchFailure(node, "not a last-axis Softmax over rank-4 f32 scores");
    ScoreChain chain;
    if (failed(matchScoreChain(skipNoOpCast(softmax.getInputs()[0]), chain)))
      return rewriter.notifyMatchFailure(node, "the Softmax's input is not scaled, masked scores");
    Value query = chain.scoresMatmul.getInputs()[0], keyT = chain.scoresMatmul.getInputs()[1];
    // Scalar factors on q or k^T join the scale (scaling the whole cache
    // every step is the cost this saves).
    double operandScale = 1.0;
    for (Value *operand : {&query, &keyT})
      if (std::optional<std::pair<Value, double>> scaled = matchScalarScaling(*operand)) {
        *operand = scaled->first;
        operandScale *= scaled->second;
      }
    RankedTensorType queryType = getRank4F32(query), keyTType = getRank4F32(keyT);
    if (!queryType || !keyTType)
      return rewriter.notifyMatchFailure(node, "q or k^T is not a rank-4 f32 tensor");
    // MatMul broadcasts its batch dims; attention only matches when it did
    // not have to (or grouped-query attention's head broadcast, Hkv = 1).
    ArrayRef<int64_t> q = queryType.getShape(), kT = keyTType.getShape(),
                      v = valueType.getShape(), result = resultType.getShape();
    if (!sameDim(q[0], kT[0]) || !sameDim(q[0], v[0]) || !sameDim(q[3], kT[2]) ||
        !sameDim(kT[3], v[2]) || !sameDim(kT[1], v[1]) ||
        !(sameDim(q[1], kT[1]) || kT[1] == 1) || !sameDim(result[0], q[0]) ||
        !sameDim(result[1], q[1]) || !sameDim(result[2], q[2]) || !sameDim(result[3], v[3]))
      return rewriter.notifyMatchFailure(node, "q, k and v shapes do not line up as attention");

    Location loc = node.getLoc();
    Value maskInput = chain.whereMask ? chain.whereMask.getInputs()[chain.fillWhereTrue ? 1 : 2]
                                      : chain.mask;
    auto maskInputType = maskInput ? dyn_cast<RankedTensorType>(maskInput.getType()) : nullptr;
    if (maskInput && (!maskInputType || maskInputType.getRank() > 4 ||
                      !maskInputType.getElementType().isF32()))
      return rewriter.notifyMatchFailure(node, "mask (or fill) of rank > 4 or not f32");
    if (chain.whereMask && cast<ShapedType>(chain.whereMask.getInputs()[0].getType()).getRank() > 4)
      return rewriter.notifyMatchFailure(node, "a Where condition of rank > 4");

    // Past this point the rewrite happens.
    Value mask = chain.whereMask ? additiveMaskFromWhere(rewriter, chain) : chain.mask;
    Value repeatedKey =
        keyFromTransposed(rewriter, loc, keyT, chain.scoresMatmul.getOpset());
    Value key = seeThroughRepeatKV(repeatedKey), unrepeatedValue = seeThroughRepeatKV(value);
    // See through repeat_kv only where both sides did it the same way.
    if (cast<RankedTensorType>(key.getType()).getDimSize(1) !=
        cast<RankedTensorType>(unrepeatedValue.getType()).getDimSize(1)) {
      key = repeatedKey;
      unrepeatedValue = value;
    }
    rewriter.replaceOpWithNewOp<AttentionOp>(
        node, resultType, query, key, unrepeatedValue, mask,
        rewriter.getF32FloatAttr(static_cast<float>(chain.scale * operandScale)),
        /*query_layout=*/HeadLayoutAttr());
    return success();
  }
};

struct AWQFuseAttentionPass : impl::AWQFuseAttentionBase<AWQFuseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttentionFusionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    eraseDeadONNXNodes(getOperation());
  }
};

} // namespace

void populateAttentionFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<SoftmaxChainToAttention>(patterns.getContext());
}

} // namespace awq
