//===- ONNXImporter.h - Import ONNX models into MLIR -----------*- C++ -*-===//
//
// Turns an ONNX ModelProto into a module holding one `func.func` of generic
// `onnx.node` ops and `onnx.initializer` ops. Weights stored outside the
// protobuf (external data) are memory-mapped, never copied; weights embedded in
// the protobuf are handed over to the IR without another copy.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_IMPORTER_ONNXIMPORTER_H
#define AWQ_IMPORTER_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace awq {

/// Knobs of the ONNX importer.
struct ImportOptions {
  /// Run ONNX shape inference (libonnx) before importing, so that values the
  /// model gives no `value_info` for still get ranked types.
  bool runShapeInference = true;
  /// Tensors with at most this many elements become plain `dense<...>`
  /// attributes (readable in printed IR); larger ones become `dense_resource`
  /// blobs that point at the weights where they already are in memory.
  int64_t maxInlineElements = 64;
};

/// Imports the ONNX model in the file at `path`. External data is looked up
/// relative to the model's directory. Errors are emitted as diagnostics on
/// `context` that name the file (and the node or tensor at fault).
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importONNXFile(llvm::StringRef path, mlir::MLIRContext &context,
               const ImportOptions &options = {});

/// Imports the serialized ONNX model in `bytes`, named `bufferName` in
/// diagnostics. External data is resolved relative to `externalDataDir`; when
/// that is empty, a model with external data is rejected.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importONNXBuffer(llvm::StringRef bytes, llvm::StringRef bufferName,
                 llvm::StringRef externalDataDir, mlir::MLIRContext &context,
                 const ImportOptions &options = {});

} // namespace awq

#endif // AWQ_IMPORTER_ONNXIMPORTER_H
