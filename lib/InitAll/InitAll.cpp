//===- InitAll.cpp - Register every awq dialect and pass ------------------===//

#include "awq/InitAll.h"

#include "awq/Compiler/Pipeline.h"
#include "awq/Conversion/Passes.h"
#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void awq::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<awq::AWQDialect, awq::onnx::ONNXDialect,
                  mlir::func::FuncDialect, mlir::arith::ArithDialect>();
}

void awq::registerAllPasses() {
  mlir::registerTransformsPasses();
  awq::registerAWQConversionPasses();
  awq::registerAWQTransformsPasses();
  awq::registerAWQPipeline();
}
