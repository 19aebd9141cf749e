//===- awq-opt.cpp - mlir-opt for awq: parse, run passes, print ------------===//

#include "awq/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  awq::registerAllDialects(registry);
  awq::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "awq optimizer: AWQ quantization passes on onnx/awq IR\n",
      registry));
}
