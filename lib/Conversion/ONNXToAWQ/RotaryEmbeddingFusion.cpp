//===- RotaryEmbeddingFusion.cpp - awq-fuse-rotary-embedding --------------===//
//
// Exporters write the rotary embedding of q and of k as
//
//   Add(Mul(x, cos), Mul(rotate(x), sin))
//
// with rotate(x) spelled out in data movement:
//
//   half-split (HF's rotate_half):
//     Concat(Neg(Slice(x, D/2:D)), Slice(x, 0:D/2), axis = -1)
//   interleaved (GPT-J's rotate_every_two, llama2.c):
//     Reshape(Concat(Unsqueeze(Neg(Slice(x, 1::2)), -1),
//                    Unsqueeze(Slice(x, 0::2), -1), axis = -1), x's shape)
//
// seven to ten nodes, each a pass over x (a kernel launch on a GPU). The
// pattern here turns the chain into one awq.rotary_embedding, which reads x,
// cos and sin once and rounds as the chain did, so the result keeps its
// bits. Like awq-fuse-attention it runs after quantization: the AWQ passes
// never look inside it, but keeping the raised IR close to the export keeps
// the passes' view of the graph the one they were written against.
//
//===----------------------------------------------------------------------===//

#include "ONNXMatchers.h"

#include "awq/Conversion/ONNXToAWQ/ONNXToAWQ.h"
#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace awq {
#define GEN_PASS_DEF_AWQFUSEROTARYEMBEDDING
#include "awq/Conversion/Passes.h.inc"
} // namespace awq

using namespace mlir;

namespace awq {
namespace {

/// `value`'s type when it is a ranked float tensor whose last dim (the head
/// dim) is static, positive and even; else null.
RankedTensorType getHeadTensorType(Value value) {
  RankedTensorType type = getFloatTensorType(value);
  if (!type || type.getRank() < 1)
    return nullptr;
  const int64_t headDim = type.getShape().back();
  return !ShapedType::isDynamic(headDim) && headDim > 0 && headDim % 2 == 0 ? type : nullptr;
}

/// A Slice of one axis, the last of its input, with constant bounds clamped
/// as ONNX clamps them: input, first index, end index and step.
struct LastAxisSlice {
  Value input;
  int64_t start = 0, end = 0, step = 1;
};

std::optional<LastAxisSlice> matchLastAxisSlice(Value value) {
  onnx::NodeOp slice = getDefiningNode(value, "Slice");
  if (!slice || slice.getInputs().empty())
    return std::nullopt;
  Value input = slice.getInputs()[0];
  RankedTensorType type = getHeadTensorType(input);
  if (!type)
    return std::nullopt;
  // Before opset 10 the bounds were attributes (and there was no step).
  const bool inputs = slice.getOpset() >= 10;
  std::optional<SmallVector<int64_t>> starts = getConstantInts(slice, "starts", 1);
  std::optional<SmallVector<int64_t>> ends = getConstantInts(slice, "ends", 2);
  std::optional<SmallVector<int64_t>> axes = getConstantInts(slice, "axes", inputs ? 3 : ~0u);
  std::optional<SmallVector<int64_t>> steps =
      inputs ? getConstantInts(slice, "steps", 4) : std::nullopt;
  if (!starts || !ends || starts->size() != 1 || ends->size() != 1)
    return std::nullopt;
  // Axes or steps given but not known at compile time: no match.
  if ((inputs && slice.hasInput(3) && !axes) || (inputs && slice.hasInput(4) && !steps) ||
      (axes && axes->size() != 1) || (steps && steps->size() != 1))
    return std::nullopt;
  // Absent axes mean every axis from 0: one bound slices axis 0.
  if (!isLastAxis(axes ? (*axes)[0] : 0, type.getRank()))
    return std::nullopt;
  LastAxisSlice result;
  result.input = input;
  result.step = steps ? (*steps)[0] : 1;
  if (result.step <= 0)
    return std::nullopt;
  const int64_t dim = type.getShape().back();
  auto clamp = [dim](int64_t index) {
    if (index < 0)
      index += dim;
    return std::clamp<int64_t>(index, 0, dim);
  };
  result.start = clamp((*starts)[0]);
  result.end = clamp((*ends)[0]);
  return result;
}

/// x when `value` is Slice(x) taking the elements start, start + step, ...
/// below end of the last axis (end may lie past the head dim); else null.
Value sliceOf(Value value, int64_t start, int64_t end, int64_t step) {
  std::optional<LastAxisSlice> slice = matchLastAxisSlice(value);
  if (!slice)
    return nullptr;
  const int64_t dim = cast<RankedTensorType>(slice->input.getType()).getShape().back();
  auto taken = [](int64_t first, int64_t stop, int64_t stride) {
    return first < stop ? (stop - first + stride - 1) / stride : 0;
  };
  if (slice->start != start || slice->step != step ||
      taken(slice->start, slice->end, step) != taken(start, std::min(end, dim), step))
    return nullptr;
  return slice->input;
}

/// x when `value` is Neg(v) and v is `match(v)`'s x.
template <class Match> Value negatedOf(Value value, Match &&match) {
  onnx::NodeOp neg = value ? getDefiningNode(value, "Neg") : nullptr;
  return neg ? match(neg.getInputs()[0]) : nullptr;
}

/// The input of Unsqueeze(v, [-1]) (axes naming the new last axis), or null.
Value unsqueezedLast(Value value) {
  onnx::NodeOp unsqueeze = getDefiningNode(value, "Unsqueeze");
  if (!unsqueeze || unsqueeze.getInputs().empty())
    return nullptr;
  std::optional<SmallVector<int64_t>> axes = getConstantInts(unsqueeze, "axes", 1);
  const int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  if (!axes || axes->size() != 1 || !isLastAxis((*axes)[0], rank))
    return nullptr;
  return unsqueeze.getInputs()[0];
}

/// The two inputs of a Concat of two along the last axis, or std::nullopt.
std::optional<std::pair<Value, Value>> lastAxisConcatPair(Value value) {
  onnx::NodeOp concat = getDefiningNode(value, "Concat");
  if (!concat || concat.getInputs().size() != 2)
    return std::nullopt;
  const int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  if (!isLastAxis(concat.getIntAttr("axis", 0), rank))
    return std::nullopt;
  return std::make_pair(concat.getInputs()[0], concat.getInputs()[1]);
}

/// rotate_half: Concat(Neg(x[..., D/2:]), x[..., :D/2]) -> x.
Value matchHalfSplitRotate(Value rotated) {
  RankedTensorType type = getHeadTensorType(rotated);
  std::optional<std::pair<Value, Value>> parts = lastAxisConcatPair(rotated);
  if (!type || !parts)
    return nullptr;
  const int64_t dim = type.getShape().back(), half = dim / 2;
  Value second = negatedOf(parts->first, [&](Value v) { return sliceOf(v, half, dim, 1); });
  Value first = sliceOf(parts->second, 0, half, 1);
  return second && second == first && second.getType() == rotated.getType() ? first : nullptr;
}

/// True when `reshape`'s constant target keeps every leading dim of `to`
/// (0 copies one, -1 infers one) and ends in its head dim: the flatten of
/// [..., D/2, 2] into [..., D].
bool flattensPairs(onnx::NodeOp reshape, RankedTensorType to) {
  if (reshape.getInputs().empty() || reshape.getIntAttr("allowzero", 0) != 0)
    return false;
  // Reshape-1 had the target as an attribute.
  std::optional<SmallVector<int64_t>> target = getConstantInts(reshape, "shape", 1);
  if (!target || static_cast<int64_t>(target->size()) != to.getRank() ||
      target->back() != to.getShape().back())
    return false;
  int inferred = 0;
  for (int64_t i = 0; i + 1 < to.getRank(); ++i) {
    const int64_t want = (*target)[i], dim = to.getDimSize(i);
    if (want == -1)
      ++inferred;
    else if (want != 0 && want != dim)
      return false;
  }
  return inferred <= 1;
}

/// rotate_every_two: Reshape(Concat(Unsqueeze(Neg(x[..., 1::2]), -1),
/// Unsqueeze(x[..., 0::2], -1)), x's shape) -> x.
Value matchInterleavedRotate(Value rotated) {
  RankedTensorType type = getHeadTensorType(rotated);
  onnx::NodeOp reshape = getDefiningNode(rotated, "Reshape");
  if (!type || !reshape || !flattensPairs(reshape, type))
    return nullptr;
  std::optional<std::pair<Value, Value>> parts = lastAxisConcatPair(reshape.getInputs()[0]);
  if (!parts)
    return nullptr;
  const int64_t dim = type.getShape().back();
  Value odd =
      negatedOf(unsqueezedLast(parts->first), [&](Value v) { return sliceOf(v, 1, dim, 2); });
  Value evenSource = unsqueezedLast(parts->second);
  Value even = evenSource ? sliceOf(evenSource, 0, dim, 2) : nullptr;
  return odd && odd == even && odd.getType() == rotated.getType() ? even : nullptr;
}

/// True when cos (and sin, of the same type) broadcast into `x` without
/// widening it and carry one angle per channel (awq.rotary_embedding's
/// verifier, checked before rewriting).
bool anglesFit(RankedTensorType angles, RankedTensorType x) {
  if (angles.getElementType() != x.getElementType() || angles.getRank() < 1 ||
      angles.getRank() > x.getRank() || angles.getShape().back() != x.getShape().back())
    return false;
  for (int64_t i = 0; i < angles.getRank(); ++i) {
    const int64_t dim = angles.getDimSize(i), into = x.getDimSize(x.getRank() - angles.getRank() + i);
    if (dim != into && (dim != 1 || i + 1 == angles.getRank()))
      return false;
  }
  return true;
}

/// The operand of a two-input Mul other than `x`, or null.
Value otherFactor(onnx::NodeOp mul, Value x) {
  if (mul.getInputs()[0] == x)
    return mul.getInputs()[1];
  if (mul.getInputs()[1] == x)
    return mul.getInputs()[0];
  return nullptr;
}

/// Add(Mul(x, cos), Mul(rotate(x), sin)), operands in either order ->
/// awq.rotary_embedding(x, cos, sin).
struct RotatedSumToRotaryEmbedding : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node, PatternRewriter &rewriter) const override {
    if (!isONNXNode(node, "Add") || node.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(node, "not a two-input Add");
    Type resultType = node.getOutputs()[0].getType();
    for (unsigned directIndex : {0u, 1u}) {
      onnx::NodeOp direct = getDefiningNode(node.getInputs()[directIndex], "Mul");
      onnx::NodeOp turned = getDefiningNode(node.getInputs()[1 - directIndex], "Mul");
      if (!direct || !turned || direct == turned || !singleUse(direct) || !singleUse(turned) ||
          direct.getInputs().size() != 2 || turned.getInputs().size() != 2)
        continue;
      for (unsigned rotatedIndex : {0u, 1u}) {
        Value rotated = turned.getInputs()[rotatedIndex], sin = turned.getInputs()[1 - rotatedIndex];
        RotaryLayout layout = RotaryLayout::HalfSplit;
        Value x = matchHalfSplitRotate(rotated);
        if (!x) {
          x = matchInterleavedRotate(rotated);
          layout = RotaryLayout::Interleaved;
        }
        if (!x || x.getType() != resultType)
          continue;
        Value cos = otherFactor(direct, x);
        if (!cos || cos.getType() != sin.getType())
          continue;
        auto anglesType = dyn_cast<RankedTensorType>(cos.getType());
        if (!anglesType || !anglesFit(anglesType, cast<RankedTensorType>(x.getType())))
          continue;
        rewriter.replaceOpWithNewOp<RotaryEmbeddingOp>(
            node, resultType, x, cos, sin, RotaryLayoutAttr::get(getContext(), layout));
        return success();
      }
    }
    return rewriter.notifyMatchFailure(node, "not x * cos + rotate(x) * sin");
  }
};

struct AWQFuseRotaryEmbeddingPass
    : impl::AWQFuseRotaryEmbeddingBase<AWQFuseRotaryEmbeddingPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRotaryEmbeddingFusionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    eraseDeadONNXNodes(getOperation());
  }
};

} // namespace

void populateRotaryEmbeddingFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<RotatedSumToRotaryEmbedding>(patterns.getContext());
}

} // namespace awq
