//===- FoldScales.cpp - Fold awq.scale into the preceding norm or linear --===//
//
// awq.scale divides channels by s. Where the channels come straight from a
// norm, its weight (and LayerNorm's bias) absorb 1/s; where they come from a
// linear through scale-commuting ops (ChannelTrace.h), that linear's output
// rows, bias and clip rows absorb it, mapped to its own channels. The
// consuming linears were already multiplied by s when the scale was
// inserted, so removing the awq.scale keeps the function.
//
//===----------------------------------------------------------------------===//

#include "awq/Transforms/Passes.h"

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Transforms/ChannelTrace.h"
#include "awq/Transforms/WeightConstants.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace awq {
#define GEN_PASS_DEF_AWQFOLDSCALES
#include "awq/Transforms/Passes.h.inc"
} // namespace awq

using namespace mlir;

namespace awq {
namespace {

/// The scale ops among the users of `value` when every user is an awq.scale
/// with the same scales (the fold changes `value` for all of its users), or
/// an empty list.
SmallVector<ScaleOp> collectUniformScaleUsers(Value value,
                                              ArrayRef<float> scales) {
  SmallVector<ScaleOp> users;
  for (Operation *user : value.getUsers()) {
    auto scale = dyn_cast<ScaleOp>(user);
    if (!scale || scale.getInput() != value)
      return {};
    FailureOr<std::vector<float>> other = readFloatConstant(scale.getScales());
    if (failed(other) || ArrayRef<float>(*other) != scales)
      return {};
    users.push_back(scale);
  }
  return users;
}

/// `values[i] / scales[i]` with f(v, s) applied elementwise.
std::vector<float> divideBy(ArrayRef<float> values, ArrayRef<float> scales) {
  std::vector<float> result(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    result[i] = values[i] / scales[i];
  return result;
}

/// A new constant like `original` (a norm parameter) holding `values`.
Value replacementParameter(PatternRewriter &rewriter, Operation *user,
                           Value original, ArrayRef<float> values) {
  auto type = cast<RankedTensorType>(original.getType());
  std::string name = derivedConstantName(original, "norm", ".awq_scaled");
  return createFloatConstant(rewriter, user, name, type, values);
}

/// awq.scale(rms_norm(x, w), s) -> rms_norm(x, w / s), or with Gemma's
/// unit_offset rms_norm(x, (1 + w) / s - 1).
struct FoldScaleIntoRMSNorm : OpRewritePattern<ScaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScaleOp scale,
                                PatternRewriter &rewriter) const override {
    auto norm = scale.getInput().getDefiningOp<RMSNormOp>();
    if (!norm)
      return rewriter.notifyMatchFailure(scale, "input is not an rms_norm");
    FailureOr<std::vector<float>> scales = readFloatConstant(scale.getScales());
    FailureOr<std::vector<float>> weight = readFloatConstant(norm.getWeight());
    if (failed(scales) || failed(weight))
      return rewriter.notifyMatchFailure(scale, "scales or weight not constant");
    SmallVector<ScaleOp> users = collectUniformScaleUsers(norm, *scales);
    if (users.empty())
      return rewriter.notifyMatchFailure(scale, "norm has other users");
    std::vector<float> folded(weight->size());
    for (size_t c = 0; c < folded.size(); ++c)
      folded[c] = norm.getUnitOffset() ? (1.0f + (*weight)[c]) / (*scales)[c] - 1.0f
                                       : (*weight)[c] / (*scales)[c];
    Value newWeight = replacementParameter(rewriter, norm, norm.getWeight(), folded);
    rewriter.modifyOpInPlace(norm, [&] { norm.getWeightMutable().assign(newWeight); });
    for (ScaleOp user : users)
      rewriter.replaceOp(user, norm.getResult());
    return success();
  }
};

/// awq.scale(layer_norm(x, g, b), s) -> layer_norm(x, g / s, b / s).
struct FoldScaleIntoLayerNorm : OpRewritePattern<ScaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScaleOp scale,
                                PatternRewriter &rewriter) const override {
    auto norm = scale.getInput().getDefiningOp<LayerNormOp>();
    if (!norm)
      return rewriter.notifyMatchFailure(scale, "input is not a layer_norm");
    FailureOr<std::vector<float>> scales = readFloatConstant(scale.getScales());
    FailureOr<std::vector<float>> weight = readFloatConstant(norm.getWeight());
    if (failed(scales) || failed(weight))
      return rewriter.notifyMatchFailure(scale, "scales or weight not constant");
    std::optional<std::vector<float>> bias;
    if (norm.getBias()) {
      FailureOr<std::vector<float>> values = readFloatConstant(norm.getBias());
      if (failed(values))
        return rewriter.notifyMatchFailure(scale, "bias is not constant");
      bias = std::move(*values);
    }
    SmallVector<ScaleOp> users = collectUniformScaleUsers(norm, *scales);
    if (users.empty())
      return rewriter.notifyMatchFailure(scale, "norm has other users");
    Value newWeight = replacementParameter(rewriter, norm, norm.getWeight(),
                                           divideBy(*weight, *scales));
    Value newBias = bias ? replacementParameter(rewriter, norm, norm.getBias(),
                                                divideBy(*bias, *scales))
                         : Value();
    rewriter.modifyOpInPlace(norm, [&] {
      norm.getWeightMutable().assign(newWeight);
      if (newBias)
        norm.getBiasMutable().assign(newBias);
    });
    for (ScaleOp user : users)
      rewriter.replaceOp(user, norm.getResult());
    return success();
  }
};

/// awq.scale(f(linear(x)), s) with f commuting with per-channel scales ->
/// f(linear'(x)) where linear' has output rows, bias and clip rows divided by
/// s mapped to its own channels.
struct FoldScaleIntoLinear : OpRewritePattern<ScaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScaleOp scale,
                                PatternRewriter &rewriter) const override {
    ChannelTrace trace = traceChannels(scale.getInput());
    auto producer = dyn_cast_if_present<LinearOp>(trace.producer);
    if (!producer || !trace.exclusive)
      return rewriter.notifyMatchFailure(scale, "no exclusive path to a linear");
    FailureOr<std::vector<float>> scales = readFloatConstant(scale.getScales());
    FailureOr<std::vector<float>> weight = readLinearWeight(producer);
    if (failed(scales) || failed(weight))
      return rewriter.notifyMatchFailure(scale, "scales or weight not constant");
    SmallVector<ScaleOp> users = collectUniformScaleUsers(scale.getInput(), *scales);
    if (users.empty())
      return rewriter.notifyMatchFailure(scale, "scaled value has other users");

    // The producer's scale per output channel; repeated heads must agree.
    std::vector<float> producerScales(trace.producerChannels, 0.0f);
    for (auto [channel, producerChannel] : llvm::enumerate(trace.channelMap)) {
      float &slot = producerScales[producerChannel];
      if (slot != 0.0f && slot != (*scales)[channel])
        return rewriter.notifyMatchFailure(scale, "repeated channels disagree");
      slot = (*scales)[channel];
    }
    for (float &value : producerScales)
      if (value == 0.0f)
        value = 1.0f; // a channel the scale does not see stays as it is

    int64_t n = producer.getOutFeatures(), k = producer.getInFeatures();
    for (int64_t row = 0; row < n; ++row)
      for (int64_t col = 0; col < k; ++col)
        (*weight)[row * k + col] /= producerScales[row];
    Value newWeight = createLinearWeight(rewriter, producer, *weight, ".awq_scaled");
    Value newBias;
    if (producer.getBias()) {
      FailureOr<std::vector<float>> bias = readFloatConstant(producer.getBias());
      if (failed(bias))
        return rewriter.notifyMatchFailure(scale, "bias is not constant");
      newBias = replacementParameter(rewriter, producer, producer.getBias(),
                                     divideBy(*bias, producerScales));
    }
    ElementsAttr newClip;
    if (std::optional<ElementsAttr> clip = producer.getClip()) {
      FailureOr<std::vector<float>> read = readFloatElements(*clip);
      if (failed(read))
        return rewriter.notifyMatchFailure(scale, "unreadable clip values");
      std::vector<float> values = std::move(*read);
      int64_t groups = values.size() / n;
      for (int64_t row = 0; row < n; ++row)
        for (int64_t group = 0; group < groups; ++group)
          values[row * groups + group] /= producerScales[row];
      newClip = makeFloatElements(cast<RankedTensorType>(clip->getType()), values,
                                  derivedConstantName(producer.getWeight(),
                                                      "linear", ".clip"));
    }
    rewriter.modifyOpInPlace(producer, [&] {
      producer.getWeightMutable().assign(newWeight);
      if (newBias)
        producer.getBiasMutable().assign(newBias);
      if (newClip)
        producer.setClipAttr(newClip);
    });
    for (ScaleOp user : users)
      rewriter.replaceOp(user, user.getInput());
    return success();
  }
};

struct AWQFoldScalesPass : impl::AWQFoldScalesBase<AWQFoldScalesPass> {
  void runOnOperation() override {
    if (failed(foldScales(getOperation())))
      signalPassFailure();
  }
};

} // namespace

void populateAWQFoldScalesPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldScaleIntoRMSNorm, FoldScaleIntoLayerNorm, FoldScaleIntoLinear>(
      patterns.getContext());
}

LogicalResult foldScales(ModuleOp module) {
  RewritePatternSet patterns(module.getContext());
  populateAWQFoldScalesPatterns(patterns);
  if (failed(applyPatternsGreedily(module, std::move(patterns))))
    return module.emitError("folding scales did not converge");
  return success();
}

} // namespace awq
