//===- TensorImporter.h - ONNX TensorProto -> ElementsAttr -----*- C++ -*-===//
//
// Converts ONNX tensors (initializers, TENSOR attributes) to MLIR elements
// attributes without copying their bytes: external data stays in its
// memory-mapped file and embedded `raw_data` is moved out of the protobuf into
// the blob that owns it. Small tensors become plain `dense<...>` attributes.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_LIB_IMPORTER_TENSORIMPORTER_H
#define AWQ_LIB_IMPORTER_TENSORIMPORTER_H

#include "ExternalDataFiles.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "llvm/Support/Error.h"

namespace onnx {
class TensorProto;
} // namespace onnx

namespace awq {

/// Imports the tensors of one model; owns the model's external-data mappings.
class TensorImporter {
public:
  TensorImporter(mlir::MLIRContext &context, llvm::StringRef modelDir,
                 int64_t maxInlineElements)
      : context(context), externalData(modelDir),
        maxInlineElements(maxInlineElements) {}

  /// The value of `tensor`. Its `raw_data` is moved out (the proto is left
  /// without it). Fails on unsupported element types, negative dimensions,
  /// byte counts that do not match the shape and bad external data.
  llvm::Expected<mlir::ElementsAttr> importTensor(::onnx::TensorProto &tensor);

private:
  mlir::MLIRContext &context;
  ExternalDataFiles externalData;
  int64_t maxInlineElements;
};

} // namespace awq

#endif // AWQ_LIB_IMPORTER_TENSORIMPORTER_H
