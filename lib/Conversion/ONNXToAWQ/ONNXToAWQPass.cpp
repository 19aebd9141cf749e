//===- ONNXToAWQPass.cpp - The convert-onnx-to-awq pass -------------------===//

#include "PatternsInternal.h"

#include "awq/Conversion/ONNXToAWQ/ONNXToAWQ.h"
#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace awq {
#define GEN_PASS_DEF_CONVERTONNXTOAWQ
#include "awq/Conversion/Passes.h.inc"
} // namespace awq

using namespace mlir;

namespace awq {

void populateONNXToAWQPatterns(RewritePatternSet &patterns) {
  populateLinearPatterns(patterns);
  populateNormPatterns(patterns);
  populateDecomposedNormPatterns(patterns);
  populateActivationPatterns(patterns);
}

namespace {
struct ConvertONNXToAWQPass
    : impl::ConvertONNXToAWQBase<ConvertONNXToAWQPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateONNXToAWQPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    eraseDeadONNXNodes(getOperation());
  }
};
} // namespace

} // namespace awq
