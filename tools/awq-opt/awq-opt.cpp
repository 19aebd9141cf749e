//===- awq-opt.cpp - mlir-opt for awq: parse, run passes, print ------------===//
//
// Accepts MLIR (text or bytecode) like mlir-opt, and ONNX models directly: a
// `.onnx` input is imported first (awq-translate --import-onnx) and handed to
// the pass pipeline as bytecode, which carries its weights along.
//
//===----------------------------------------------------------------------===//

#include "awq/Importer/ONNXImporter.h"
#include "awq/InitAll.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

/// Imports `inputFilename` and runs the pipeline of the command line on it.
static mlir::LogicalResult optimizeONNXModel(llvm::StringRef inputFilename,
                                             llvm::StringRef outputFilename,
                                             mlir::DialectRegistry &registry) {
  std::string bytecode;
  {
    mlir::MLIRContext context(registry);
    // Print import errors as `file:line:col: error: ...`, like MLIR input's.
    llvm::SourceMgr sourceMgr;
    mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
    auto module = awq::importONNXFile(inputFilename, context);
    if (mlir::failed(module))
      return mlir::failure();
    llvm::raw_string_ostream os(bytecode);
    if (mlir::failed(mlir::writeBytecodeToFile(module->get(), os)))
      return mlir::failure();
  }
  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::errs() << "awq-opt: " << errorMessage << "\n";
    return mlir::failure();
  }
  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();
  if (mlir::failed(mlir::MlirOptMain(
          output->os(),
          llvm::MemoryBuffer::getMemBuffer(bytecode, inputFilename,
                                           /*RequiresNullTerminator=*/false),
          registry, config)))
    return mlir::failure();
  // Written only on success: a failed run leaves no partial output file.
  output->keep();
  return mlir::success();
}

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  awq::registerAllDialects(registry);
  awq::registerAllPasses();
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv,
      "awq optimizer: AWQ quantization passes on onnx/awq IR (or .onnx models)\n",
      registry);
  if (llvm::StringRef(inputFilename).ends_with(".onnx"))
    return mlir::asMainReturnCode(
        optimizeONNXModel(inputFilename, outputFilename, registry));
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, inputFilename, outputFilename, registry));
}
