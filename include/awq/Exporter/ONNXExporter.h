//===- ONNXExporter.h - Write onnx modules as ONNX models ------*- C++ -*-===//
//
// The inverse of the importer for modules that hold only what it produces
// (`onnx.node`, `onnx.initializer`, `onnx.none` in one function): writes an
// ONNX ModelProto with the original metadata, opsets, node attributes and
// weights.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_EXPORTER_ONNXEXPORTER_H
#define AWQ_EXPORTER_ONNXEXPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

namespace awq {

/// Writes `module` as the ONNX model `path` ("-" for stdout). Weights that
/// were external data when imported, and all weights of 1 KiB or more when
/// the model would not fit protobuf's 2 GB limit, go to `<path>.data` beside
/// it. Both files appear atomically, and only on success; errors are emitted
/// as diagnostics on the op at fault.
mlir::LogicalResult exportONNXFile(mlir::ModuleOp module, llvm::StringRef path);

} // namespace awq

#endif // AWQ_EXPORTER_ONNXEXPORTER_H
