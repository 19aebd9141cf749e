//===- PatternsInternal.h - Pattern groups of convert-onnx-to-awq -*- C++ -*-===//

#ifndef AWQ_LIB_CONVERSION_ONNXTOAWQ_PATTERNSINTERNAL_H
#define AWQ_LIB_CONVERSION_ONNXTOAWQ_PATTERNSINTERNAL_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace awq {
void populateLinearPatterns(mlir::RewritePatternSet &patterns);
void populateNormPatterns(mlir::RewritePatternSet &patterns);
void populateDecomposedNormPatterns(mlir::RewritePatternSet &patterns);
void populateActivationPatterns(mlir::RewritePatternSet &patterns);
} // namespace awq

#endif // AWQ_LIB_CONVERSION_ONNXTOAWQ_PATTERNSINTERNAL_H
