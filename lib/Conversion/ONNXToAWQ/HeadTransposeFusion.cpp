//===- HeadTransposeFusion.cpp - awq-fuse-head-transposes -----------------===//
//
// Exporters write attention's heads out as
//
//   q = Transpose(Reshape(q_proj(x), [B, S, H, D]), perm = [0, 2, 1, 3])
//   k = Transpose(Reshape(k_proj(x), ...), ...)  -> rotary -> cache append
//   out = Reshape(Transpose(attention(q, k, v), [0, 2, 1, 3]), [B, S, H * D])
//
// Each Transpose copies a tensor (and is a kernel launch on a GPU) only to
// change the order its readers see. awq.attention and awq.kv_cache_append
// read [B, S, H, D] directly (query_layout / update_layout = bshd), so the
// patterns here drop the transposes into them:
//
// - awq.rotary_embedding is elementwise over heads and positions, so a head
//   transpose of its input moves past it (its cos and sin are reshaped to
//   the new order, a view: they have a single head);
// - awq.kv_cache_append of a head-transposed update takes the update as it
//   was;
// - awq.attention of a head-transposed query whose result is read only by
//   head transposes takes the query as it was and gives their result.
//
// Runs after awq-fuse-attention, awq-fuse-rotary-embedding and
// awq-fuse-kv-cache, which form the ops.
//
//===----------------------------------------------------------------------===//

#include "ONNXMatchers.h"

#include "awq/Conversion/ONNXToAWQ/ONNXToAWQ.h"
#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace awq {
#define GEN_PASS_DEF_AWQFUSEHEADTRANSPOSES
#include "awq/Conversion/Passes.h.inc"
} // namespace awq

using namespace mlir;

namespace awq {
namespace {

/// The node `Transpose(x, perm = [0, 2, 1, 3])` of a rank-4 tensor that
/// defines `value`, or null: the swap of heads and positions.
onnx::NodeOp getHeadTranspose(Value value) {
  onnx::NodeOp transpose = getDefiningNode(value, "Transpose");
  if (!transpose || transpose.getInputs().size() != 1 || transpose.getNumResults() != 1)
    return nullptr;
  auto type = dyn_cast<RankedTensorType>(transpose.getInputs()[0].getType());
  std::optional<ArrayRef<int64_t>> perm = transpose.getIntsAttr("perm");
  if (!type || type.getRank() != 4 || !perm || *perm != ArrayRef<int64_t>{0, 2, 1, 3})
    return nullptr;
  return transpose;
}

/// The head transposes that read `value`, when they are all its readers;
/// std::nullopt when something else reads it too.
std::optional<SmallVector<onnx::NodeOp>> headTransposeReaders(Value value) {
  SmallVector<onnx::NodeOp> readers;
  for (Operation *user : value.getUsers()) {
    onnx::NodeOp reader = user->getNumResults() == 1 ? getHeadTranspose(user->getResult(0))
                                                     : nullptr;
    if (!reader)
      return std::nullopt;
    readers.push_back(reader);
  }
  return readers;
}

/// True when the op reading `use` would take a head-transposed value as it
/// was before the transpose: a cache append's update, or the query of an
/// attention whose result only head transposes read.
bool absorbsHeadTranspose(OpOperand &use) {
  if (auto append = dyn_cast<KVCacheAppendOp>(use.getOwner()))
    return !append.isSequenceFirst() && use.get() == append.getUpdate() &&
           use.get() != append.getPast();
  if (auto attention = dyn_cast<AttentionOp>(use.getOwner())) {
    if (attention.isSequenceFirst() || use.getOperandNumber() != 0)
      return false;
    std::optional<SmallVector<onnx::NodeOp>> readers =
        headTransposeReaders(attention.getResult());
    return readers && !readers->empty();
  }
  return false;
}

/// `type` with axes 1 and 2 swapped.
RankedTensorType swapHeadsAndPositions(RankedTensorType type) {
  SmallVector<int64_t, 4> shape(type.getShape());
  std::swap(shape[1], shape[2]);
  return RankedTensorType::get(shape, type.getElementType());
}

/// The ONNX Reshape target that gives `type` [c0, c1, c2, c3] its axes 1
/// and 2 swapped without moving an element: one of c1, c2 must be 1. Axes 0
/// and 3 keep their place (0 copies a dynamic one); a dynamic c1 or c2
/// becomes -1. std::nullopt when the swap moves elements.
std::optional<SmallVector<int64_t, 4>> swapAsReshape(RankedTensorType type) {
  ArrayRef<int64_t> c = type.getShape();
  if (c[1] != 1 && c[2] != 1)
    return std::nullopt;
  auto target = [](int64_t dim, int64_t dynamicAs) {
    return ShapedType::isDynamic(dim) ? dynamicAs : dim;
  };
  return SmallVector<int64_t, 4>{target(c[0], 0), target(c[2], -1), target(c[1], -1),
                                 target(c[3], 0)};
}

/// `angles` (a rotary embedding's cos or sin, rank 4 with one head) with
/// heads and positions swapped: a Reshape. Where the angles are themselves
/// an Unsqueeze or Reshape of a tensor (exporters unsqueeze the model's
/// cos [B, S, D] in every layer) and the target has no 0, the Reshape reads
/// that tensor, so one Reshape serves every layer and the per-layer
/// Unsqueezes go.
Value swappedAngles(PatternRewriter &rewriter, Value angles, ArrayRef<int64_t> target,
                    onnx::NodeOp transpose) { // transpose: whose opset the Reshape takes
  auto type = cast<RankedTensorType>(angles.getType());
  RankedTensorType swappedType = swapHeadsAndPositions(type);
  Value source = angles;
  while (!llvm::is_contained(target, 0)) {
    onnx::NodeOp reshaping = getDefiningNode(source, "Unsqueeze");
    if (!reshaping)
      reshaping = getDefiningNode(source, "Reshape");
    if (!reshaping || reshaping.getIntAttr("allowzero", 0) != 0)
      break;
    source = reshaping.getInputs()[0];
  }
  angles = source;
  for (Operation *user : angles.getUsers()) {
    auto reshape = dyn_cast<onnx::NodeOp>(user);
    if (!reshape || !isONNXNode(reshape, "Reshape") || reshape.getInputs().size() != 2 ||
        reshape.getInputs()[0] != angles || reshape.getOutputs()[0].getType() != swappedType)
      continue;
    std::optional<SmallVector<int64_t>> shape = evaluateShapeInts(reshape.getInputs()[1]);
    if (shape && ArrayRef<int64_t>(*shape) == target &&
        reshape.getIntAttr("allowzero", 0) == 0)
      return reshape.getOutputs()[0];
  }
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfterValue(angles);
  Location loc = angles.getLoc();
  auto shapeType = RankedTensorType::get({4}, rewriter.getI64Type());
  Value shape = onnx::InitializerOp::create(rewriter, loc, "awq.head_layout.angle_shape",
                                            DenseElementsAttr::get(shapeType, target));
  // Named after the node of the angles, for the layers share it.
  StringAttr name;
  if (auto producer = angles.getDefiningOp<onnx::NodeOp>())
    if (StringAttr producerName = producer.getNameAttr())
      name = rewriter.getStringAttr(producerName.getValue() + "/awq.bshd");
  return onnx::NodeOp::create(rewriter, loc, TypeRange{swappedType}, ValueRange{angles, shape},
                              rewriter.getStringAttr("Reshape"), rewriter.getStringAttr(""),
                              rewriter.getI64IntegerAttr(std::max<int64_t>(transpose.getOpset(), 5)),
                              name, DictionaryAttr())
      .getOutputs()[0];
}

/// rotary(Transpose(x, [0, 2, 1, 3]), cos, sin)
///   -> Transpose(rotary(x, cos', sin'), [0, 2, 1, 3])
/// with cos' and sin' the angles reshaped to x's order. Only where the
/// transpose has no other reader (else both orders would be computed) and
/// the angles have one head, so the reshape moves nothing.
struct SinkHeadTransposeThroughRotary : OpRewritePattern<RotaryEmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RotaryEmbeddingOp op, PatternRewriter &rewriter) const override {
    onnx::NodeOp transpose = getHeadTranspose(op.getInput());
    if (!transpose || !transpose.getOutputs()[0].hasOneUse())
      return rewriter.notifyMatchFailure(op, "the input is not a head transpose read only here");
    // Moved only where a reader takes it in: else it would just move.
    if (op.getResult().use_empty() ||
        !llvm::all_of(op.getResult().getUses(),
                      [](OpOperand &use) { return absorbsHeadTranspose(use); }))
      return rewriter.notifyMatchFailure(op, "a reader of the result needs [B, H, S, D]");
    auto anglesType = cast<RankedTensorType>(op.getCos().getType());
    if (anglesType.getRank() != 4)
      return rewriter.notifyMatchFailure(op, "cos and sin are not rank 4");
    std::optional<SmallVector<int64_t, 4>> target = swapAsReshape(anglesType);
    if (!target || llvm::count(*target, -1) > 1)
      return rewriter.notifyMatchFailure(op, "cos and sin would move in the swap");
    Value cos = swappedAngles(rewriter, op.getCos(), *target, transpose);
    Value sin = swappedAngles(rewriter, op.getSin(), *target, transpose);
    Value x = transpose.getInputs()[0];
    auto rotated = RotaryEmbeddingOp::create(rewriter, op.getLoc(), x.getType(), x, cos, sin,
                                             op.getLayoutAttr());
    auto transposed = onnx::NodeOp::create(
        rewriter, transpose.getLoc(), TypeRange{op.getType()}, ValueRange{rotated},
        transpose.getOpTypeAttr(), transpose.getDomainAttr(), transpose.getOpsetAttr(),
        transpose.getNameAttr(), transpose.getAttrsAttr());
    rewriter.replaceOp(op, transposed.getOutputs());
    return success();
  }
};

/// kv_cache_append(past, Transpose(x, [0, 2, 1, 3]))
///   -> kv_cache_append(past, x) {update_layout = bshd}.
struct AbsorbHeadTransposeIntoCacheAppend : OpRewritePattern<KVCacheAppendOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(KVCacheAppendOp op, PatternRewriter &rewriter) const override {
    if (op.isSequenceFirst())
      return rewriter.notifyMatchFailure(op, "already takes [B, S, H, D]");
    onnx::NodeOp transpose = getHeadTranspose(op.getUpdate());
    if (!transpose)
      return rewriter.notifyMatchFailure(op, "the update is not a head transpose");
    rewriter.modifyOpInPlace(op, [&] {
      op.getUpdateMutable().assign(transpose.getInputs()[0]);
      op.setUpdateLayoutAttr(HeadLayoutAttr::get(getContext(), HeadLayout::BSHD));
    });
    return success();
  }
};

/// Transpose(attention(Transpose(x, [0, 2, 1, 3]), k, v, mask), [0, 2, 1, 3])
///   -> attention(x, k, v, mask) {query_layout = bshd}
/// where every reader of the attention's result is such a transpose.
struct AbsorbHeadTransposesIntoAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    if (op.isSequenceFirst())
      return rewriter.notifyMatchFailure(op, "already takes [B, S, H, D]");
    onnx::NodeOp transpose = getHeadTranspose(op.getQuery());
    if (!transpose)
      return rewriter.notifyMatchFailure(op, "the query is not a head transpose");
    std::optional<SmallVector<onnx::NodeOp>> readers = headTransposeReaders(op.getResult());
    if (!readers || readers->empty())
      return rewriter.notifyMatchFailure(op, "the result is read other than by head transposes");
    Value x = transpose.getInputs()[0];
    auto resultType = swapHeadsAndPositions(cast<RankedTensorType>(op.getType()));
    for (onnx::NodeOp reader : *readers)
      if (reader.getOutputs()[0].getType() != resultType)
        return rewriter.notifyMatchFailure(op, "a transpose reader's type differs");
    auto fused = AttentionOp::create(rewriter, op.getLoc(), resultType, x, op.getKey(),
                                     op.getValue(), op.getMask(), op.getScaleAttr(),
                                     HeadLayoutAttr::get(getContext(), HeadLayout::BSHD));
    for (onnx::NodeOp reader : *readers)
      rewriter.replaceOp(reader, fused.getResult());
    rewriter.eraseOp(op);
    return success();
  }
};

struct AWQFuseHeadTransposesPass
    : impl::AWQFuseHeadTransposesBase<AWQFuseHeadTransposesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateHeadTransposeFusionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    eraseDeadONNXNodes(getOperation());
  }
};

} // namespace

void populateHeadTransposeFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<SinkHeadTransposeThroughRotary, AbsorbHeadTransposeIntoCacheAppend,
               AbsorbHeadTransposesIntoAttention>(patterns.getContext());
}

} // namespace awq
