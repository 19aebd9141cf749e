//===- Quantize.cpp - awq.linear -> packed awq.group_matmul ---------------===//
//
// Round-to-nearest group quantization of constant linear weights with the
// runtime's quantizer and packer (the same code the search simulates), after
// clamping by the calibrated clip values when present.
//
//===----------------------------------------------------------------------===//

#include "awq/Transforms/Passes.h"

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Transforms/WeightConstants.h"

#include "awq_runtime.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/MathExtras.h"

namespace awq {
#define GEN_PASS_DEF_AWQQUANTIZE
#include "awq/Transforms/Passes.h.inc"
} // namespace awq

using namespace mlir;

namespace awq {

LogicalResult
verifyQuantizerOptions(int64_t bits, int64_t groupSize,
                       llvm::function_ref<InFlightDiagnostic()> emitError) {
  if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
    return emitError() << "bits must be 2, 3, 4 or 8, got " << bits;
  if (groupSize < -1)
    return emitError() << "group-size must be positive, or 0 or -1 for "
                          "per-channel, got "
                       << groupSize;
  return success();
}

int64_t effectiveGroupSize(int64_t groupSize, int64_t inFeatures) {
  if (groupSize <= 0)
    return inFeatures;
  return std::min(groupSize, inFeatures);
}

namespace {

/// A descriptor of `data` as an f32 runtime tensor.
awq_tensor describe(const void *data, awq_dtype dtype,
                    ArrayRef<int64_t> shape) {
  awq_tensor tensor{const_cast<void *>(data), dtype,
                    static_cast<int32_t>(shape.size()), {}};
  llvm::copy(shape, tensor.shape);
  return tensor;
}

struct LinearToGroupMatmul : OpRewritePattern<LinearOp> {
  LinearToGroupMatmul(MLIRContext *context, const AWQQuantizeOptions &options,
                      std::function<bool(LinearOp)> shouldQuantize)
      : OpRewritePattern(context), options(options),
        shouldQuantize(std::move(shouldQuantize)) {}

  LogicalResult matchAndRewrite(LinearOp linear,
                                PatternRewriter &rewriter) const override {
    if (!shouldQuantize(linear))
      return rewriter.notifyMatchFailure(linear, "excluded from quantization");
    FailureOr<std::vector<float>> weight = readLinearWeight(linear);
    if (failed(weight))
      return rewriter.notifyMatchFailure(linear, "weight is not a constant");
    int64_t n = linear.getOutFeatures(), k = linear.getInFeatures();
    int64_t groupSize = effectiveGroupSize(options.groupSize, k);
    int64_t numGroups = llvm::divideCeil(k, groupSize);

    std::optional<std::vector<float>> clip;
    if (std::optional<ElementsAttr> clipAttr = linear.getClip()) {
      if (static_cast<int64_t>(*linear.getClipGroupSize()) != groupSize)
        return rewriter.notifyMatchFailure(linear, "clip group size differs");
      FailureOr<std::vector<float>> values = readFloatElements(*clipAttr);
      if (failed(values))
        return rewriter.notifyMatchFailure(linear, "unreadable clip values");
      clip = std::move(*values);
    }

    // The runtime's quantizer: one code per byte, then packed row_major.
    std::vector<uint8_t> codes(n * k), zeros(n * numGroups);
    std::vector<float> scales(n * numGroups);
    awq_tensor wDesc = describe(weight->data(), AWQ_F32, {n, k});
    awq_tensor codesDesc = describe(codes.data(), AWQ_U8, {n, k});
    awq_tensor scalesDesc = describe(scales.data(), AWQ_F32, {n, numGroups});
    awq_tensor zerosDesc = describe(zeros.data(), AWQ_U8, {n, numGroups});
    awq_tensor clipDesc =
        clip ? describe(clip->data(), AWQ_F32, {n, numGroups}) : awq_tensor{};
    if (awq_quantize_groups(&wDesc, options.bits, groupSize, options.zeroPoint,
                            clip ? &clipDesc : nullptr, &codesDesc,
                            &scalesDesc, options.zeroPoint ? &zerosDesc : nullptr))
      return linear.emitError("quantization failed: ") << awq_last_error();
    int64_t rowBytes = llvm::divideCeil(k * options.bits, 8);
    std::vector<uint8_t> packed(n * rowBytes);
    awq_tensor packedDesc = describe(packed.data(), AWQ_U8, {n, rowBytes});
    if (awq_pack_codes(&codesDesc, options.bits, &packedDesc))
      return linear.emitError("packing failed: ") << awq_last_error();

    std::string base = derivedConstantName(
        linear.getWeight(), linear.getName().value_or("linear"), "");
    Type u8 = rewriter.getIntegerType(8, /*isSigned=*/false);
    Type activationType = linear.getInput().getType().getElementType();
    Type scaleType =
        options.scalesInActivationType ? activationType : rewriter.getF32Type();
    Value qweight = createInitializer(
        rewriter, linear, base + ".qweight",
        makeByteElements(RankedTensorType::get({n, rowBytes}, u8), packed,
                         base + ".qweight"));
    Value scalesValue = createFloatConstant(
        rewriter, linear, base + ".scales",
        RankedTensorType::get({n, numGroups}, scaleType), scales);
    Value zeroPoints;
    if (options.zeroPoint)
      zeroPoints = createInitializer(
          rewriter, linear, base + ".zeros",
          makeByteElements(RankedTensorType::get({n, numGroups}, u8), zeros,
                           base + ".zeros"));

    rewriter.replaceOpWithNewOp<GroupMatmulOp>(
        linear, linear.getResult().getType(), linear.getInput(), qweight,
        scalesValue, zeroPoints, linear.getBias(), options.bits, groupSize, k,
        WeightLayout::RowMajor, linear.getNameAttr());
    return success();
  }

  AWQQuantizeOptions options;
  std::function<bool(LinearOp)> shouldQuantize;
};

struct AWQQuantizePass : impl::AWQQuantizeBase<AWQQuantizePass> {
  using AWQQuantizeBase::AWQQuantizeBase;
  // Reads the (protected) generated option fields.
  template <typename Source>
  friend AWQQuantizeOptions awq::quantizeOptionsFrom(const Source &);

  void runOnOperation() override {
    AWQQuantizeOptions options = quantizeOptionsFrom(*this);
    if (failed(quantizeLinears(getOperation(), options)))
      signalPassFailure();
  }
};

} // namespace

void populateAWQQuantizePatterns(RewritePatternSet &patterns,
                                 const AWQQuantizeOptions &options,
                                 std::function<bool(LinearOp)> shouldQuantize) {
  patterns.add<LinearToGroupMatmul>(patterns.getContext(), options,
                                    std::move(shouldQuantize));
}

LogicalResult quantizeLinears(ModuleOp module,
                              const AWQQuantizeOptions &options) {
  if (failed(verifyQuantizerOptions(options.bits, options.groupSize,
                                    [&] { return module.emitError(); })))
    return failure();
  llvm::Expected<QuantizationExclusions> exclusions =
      QuantizationExclusions::create(options.exclude, options.quantizeLMHead);
  if (!exclusions)
    return module.emitError(llvm::toString(exclusions.takeError()));
  // Decide on the unmodified graph: quantizing one linear must not change
  // what the structural rules (LM head, router) say about another.
  llvm::DenseSet<Operation *> selected;
  module.walk([&](LinearOp linear) {
    if (exclusions->shouldQuantize(linear))
      selected.insert(linear);
  });
  // Clip values only make sense for the group size they were searched for.
  for (Operation *op : selected) {
    auto linear = cast<LinearOp>(op);
    std::optional<uint64_t> clipGroupSize = linear.getClipGroupSize();
    int64_t groupSize =
        effectiveGroupSize(options.groupSize, linear.getInFeatures());
    if (clipGroupSize && static_cast<int64_t>(*clipGroupSize) != groupSize)
      return linear.emitError("clip values were searched for group size ")
             << *clipGroupSize << " but awq-quantize uses " << groupSize;
  }
  RewritePatternSet patterns(module.getContext());
  populateAWQQuantizePatterns(patterns, options, [selected](LinearOp linear) {
    return selected.contains(linear);
  });
  if (failed(applyPatternsGreedily(module, std::move(patterns))))
    return module.emitError("quantization did not converge");
  return success();
}

} // namespace awq
