//===- consumer.cpp - An out-of-tree tool that embeds awq's passes --------===//
//
// Usage: awq-consumer FILE.mlir. Parses the file with awq's dialects
// registered, runs convert-onnx-to-awq through a PassManager, prints the result.
//
//===----------------------------------------------------------------------===//

#include "awq/Conversion/Passes.h"
#include "awq/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    llvm::errs() << "usage: awq-consumer FILE.mlir\n";
    return 2;
  }
  mlir::DialectRegistry registry;
  awq::registerAllDialects(registry);
  mlir::MLIRContext context(registry);

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(argv[1], &context);
  if (!module)
    return 1;

  mlir::PassManager pm(&context);
  pm.addPass(awq::createConvertONNXToAWQ());
  if (mlir::failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());
  return 0;
}
