//===- ONNXToAWQ.h - Raising onnx.node ops to awq ops -----------*- C++ -*-===//

#ifndef AWQ_CONVERSION_ONNXTOAWQ_ONNXTOAWQ_H
#define AWQ_CONVERSION_ONNXTOAWQ_ONNXTOAWQ_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace awq {

#define GEN_PASS_DECL_CONVERTONNXTOAWQ
#include "awq/Conversion/Passes.h.inc"

/// Adds the patterns that raise ONNX linears, norms and activations to awq
/// ops; embedders can run them inside their own passes.
void populateONNXToAWQPatterns(mlir::RewritePatternSet &patterns);

} // namespace awq

#endif // AWQ_CONVERSION_ONNXTOAWQ_ONNXTOAWQ_H
