//===- KVCacheFusion.cpp - awq-fuse-kv-cache ------------------------------===//
//
// A decoder exported with a KV cache grows each layer's keys and values by
//
//   present = Concat(past, update, axis = 2)      past: a model input
//
// which copies the whole cache every step. The pattern here makes it
// awq.kv_cache_append(past, update): the same value, but the op tells the
// runtime that `present` extends `past`, so a compiled library that keeps its
// cache between steps appends the new rows in place (runtime/include/
// awq_node.h, allocate_cache). That is only sound where nothing reads the
// cache's memory as a contiguous tensor: `past` may be read only by this
// Concat and by Shape (dims only), and `present` only by awq.attention (as its
// key or value, which the runtime reads with the cache's row capacity), by
// Shape, and by the return. So this pass runs after awq-fuse-attention.
//
//===----------------------------------------------------------------------===//

#include "ONNXMatchers.h"

#include "awq/Conversion/ONNXToAWQ/ONNXToAWQ.h"
#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace awq {
#define GEN_PASS_DEF_AWQFUSEKVCACHE
#include "awq/Conversion/Passes.h.inc"
} // namespace awq

using namespace mlir;

namespace awq {
namespace {

/// True when `user` reads only the dims of its operand: an ONNX Shape.
bool readsOnlyDims(Operation *user) {
  auto node = dyn_cast<onnx::NodeOp>(user);
  return node && isONNXNode(node, "Shape");
}

/// True when every use of `present` is a key or value operand of
/// awq.attention, a Shape, or the return.
bool presentUsesAreCacheAware(Value present) {
  for (OpOperand &use : present.getUses()) {
    Operation *user = use.getOwner();
    if (auto attention = dyn_cast<AttentionOp>(user)) {
      if (use.get() != attention.getKey() && use.get() != attention.getValue())
        return false;
      if (attention.getQuery() == present ||
          (attention.getMask() && attention.getMask() == present))
        return false;
      continue;
    }
    if (!isa<func::ReturnOp>(user) && !readsOnlyDims(user))
      return false;
  }
  return true;
}

/// Concat(past, update, axis = 2 or -2) of rank-4 tensors, past a model input
/// read elsewhere only by Shape, present read only by attention, Shape and
/// the return -> awq.kv_cache_append(past, update).
struct ConcatToKVCacheAppend : OpRewritePattern<onnx::NodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::NodeOp node, PatternRewriter &rewriter) const override {
    if (!isONNXNode(node, "Concat") || node.getInputs().size() != 2 || node.getNumResults() != 1)
      return rewriter.notifyMatchFailure(node, "not a Concat of two");
    Value past = node.getInputs()[0], update = node.getInputs()[1];
    Value present = node.getOutputs()[0];
    auto type = dyn_cast<RankedTensorType>(present.getType());
    auto pastType = getFloatTensorType(past), updateType = getFloatTensorType(update);
    if (!type || !pastType || !updateType || type.getRank() != 4 || pastType.getRank() != 4 ||
        updateType.getRank() != 4 || pastType.getElementType() != type.getElementType() ||
        updateType.getElementType() != type.getElementType())
      return rewriter.notifyMatchFailure(node, "not rank-4 float tensors of one type");
    const int64_t axis = node.getIntAttr("axis", 0);
    if (axis != 2 && axis != -2)
      return rewriter.notifyMatchFailure(node, "not along the sequence axis");
    if (!isa<BlockArgument>(past))
      return rewriter.notifyMatchFailure(node, "the past is not a model input");
    for (Operation *user : past.getUsers())
      if (user != node.getOperation() && !readsOnlyDims(user))
        return rewriter.notifyMatchFailure(node, "the past is read by another op");
    if (!presentUsesAreCacheAware(present))
      return rewriter.notifyMatchFailure(node, "the cache is read by an op other than attention");
    rewriter.replaceOpWithNewOp<KVCacheAppendOp>(node, type, past, update,
                                                 /*update_layout=*/HeadLayoutAttr());
    return success();
  }
};

struct AWQFuseKVCachePass : impl::AWQFuseKVCacheBase<AWQFuseKVCachePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateKVCacheFusionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void populateKVCacheFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<ConcatToKVCacheAppend>(patterns.getContext());
}

} // namespace awq
