//===- ONNXDialect.h - The onnx import dialect ------------------*- C++ -*-===//

#ifndef AWQ_DIALECT_ONNX_ONNXDIALECT_H
#define AWQ_DIALECT_ONNX_ONNXDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "awq/Dialect/ONNX/ONNXDialect.h.inc"

#define GET_OP_CLASSES
#include "awq/Dialect/ONNX/ONNXOps.h.inc"

#endif // AWQ_DIALECT_ONNX_ONNXDIALECT_H
