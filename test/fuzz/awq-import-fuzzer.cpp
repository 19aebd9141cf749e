//===- awq-import-fuzzer.cpp - libFuzzer target for the ONNX importer -----===//
//
// Feeds arbitrary bytes to `importONNXBuffer`. Every input must either fail
// with a diagnostic or produce a module that verifies; crashes, sanitizer
// reports and invalid IR are bugs.
//
//===----------------------------------------------------------------------===//

#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Importer/ONNXImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context per input, so resource blobs do not pile up.
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.loadDialect<awq::onnx::ONNXDialect, mlir::func::FuncDialect>();
  context.getDiagEngine().registerHandler(
      [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
      awq::importONNXBuffer(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.onnx", /*externalDataDir=*/"", context);
  if (succeeded(module) && failed(mlir::verify(**module)))
    std::abort();
  return 0;
}
