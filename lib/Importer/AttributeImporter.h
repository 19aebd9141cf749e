//===- AttributeImporter.h - ONNX node attributes -> MLIR -------*- C++ -*-===//

#ifndef AWQ_LIB_IMPORTER_ATTRIBUTEIMPORTER_H
#define AWQ_LIB_IMPORTER_ATTRIBUTEIMPORTER_H

#include "mlir/IR/Attributes.h"
#include "llvm/Support/Error.h"

namespace onnx {
class AttributeProto;
} // namespace onnx

namespace awq {

class TensorImporter;

/// The MLIR form of node attribute `attribute`, as the `onnx` dialect
/// documents it: INT -> i64, FLOAT -> f32, STRING -> string, INTS ->
/// array<i64>, FLOATS -> array<f32>, STRINGS -> array of strings, TENSOR ->
/// elements attribute (through `tensors`, which may move its bytes out).
/// Subgraphs, sparse tensors, tensor lists and type attributes are rejected.
llvm::Expected<mlir::Attribute>
importNodeAttribute(::onnx::AttributeProto &attribute, TensorImporter &tensors,
                    mlir::MLIRContext &context);

} // namespace awq

#endif // AWQ_LIB_IMPORTER_ATTRIBUTEIMPORTER_H
