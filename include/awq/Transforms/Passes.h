//===- Passes.h - AWQ quantization passes -----------------------*- C++ -*-===//
//
// The passes of the AWQ pipeline and their public entry points, so other
// compilers can run them on their own modules without a pass manager.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TRANSFORMS_PASSES_H
#define AWQ_TRANSFORMS_PASSES_H

#include "awq/Transforms/LinearRoles.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <functional>

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace awq {

#define GEN_PASS_DECL
#include "awq/Transforms/Passes.h.inc"

//===----------------------------------------------------------------------===//
// Option structs from option holders
//===----------------------------------------------------------------------===//

/// The awq-quantize options read from `source`: anything with option fields
/// of the same names (the pass itself, or the awq-pipeline's options), so the
/// list of options is written once.
template <typename Source>
AWQQuantizeOptions quantizeOptionsFrom(const Source &source) {
  AWQQuantizeOptions options;
  options.bits = source.bits;
  options.groupSize = source.groupSize;
  options.zeroPoint = source.zeroPoint;
  options.exclude.assign(source.exclude.begin(), source.exclude.end());
  options.quantizeLMHead = source.quantizeLMHead;
  options.scalesInActivationType = source.scalesInActivationType;
  return options;
}

/// The awq-calibrate options read from `source`, as quantizeOptionsFrom.
template <typename Source>
AWQCalibrateOptions calibrateOptionsFrom(const Source &source) {
  AWQCalibrateOptions options;
  options.dataPath = source.dataPath;
  options.tokenizerSpec = source.tokenizerSpec;
  options.skipDocuments = source.skipDocuments;
  options.numSamples = source.numSamples;
  options.sequenceLength = source.sequenceLength;
  options.pack = source.pack;
  options.gridSize = source.gridSize;
  options.duoScaling = source.duoScaling;
  options.clipSearch = source.clipSearch;
  options.clipTokens = source.clipTokens;
  options.loss = source.loss;
  options.gqaScales = source.gqaScales;
  options.searchTokens = source.searchTokens;
  options.propagate = source.propagate;
  options.bits = source.bits;
  options.groupSize = source.groupSize;
  options.zeroPoint = source.zeroPoint;
  options.exclude.assign(source.exclude.begin(), source.exclude.end());
  options.quantizeLMHead = source.quantizeLMHead;
  return options;
}

//===----------------------------------------------------------------------===//
// awq-quantize
//===----------------------------------------------------------------------===//

/// Checks bits (2, 3, 4, 8) and group size (positive, or 0/-1 for
/// per-channel); reports through `emitError`.
mlir::LogicalResult
verifyQuantizerOptions(int64_t bits, int64_t groupSize,
                       llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// The group size for a linear with `inFeatures` inputs: `groupSize`, or
/// `inFeatures` for per-channel (0 or -1) and when the row is shorter.
int64_t effectiveGroupSize(int64_t groupSize, int64_t inFeatures);

/// Adds the pattern rewriting awq.linear into awq.group_matmul for the
/// linears `shouldQuantize` accepts.
void populateAWQQuantizePatterns(
    mlir::RewritePatternSet &patterns, const AWQQuantizeOptions &options,
    std::function<bool(LinearOp)> shouldQuantize);

/// Quantizes the linears of every function in `module` (RTN, or AWQ after
/// calibration); emits diagnostics on failure.
mlir::LogicalResult quantizeLinears(mlir::ModuleOp module,
                                    const AWQQuantizeOptions &options);

//===----------------------------------------------------------------------===//
// awq-fold-scales
//===----------------------------------------------------------------------===//

/// Adds the patterns folding awq.scale into a preceding norm or linear.
void populateAWQFoldScalesPatterns(mlir::RewritePatternSet &patterns);

/// Folds every awq.scale of `module` that has a fold.
mlir::LogicalResult foldScales(mlir::ModuleOp module);

//===----------------------------------------------------------------------===//
// awq-calibrate
//===----------------------------------------------------------------------===//

/// Runs the scale and clipping search on every function of `module` and
/// records the results as awq.scale ops and clip attributes.
mlir::LogicalResult calibrate(mlir::ModuleOp module,
                              const AWQCalibrateOptions &options);

#define GEN_PASS_REGISTRATION
#include "awq/Transforms/Passes.h.inc"

} // namespace awq

#endif // AWQ_TRANSFORMS_PASSES_H
